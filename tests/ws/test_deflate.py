"""permessage-deflate: RFC 7692 examples, codec round trips, negotiation matrix."""

from __future__ import annotations

import pytest

from heron.ws import (
    DeflateOffer,
    PerMessageDeflate,
    WebSocketReader,
    WebSocketWriter,
    WSCompressor,
    WSHandshakeError,
    WSMessage,
    WSMsgType,
    accept_deflate_response,
    negotiate_deflate,
    parse_extensions,
)

HELLO = WSMessage(WSMsgType.TEXT, "Hello", "")


def client_reader() -> WebSocketReader:
    return WebSocketReader(is_client=True, compress=PerMessageDeflate())


# RFC 7692 §7.2.3 examples ----------------------------------------------------------------


def test_rfc_compressed_hello() -> None:
    assert client_reader().feed_data(bytes.fromhex("c107f248cdc9c90700")) == [HELLO]


def test_rfc_compressed_hello_fragmented() -> None:
    reader = client_reader()
    assert reader.feed_data(bytes.fromhex("4103f248cd")) == []
    assert reader.feed_data(bytes.fromhex("8004c9c90700")) == [HELLO]


def test_rfc_sharing_lz77_window() -> None:
    reader = client_reader()
    data = bytes.fromhex("c107f248cdc9c90700") + bytes.fromhex("c105f200110000")
    assert reader.feed_data(data) == [HELLO, HELLO]


def test_rfc_stored_block() -> None:
    assert client_reader().feed_data(bytes.fromhex("c10b000500faff48656c6c6f00")) == [HELLO]


def test_rfc_bfinal_block_then_another_message() -> None:
    reader = client_reader()
    assert reader.feed_data(bytes.fromhex("c108f348cdc9c9070000")) == [HELLO]
    # The stream ended with a final block; the next message starts a new one.
    assert reader.feed_data(bytes.fromhex("c107f248cdc9c90700")) == [HELLO]


def test_rfc_two_deflate_blocks() -> None:
    data = bytes.fromhex("c10df24805000000ffffcac9c90700")
    assert client_reader().feed_data(data) == [HELLO]


def test_our_compressor_matches_the_rfc() -> None:
    assert WSCompressor().compress(b"Hello") == bytes.fromhex("f248cdc9c90700")
    assert WSCompressor().compress(b"") == b"\x00"


# Codec round trips ----------------------------------------------------------------------


@pytest.mark.parametrize("server_reset", [False, True])
@pytest.mark.parametrize("client_reset", [False, True])
@pytest.mark.parametrize("bits", [8, 9, 12, 15])
def test_round_trip_both_directions(server_reset: bool, client_reset: bool, bits: int) -> None:
    agreement = PerMessageDeflate(server_reset, client_reset, bits, bits)
    messages = ["hello " * 50, "hello " * 50, "", "other text", "hello " * 50]
    for is_client in (True, False):
        writer = WebSocketWriter(is_client=is_client, compress=agreement)
        reader = WebSocketReader(is_client=not is_client, compress=agreement)
        frames = [b"".join(writer.encode_message(text)) for text in messages]
        assert all(frame[0] == 0xC1 for frame in frames)
        got = reader.feed_data(b"".join(frames))
        assert got == [WSMessage(WSMsgType.TEXT, text, "") for text in messages]


def test_context_takeover_shrinks_repeated_messages() -> None:
    text = "a fairly long message that repeats itself " * 3
    keep = WSCompressor()
    reset = WSCompressor(no_context_takeover=True)
    assert len(keep.compress(text.encode())) == len(reset.compress(text.encode()))
    # The second copy refers back to the first only with context takeover.
    assert len(keep.compress(text.encode())) < len(reset.compress(text.encode()))


def test_no_context_takeover_messages_decode_alone() -> None:
    text = b"independent message " * 10
    comp = WSCompressor(no_context_takeover=True)
    comp.compress(text)
    second = comp.compress(text)
    # A fresh decompressor (no history) must decode the second message.
    fresh = WebSocketReader(is_client=True, compress=PerMessageDeflate())
    frame = bytes((0xC2, len(second))) + second
    assert fresh.feed_data(frame) == [WSMessage(WSMsgType.BINARY, text, "")]


