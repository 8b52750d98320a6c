"""Frame serialisation: RFC 6455 vectors, masking, fragmentation, control frames."""

from __future__ import annotations

import itertools

import pytest

from heron.ws import (
    PerMessageDeflate,
    WebSocketReader,
    WebSocketWriter,
    WSMessage,
    WSMsgType,
    build_close,
    build_frame,
    close_payload,
    websocket_mask,
)

KEY = bytes.fromhex("37fa213d")


def fixed_key(size: int) -> bytes:
    assert size == 4
    return KEY


def test_rfc_unmasked_text() -> None:
    assert build_frame(WSMsgType.TEXT, b"Hello") == bytes.fromhex("810548656c6c6f")


def test_rfc_masked_text_with_fixed_key() -> None:
    frame = build_frame(WSMsgType.TEXT, b"Hello", mask=True, random=fixed_key)
    assert frame == bytes.fromhex("818537fa213d7f9f4d5158")


def test_rfc_fragments_and_pong() -> None:
    assert build_frame(WSMsgType.TEXT, b"Hel", fin=False) == bytes.fromhex("010348656c")
    assert build_frame(WSMsgType.CONTINUATION, b"lo") == bytes.fromhex("80026c6f")
    pong = build_frame(WSMsgType.PONG, b"Hello", mask=True, random=fixed_key)
    assert pong == bytes.fromhex("8a8537fa213d7f9f4d5158")


@pytest.mark.parametrize(
    ("size", "header"),
    [
        (125, "827d"),
        (126, "827e007e"),
        (256, "827e0100"),
        (65535, "827effff"),
        (65536, "827f0000000000010000"),
    ],
)
def test_length_encodings(size: int, header: str) -> None:
    payload = b"\xab" * size
    assert build_frame(WSMsgType.BINARY, payload) == bytes.fromhex(header) + payload


def test_rsv1_bit() -> None:
    assert build_frame(WSMsgType.TEXT, b"", rsv1=True) == b"\xc1\x00"


def test_bad_opcode() -> None:
    with pytest.raises(ValueError):
        build_frame(16, b"")


def test_mask_helper_is_an_involution() -> None:
    for size in (0, 1, 3, 4, 5, 4095, 4096, 4097, 100_003):
        data = bytes(itertools.islice(itertools.cycle(range(251)), size))
        once = websocket_mask(KEY, data)
        assert len(once) == size
        assert websocket_mask(KEY, once) == data
        if size:
            assert once[0] == data[0] ^ KEY[0]
            assert once[-1] == data[-1] ^ KEY[(size - 1) % 4]
    with pytest.raises(ValueError):
        websocket_mask(b"abc", b"data")


def test_close_payload_rules() -> None:
    assert close_payload() == b"\x03\xe8"
    assert close_payload(1001, "bye") == b"\x03\xe9bye"
    assert close_payload(None) == b""
    assert build_close(4000, b"x") == b"\x88\x03\x0f\xa0x"
    for code in (999, 1005, 1006, 1015, 2000, 5000):
        with pytest.raises(ValueError):
            close_payload(code)
    with pytest.raises(ValueError):
        close_payload(1000, "x" * 124)
    with pytest.raises(ValueError):
        close_payload(None, "reason without code")
    assert len(close_payload(1000, "x" * 123)) == 125


def test_server_writer_does_not_mask() -> None:
    writer = WebSocketWriter(is_client=False)
    assert b"".join(writer.encode_message("Hello")) == bytes.fromhex("810548656c6c6f")
    assert b"".join(writer.encode_message(b"\x01")) == b"\x82\x01\x01"
    assert b"".join(writer.encode_message(bytearray(b"ab"), WSMsgType.TEXT)) == b"\x81\x02ab"


def test_client_writer_masks_with_fresh_keys() -> None:
    writer = WebSocketWriter(is_client=True)
    first = b"".join(writer.encode_message("Hello"))
    second = b"".join(writer.encode_message("Hello"))
    assert first[1] == 0x85 and second[1] == 0x85
    reader = WebSocketReader(is_client=False)
    assert reader.feed_data(first + second) == [WSMessage(WSMsgType.TEXT, "Hello", "")] * 2


def test_fragmentation() -> None:
    writer = WebSocketWriter(is_client=False, max_fragment_size=4)
    frames = writer.encode_message("abcdefghij")
    assert frames == [b"\x01\x04abcd", b"\x00\x04efgh", b"\x80\x02ij"]
    assert writer.encode_message("abcd") == [b"\x81\x04abcd"]
    assert writer.encode_message("abcdefgh") == [b"\x01\x04abcd", b"\x80\x04efgh"]


def test_fragmented_compressed_message_sets_rsv1_on_first_frame_only() -> None:
    agreement = PerMessageDeflate()
    writer = WebSocketWriter(is_client=True, compress=agreement, max_fragment_size=3)
    text = "compress me, compress me, compress me!"
    frames = writer.encode_message(text)
    assert len(frames) > 1
    assert frames[0][0] == 0x41
    assert all(frame[0] & 0x70 == 0 for frame in frames[1:])
    reader = WebSocketReader(is_client=False, compress=agreement)
    assert reader.feed_data(b"".join(frames)) == [WSMessage(WSMsgType.TEXT, text, "")]


def test_large_frame_is_returned_without_copying_into_the_header() -> None:
    payload = b"z" * 100_000
    frames = WebSocketWriter(is_client=False).encode_message(payload)
    assert frames == [b"\x82\x7f" + (100_000).to_bytes(8, "big"), payload]


def test_compression_choices() -> None:
    agreement = PerMessageDeflate()
    writer = WebSocketWriter(is_client=False, compress=agreement, compress_threshold=10)
    assert writer.encode_message("short")[0][0] == 0x81  # under the threshold
    assert writer.encode_message("short", compress=True)[0][0] == 0xC1
    assert writer.encode_message("long enough text")[0][0] == 0xC1
    assert writer.encode_message("long enough text", compress=False)[0][0] == 0x81
    with pytest.raises(ValueError):
        WebSocketWriter(is_client=False).encode_message("x", compress=True)


def test_control_frames() -> None:
    writer = WebSocketWriter(is_client=False)
    assert writer.ping() == [b"\x89\x00"]
    assert writer.ping("é") == [b"\x89\x02\xc3\xa9"]
    assert writer.pong(b"p") == [b"\x8a\x01p"]
    assert writer.close() == [b"\x88\x02\x03\xe8"]
    assert writer.close(1001, "away") == [b"\x88\x06\x03\xe9away"]
    with pytest.raises(ValueError):
        writer.ping(b"x" * 126)


def test_encode_message_refuses_control_opcodes() -> None:
    with pytest.raises(ValueError):
        WebSocketWriter(is_client=False).encode_message(b"x", WSMsgType.PING)


def test_client_control_frames_are_masked_and_readable() -> None:
    writer = WebSocketWriter(is_client=True)
    data = b"".join(writer.ping(b"hi") + writer.pong() + writer.close(1000, "done"))
    assert WebSocketReader(is_client=False).feed_data(data) == [
        WSMessage(WSMsgType.PING, b"hi", ""),
        WSMessage(WSMsgType.PONG, b"", ""),
        WSMessage(WSMsgType.CLOSE, 1000, "done"),
    ]
