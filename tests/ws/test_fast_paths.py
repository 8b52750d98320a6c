"""The readers' and writers' fast paths give exactly what the general paths give.

`WebSocketReader.feed_frame` takes one whole small data frame; for anything else it
returns None and consumes nothing, and `feed_data` decides (errors included).
`WebSocketWriter.text_headers` lets a sender build a plain TEXT frame itself.
"""

from __future__ import annotations

import os

import pytest

from heron.ws import (
    PerMessageDeflate,
    WebSocketError,
    WebSocketReader,
    WebSocketWriter,
    WSCloseCode,
    WSMessage,
    WSMsgType,
    build_frame,
)

TEXT, BINARY = WSMsgType.TEXT, WSMsgType.BINARY


def frame_for(is_client: bool, opcode: int, payload: bytes, **kwargs: bool) -> bytes:
    """A frame as the peer of a reader with `is_client` sends it (servers mask, clients not)."""
    return build_frame(opcode, payload, mask=not is_client, **kwargs)


@pytest.mark.parametrize("is_client", [False, True])
def test_every_small_length_matches_feed_data(is_client: bool) -> None:
    for length in range(126):
        payload = os.urandom(length)
        text = ("é" * length).encode("utf-8")[:length].decode("utf-8", "ignore").encode()
        for opcode, data in ((BINARY, payload), (TEXT, text)):
            frame = frame_for(is_client, opcode, data)
            fast = WebSocketReader(is_client=is_client).feed_frame(frame)
            general = WebSocketReader(is_client=is_client).feed_data(frame)
            assert fast is not None
            assert [fast] == general
            assert fast.data == (data if opcode == BINARY else data.decode())
            assert type(fast.data) is (bytes if opcode == BINARY else str)


@pytest.mark.parametrize("is_client", [False, True])
def test_fast_path_keeps_the_reader_usable(is_client: bool) -> None:
    reader = WebSocketReader(is_client=is_client)
    for i in range(3):
        msg = reader.feed_frame(frame_for(is_client, TEXT, f"m{i}".encode()))
        assert msg == WSMessage(TEXT, f"m{i}", "")
    # The general path goes on where the fast one left off.
    assert reader.feed_data(frame_for(is_client, BINARY, b"x" * 300)) == [
        WSMessage(BINARY, b"x" * 300, "")
    ]
    assert reader.buffered == 0 and not reader.in_message


def _declined_inputs(is_client: bool) -> dict[str, bytes]:
    def f(opcode: int, payload: bytes, **kwargs: bool) -> bytes:
        return frame_for(is_client, opcode, payload, **kwargs)

    whole = f(TEXT, b"hello")
    return {
        "empty": b"",
        "one byte": whole[:1],
        "partial frame": whole[:-1],
        "two frames": whole + whole,
        "ping": f(WSMsgType.PING, b"p"),
        "close": f(WSMsgType.CLOSE, b"\x03\xe8"),
        "fragment": f(TEXT, b"hel", fin=False),
        "continuation": f(WSMsgType.CONTINUATION, b"lo"),
        "compressed": f(TEXT, b"\x00", rsv1=True),
        "126 bytes": f(BINARY, b"x" * 126),
        "wrong masking": build_frame(TEXT, b"hello", mask=is_client),
        "invalid utf-8": f(TEXT, b"\xff\xfe"),
    }


@pytest.mark.parametrize("is_client", [False, True])
def test_anything_else_is_left_to_feed_data(is_client: bool) -> None:
    for name, data in _declined_inputs(is_client).items():
        reader = WebSocketReader(is_client=is_client)
        assert reader.feed_frame(data) is None, name
        assert reader.buffered == 0, name  # nothing was consumed


def test_declined_errors_are_reported_by_feed_data() -> None:
    reader = WebSocketReader(is_client=False)
    bad_text = build_frame(TEXT, b"\xff\xfe", mask=True)
    assert reader.feed_frame(bad_text) is None
    with pytest.raises(WebSocketError) as info:
        reader.feed_data(bad_text)
    assert info.value.code == WSCloseCode.INVALID_TEXT
    # A failed reader takes no fast path either: feed_data keeps raising.
    good = build_frame(TEXT, b"ok", mask=True)
    assert reader.feed_frame(good) is None
    with pytest.raises(WebSocketError):
        reader.feed_data(good)


def test_not_while_bytes_or_a_fragmented_message_are_pending() -> None:
    reader = WebSocketReader(is_client=False)
    whole = build_frame(TEXT, b"hello", mask=True)
    assert reader.feed_data(whole[:3]) == []
    assert reader.feed_frame(whole) is None  # 3 bytes are buffered before it
    assert reader.feed_data(whole[3:]) == [WSMessage(TEXT, "hello", "")]
    assert reader.feed_frame(whole) == WSMessage(TEXT, "hello", "")

    assert reader.feed_data(build_frame(TEXT, b"he", mask=True, fin=False)) == []
    assert reader.feed_frame(whole) is None  # a new message inside one is an error...
    with pytest.raises(WebSocketError) as info:
        reader.feed_data(whole)  # ...that feed_data reports
    assert info.value.code == WSCloseCode.PROTOCOL_ERROR


def test_max_msg_size_still_applies() -> None:
    reader = WebSocketReader(is_client=False, max_msg_size=4)
    assert reader.feed_frame(build_frame(TEXT, b"four", mask=True)) == WSMessage(TEXT, "four", "")
    five = build_frame(TEXT, b"fives", mask=True)
    assert reader.feed_frame(five) is None
    with pytest.raises(WebSocketError) as info:
        reader.feed_data(five)
    assert info.value.code == WSCloseCode.MESSAGE_TOO_BIG


def test_text_headers_only_for_plain_server_writers() -> None:
    headers = WebSocketWriter(is_client=False).text_headers
    assert headers is not None and len(headers) == 126
    for length in (0, 1, 125):
        payload = b"a" * length
        assert headers[length] + payload == build_frame(TEXT, payload)
    assert WebSocketWriter(is_client=True).text_headers is None
    assert WebSocketWriter(is_client=False, compress=PerMessageDeflate()).text_headers is None
    assert WebSocketWriter(is_client=False, max_fragment_size=10).text_headers is None


@pytest.mark.parametrize("length", [0, 125, 126, 65535, 65536, 70000])
def test_plain_server_text_at_every_header_size(length: int) -> None:
    text = "t" * length
    frames = WebSocketWriter(is_client=False).encode_message(text)
    assert b"".join(frames) == build_frame(TEXT, text.encode())
    assert WebSocketReader(is_client=True, max_msg_size=0).feed_data(b"".join(frames)) == [
        WSMessage(TEXT, text, "")
    ]


def test_plain_server_writer_still_refuses_compression() -> None:
    with pytest.raises(ValueError, match="not negotiated"):
        WebSocketWriter(is_client=False).encode_message("x", compress=True)


@pytest.mark.parametrize("is_client", [False, True])
@pytest.mark.parametrize("kind", [bytearray, memoryview])
def test_any_bytes_like_input(is_client: bool, kind: type) -> None:
    for opcode, payload in ((TEXT, b"text"), (BINARY, b"\x00\xff")):
        msg = WebSocketReader(is_client=is_client).feed_frame(
            kind(frame_for(is_client, opcode, payload))
        )
        assert msg is not None
        assert msg.data == (payload.decode() if opcode == TEXT else payload)
        assert type(msg.data) is (str if opcode == TEXT else bytes)