def test_compressor_window_bits_range() -> None:
    with pytest.raises(ValueError):
        WSCompressor(window_bits=7)
    with pytest.raises(ValueError):
        WSCompressor(window_bits=16)


def test_eight_bit_window_uses_distances_a_256_byte_window_can_decode() -> None:
    # zlib's 9-bit window never emits distances over 250, so an 8-bit peer copes.
    import zlib

    text = bytes(range(256)) * 8 + b"tail" + bytes(range(256)) * 4
    out = WSCompressor(window_bits=8).compress(text)
    inflater = zlib.decompressobj(-8)
    assert inflater.decompress(out + b"\x00\x00\xff\xff") == text


# Header parsing --------------------------------------------------------------------------


def test_parse_extensions() -> None:
    parsed = parse_extensions(
        [
            'permessage-deflate; client_max_window_bits; server_max_window_bits="10", foo',
            "Other;A=B , ,",
        ]
    )
    assert parsed == [
        (
            "permessage-deflate",
            [("client_max_window_bits", None), ("server_max_window_bits", "10")],
        ),
        ("foo", []),
        ("other", [("a", "B")]),
    ]
    assert parse_extensions("") == []


@pytest.mark.parametrize(
    "value",
    [
        "permessage-deflate; =1",
        "permessage-deflate x",
        "@bad",
        'permessage-deflate; a="not a token"',
    ],
)
def test_parse_extensions_errors(value: str) -> None:
    with pytest.raises(ValueError):
        parse_extensions(value)


# Server-side negotiation -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("offer", "kwargs", "header", "agreement"),
    [
        ("permessage-deflate", {}, "permessage-deflate", PerMessageDeflate()),
        (
            "permessage-deflate; client_max_window_bits",
            {},
            "permessage-deflate",
            PerMessageDeflate(),
        ),
        (
            "permessage-deflate; client_max_window_bits",
            {"client_max_window_bits": 10},
            "permessage-deflate; client_max_window_bits=10",
            PerMessageDeflate(client_max_window_bits=10),
        ),
        (
            "permessage-deflate; client_max_window_bits=12",
            {"client_max_window_bits": 14},
            "permessage-deflate; client_max_window_bits=12",
            PerMessageDeflate(client_max_window_bits=12),
        ),
        (
            "permessage-deflate",
            {"client_max_window_bits": 10},  # client did not announce support: not sent
            "permessage-deflate",
            PerMessageDeflate(),
        ),
        (
            "permessage-deflate; server_max_window_bits=10",
            {},
            "permessage-deflate; server_max_window_bits=10",
            PerMessageDeflate(server_max_window_bits=10),
        ),
        (
            "permessage-deflate; server_max_window_bits=12",
            {"server_max_window_bits": 9},
            "permessage-deflate; server_max_window_bits=9",
            PerMessageDeflate(server_max_window_bits=9),
        ),
        (
            "permessage-deflate",
            {"server_max_window_bits": 11},  # used silently, the client decodes anyway
            "permessage-deflate",
            PerMessageDeflate(server_max_window_bits=11),
        ),
        (
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
            {},
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
            PerMessageDeflate(True, True),
        ),
        (
            "permessage-deflate",
            {"server_no_context_takeover": True, "client_no_context_takeover": True},
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
            PerMessageDeflate(True, True),
        ),
        (
            # First offer unacceptable (unknown parameter), second one taken.
            "permessage-deflate; foo, x-webkit-deflate-frame, permessage-deflate; "
            "server_max_window_bits=8",
            {},
            "permessage-deflate; server_max_window_bits=8",
            PerMessageDeflate(server_max_window_bits=8),
        ),
    ],
)
def test_negotiation_matrix(
    offer: str, kwargs: dict[str, object], header: str, agreement: PerMessageDeflate
) -> None:
    result = negotiate_deflate(offer, **kwargs)  # type: ignore[arg-type]
    assert result == (agreement, header)
    # The client accepts what the server answered to its own offer.
    assert result is not None


