"""Property tests: whatever the writer encodes, the reader decodes, however it is split."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from heron.ws import (
    DeflateOffer,
    PerMessageDeflate,
    WebSocketError,
    WebSocketReader,
    WebSocketWriter,
    WSMessage,
    WSMsgType,
    accept_deflate_response,
    negotiate_deflate,
    websocket_mask,
)

FAST = settings(max_examples=80, deadline=None)

messages_st = st.lists(
    st.one_of(st.text(max_size=300), st.binary(max_size=300)), min_size=1, max_size=6
)
agreements_st = st.one_of(
    st.none(),
    st.builds(
        PerMessageDeflate,
        st.booleans(),
        st.booleans(),
        st.integers(8, 15),
        st.integers(8, 15),
    ),
)


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    pieces, last = [], 0
    for point in points:
        pieces.append(data[last:point])
        last = point
    pieces.append(data[last:])
    return pieces


@FAST
@given(
    messages=messages_st,
    is_client=st.booleans(),
    agreement=agreements_st,
    fragment=st.sampled_from([0, 1, 5, 64]),
    compress_flags=st.lists(st.booleans(), min_size=6, max_size=6),
    cuts=st.lists(st.integers(0, 10_000), max_size=8),
)
def test_round_trip(
    messages: list[str | bytes],
    is_client: bool,
    agreement: PerMessageDeflate | None,
    fragment: int,
    compress_flags: list[bool],
    cuts: list[int],
) -> None:
    writer = WebSocketWriter(is_client=is_client, compress=agreement, max_fragment_size=fragment)
    reader = WebSocketReader(is_client=not is_client, compress=agreement)
    wire = b""
    for message, flag in zip(messages, compress_flags, strict=False):
        compress = flag if agreement is not None else None
        wire += b"".join(writer.encode_message(message, compress=compress))
        wire += b"".join(writer.ping(b"x"))
    got: list[WSMessage] = []
    for piece in split(wire, cuts):
        got += reader.feed_data(piece)
    want: list[WSMessage] = []
    for message in messages:
        kind = WSMsgType.TEXT if isinstance(message, str) else WSMsgType.BINARY
        want += [WSMessage(kind, message, ""), WSMessage(WSMsgType.PING, b"x", "")]
    assert got == want
    assert reader.buffered == 0 and not reader.in_message


@FAST
@given(data=st.binary(max_size=10_000), key=st.binary(min_size=4, max_size=4))
def test_mask_round_trip(data: bytes, key: bytes) -> None:
    masked = websocket_mask(key, data)
    assert websocket_mask(key, masked) == data
    assert all(masked[i] == data[i] ^ key[i % 4] for i in range(0, len(data), 97))


@FAST
@given(data=st.binary(max_size=200), is_client=st.booleans(), deflate=st.booleans())
def test_garbage_only_raises_websocket_error(data: bytes, is_client: bool, deflate: bool) -> None:
    reader = WebSocketReader(
        is_client=is_client, max_msg_size=1000, compress=PerMessageDeflate() if deflate else None
    )
    try:
        for message in reader.feed_data(data):
            assert isinstance(message, WSMessage)
    except WebSocketError as exc:
        assert exc.code in (1002, 1007, 1009)


@FAST
@given(
    server_reset=st.booleans(),
    client_reset=st.booleans(),
    server_bits=st.none() | st.integers(8, 15),
    client_bits=st.booleans() | st.integers(8, 15),
    server_cap=st.integers(8, 15),
    client_cap=st.integers(8, 15),
)
def test_negotiation_always_agrees(
    server_reset: bool,
    client_reset: bool,
    server_bits: int | None,
    client_bits: bool | int,
    server_cap: int,
    client_cap: int,
) -> None:
    offer = DeflateOffer(server_reset, client_reset, server_bits, client_bits)
    negotiated = negotiate_deflate(
        offer.header(), server_max_window_bits=server_cap, client_max_window_bits=client_cap
    )
    assert negotiated is not None
    server_side, header = negotiated
    client_side = accept_deflate_response(header, offer)
    assert client_side is not None
    # Both sides agree on everything either of them relies on.
    assert client_side.server_no_context_takeover == server_side.server_no_context_takeover
    assert client_side.client_no_context_takeover == server_side.client_no_context_takeover
    assert client_side.client_max_window_bits == server_side.client_max_window_bits
    if server_bits is not None:
        assert server_side.server_max_window_bits <= server_bits
    # And messages flow both ways with those settings.
    text = "negotiated " * 20
    for sender, receiver, is_client in (
        (client_side, server_side, True),
        (server_side, client_side, False),
    ):
        frames = WebSocketWriter(is_client=is_client, compress=sender).encode_message(text)
        reader = WebSocketReader(is_client=not is_client, compress=receiver)
        assert reader.feed_data(b"".join(frames)) == [WSMessage(WSMsgType.TEXT, text, "")]