@pytest.mark.parametrize(
    "offer",
    [
        None,
        "",
        "x-webkit-deflate-frame",
        "permessage-deflate; server_max_window_bits",  # needs a value
        "permessage-deflate; server_max_window_bits=7",
        "permessage-deflate; client_max_window_bits=16",
        "permessage-deflate; server_max_window_bits=010",
        "permessage-deflate; server_no_context_takeover=1",
        "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
        "permessage-deflate; unknown_param",
        "permessage-deflate; =broken",
    ],
)
def test_negotiation_declines(offer: str | None) -> None:
    assert negotiate_deflate(offer) is None


# Client-side validation ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offer", "response", "agreement"),
    [
        (DeflateOffer(), None, None),
        (DeflateOffer(), [], None),
        (DeflateOffer(), "permessage-deflate", PerMessageDeflate()),
        (
            DeflateOffer(),
            "permessage-deflate; client_max_window_bits=9; server_max_window_bits=10",
            PerMessageDeflate(server_max_window_bits=10, client_max_window_bits=9),
        ),
        (
            DeflateOffer(client_max_window_bits=10),
            "permessage-deflate",
            PerMessageDeflate(client_max_window_bits=10),
        ),
        (
            DeflateOffer(server_no_context_takeover=True, server_max_window_bits=12),
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=11",
            PerMessageDeflate(server_no_context_takeover=True, server_max_window_bits=11),
        ),
        (
            DeflateOffer(client_no_context_takeover=True),
            "permessage-deflate",
            PerMessageDeflate(client_no_context_takeover=True),
        ),
        (
            DeflateOffer(client_max_window_bits=False),
            "permessage-deflate; client_no_context_takeover; server_no_context_takeover",
            PerMessageDeflate(True, True),
        ),
    ],
)
def test_client_accepts(
    offer: DeflateOffer, response: str | list[str] | None, agreement: PerMessageDeflate | None
) -> None:
    assert accept_deflate_response(response, offer) == agreement


@pytest.mark.parametrize(
    ("offer", "response"),
    [
        (None, "permessage-deflate"),
        (DeflateOffer(), "x-other"),
        (DeflateOffer(), "permessage-deflate, permessage-deflate"),
        (DeflateOffer(), "permessage-deflate; unknown"),
        (DeflateOffer(), "permessage-deflate; client_max_window_bits"),
        (
            DeflateOffer(client_max_window_bits=False),
            "permessage-deflate; client_max_window_bits=9",
        ),
        (DeflateOffer(client_max_window_bits=10), "permessage-deflate; client_max_window_bits=11"),
        (DeflateOffer(server_no_context_takeover=True), "permessage-deflate"),
        (DeflateOffer(server_max_window_bits=10), "permessage-deflate"),
        (DeflateOffer(server_max_window_bits=10), "permessage-deflate; server_max_window_bits=12"),
        (DeflateOffer(), "permessage-deflate; ="),
    ],
)
def test_client_rejects(offer: DeflateOffer | None, response: str) -> None:
    with pytest.raises(WSHandshakeError):
        accept_deflate_response(response, offer)


def test_offer_headers() -> None:
    assert DeflateOffer().header() == "permessage-deflate; client_max_window_bits"
    full = DeflateOffer(True, True, 10, 12).header()
    assert full == (
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
        "server_max_window_bits=10; client_max_window_bits=12"
    )
    assert DeflateOffer(client_max_window_bits=False).header() == "permessage-deflate"
    with pytest.raises(ValueError):
        DeflateOffer(server_max_window_bits=16)


@pytest.mark.parametrize(
    "offer",
    [
        DeflateOffer(),
        DeflateOffer(True, True),
        DeflateOffer(server_max_window_bits=9, client_max_window_bits=10),
        DeflateOffer(client_max_window_bits=False),
        DeflateOffer(server_max_window_bits=8, client_max_window_bits=8),
    ],
)
def test_offer_negotiate_accept_agree(offer: DeflateOffer) -> None:
    negotiated = negotiate_deflate(offer.header())
    assert negotiated is not None
    server_agreement, header = negotiated
    assert accept_deflate_response(header, offer) == server_agreement
