"""WebSocketReader: RFC 6455 vectors, fragmentation, limits and every error path."""

from __future__ import annotations

import zlib

import pytest

from heron.ws import (
    PerMessageDeflate,
    WebSocketError,
    WebSocketReader,
    WSCloseCode,
    WSMessage,
    WSMsgType,
    build_frame,
)

TEXT, BINARY, CONT = WSMsgType.TEXT, WSMsgType.BINARY, WSMsgType.CONTINUATION
CLOSE, PING, PONG = WSMsgType.CLOSE, WSMsgType.PING, WSMsgType.PONG
DEFLATE = PerMessageDeflate()


def client_reader(**kwargs: object) -> WebSocketReader:
    """A reader on the client side: it receives the server's unmasked frames."""
    return WebSocketReader(is_client=True, **kwargs)  # type: ignore[arg-type]


def server_reader(**kwargs: object) -> WebSocketReader:
    """A reader on the server side: it receives the client's masked frames."""
    return WebSocketReader(is_client=False, **kwargs)  # type: ignore[arg-type]


def masked(opcode: int, payload: bytes, *, fin: bool = True) -> bytes:
    return build_frame(opcode, payload, mask=True, fin=fin)


def raw_deflate(data: bytes) -> bytes:
    comp = zlib.compressobj(wbits=-15)
    out = comp.compress(data) + comp.flush(zlib.Z_SYNC_FLUSH)
    assert out.endswith(b"\x00\x00\xff\xff")
    return out[:-4]


def error_of(reader: WebSocketReader, data: bytes) -> WebSocketError:
    with pytest.raises(WebSocketError) as info:
        reader.feed_data(data)
    return info.value


# RFC 6455 §5.7 examples ------------------------------------------------------------------


def test_rfc_single_frame_unmasked_text() -> None:
    data = bytes.fromhex("810548656c6c6f")
    assert client_reader().feed_data(data) == [WSMessage(TEXT, "Hello", "")]


def test_rfc_single_frame_masked_text() -> None:
    data = bytes.fromhex("818537fa213d7f9f4d5158")
    assert server_reader().feed_data(data) == [WSMessage(TEXT, "Hello", "")]


def test_rfc_fragmented_unmasked_text() -> None:
    reader = client_reader()
    assert reader.feed_data(bytes.fromhex("010348656c")) == []
    assert reader.in_message
    assert reader.feed_data(bytes.fromhex("80026c6f")) == [WSMessage(TEXT, "Hello", "")]
    assert not reader.in_message


def test_rfc_unmasked_ping_and_masked_pong() -> None:
    assert client_reader().feed_data(bytes.fromhex("890548656c6c6f")) == [
        WSMessage(PING, b"Hello", "")
    ]
    assert server_reader().feed_data(bytes.fromhex("8a8537fa213d7f9f4d5158")) == [
        WSMessage(PONG, b"Hello", "")
    ]


def test_rfc_256_byte_binary_uses_16_bit_length() -> None:
    payload = bytes(range(256))
    data = bytes.fromhex("827e0100") + payload
    assert client_reader().feed_data(data) == [WSMessage(BINARY, payload, "")]


def test_rfc_64kib_binary_uses_64_bit_length() -> None:
    payload = bytes(range(256)) * 256
    data = bytes.fromhex("827f0000000000010000") + payload
    assert client_reader().feed_data(data) == [WSMessage(BINARY, payload, "")]


def test_large_masked_frame_is_unmasked() -> None:
    payload = bytes(range(256)) * 1024  # above the translate threshold
    assert server_reader().feed_data(masked(BINARY, payload)) == [WSMessage(BINARY, payload, "")]


# Fragmentation and incremental feeding --------------------------------------------------


def _fragmented_stream() -> tuple[bytes, list[WSMessage]]:
    stream = b"".join(
        [
            masked(TEXT, "héllo ".encode(), fin=False),
            masked(PING, b"p1"),
            masked(CONT, "wörld ".encode()[:2], fin=False),  # splits nothing yet
            masked(CONT, "wörld ".encode()[2:], fin=False),
            masked(PONG, b""),
            masked(CONT, "€".encode()[:1], fin=False),  # a character split across frames
            masked(CONT, "€".encode()[1:], fin=True),
            masked(BINARY, b"\x00\x01", fin=False),
            masked(CONT, b"\x02", fin=True),
            masked(CLOSE, (1000).to_bytes(2, "big") + b"bye"),
        ]
    )
    expected = [
        WSMessage(PING, b"p1", ""),
        WSMessage(PONG, b"", ""),
        WSMessage(TEXT, "héllo wörld €", ""),
        WSMessage(BINARY, b"\x00\x01\x02", ""),
        WSMessage(CLOSE, 1000, "bye"),
    ]
    return stream, expected


def test_interleaved_control_frames_come_out_at_once() -> None:
    stream, expected = _fragmented_stream()
    assert server_reader().feed_data(stream) == expected


def test_split_at_every_byte_boundary() -> None:
    stream, expected = _fragmented_stream()
    for cut in range(len(stream) + 1):
        reader = server_reader()
        got = reader.feed_data(stream[:cut]) + reader.feed_data(stream[cut:])
        assert got == expected, cut
        assert reader.buffered == 0


def test_one_byte_at_a_time() -> None:
    stream, expected = _fragmented_stream()
    reader = server_reader()
    got: list[WSMessage] = []
    for i in range(len(stream)):
        got += reader.feed_data(stream[i : i + 1])
    assert got == expected


@pytest.mark.parametrize("size", [126, 300, 65535, 65536, 70000])
def test_extended_lengths_split_inside_the_header(size: int) -> None:
    frame = build_frame(BINARY, b"y" * size)
    for cut in range(1, 11):
        reader = client_reader()
        assert reader.feed_data(frame[:cut]) == []
        assert reader.feed_data(frame[cut:]) == [WSMessage(BINARY, b"y" * size, "")]


def test_accepts_bytearray_and_memoryview() -> None:
    data = bytes.fromhex("810548656c6c6f")
    assert client_reader().feed_data(bytearray(data)) == [WSMessage(TEXT, "Hello", "")]
    reader = client_reader()
    assert reader.feed_data(memoryview(data)[:3]) == []
    assert reader.feed_data(memoryview(data)[3:]) == [WSMessage(TEXT, "Hello", "")]


def test_empty_messages() -> None:
    data = build_frame(TEXT, b"") + build_frame(BINARY, b"") + build_frame(TEXT, b"", fin=False)
    data += build_frame(CONT, b"")
    assert client_reader().feed_data(data) == [
        WSMessage(TEXT, "", ""),
        WSMessage(BINARY, b"", ""),
        WSMessage(TEXT, "", ""),
    ]


def test_close_frames() -> None:
    reader = client_reader()
    assert reader.feed_data(build_frame(CLOSE, b"")) == [WSMessage(CLOSE, 0, "")]
    payload = (4999).to_bytes(2, "big") + "ünïcode".encode()
    assert reader.feed_data(build_frame(CLOSE, payload)) == [WSMessage(CLOSE, 4999, "ünïcode")]


@pytest.mark.parametrize("code", [1000, 1001, 1002, 1003, 1007, 1011, 1012, 1014, 3000, 4999])
def test_valid_close_codes(code: int) -> None:
    frame = build_frame(CLOSE, code.to_bytes(2, "big"))
    assert client_reader().feed_data(frame) == [WSMessage(CLOSE, code, "")]


# Error paths ---------------------------------------------------------------------------


@pytest.mark.parametrize("code", [0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535])
def test_invalid_close_codes(code: int) -> None:
    err = error_of(client_reader(), build_frame(CLOSE, code.to_bytes(2, "big")))
    assert err.code == WSCloseCode.PROTOCOL_ERROR


def test_close_payload_of_one_byte() -> None:
    err = error_of(client_reader(), build_frame(CLOSE, b"\x03"))
    assert err.code == WSCloseCode.PROTOCOL_ERROR


def test_close_reason_invalid_utf8() -> None:
    err = error_of(client_reader(), build_frame(CLOSE, b"\x03\xe8\xff\xfe"))
    assert err.code == WSCloseCode.INVALID_TEXT


def test_server_refuses_unmasked_frames() -> None:
    err = error_of(server_reader(), build_frame(TEXT, b"hi"))
    assert err.code == WSCloseCode.PROTOCOL_ERROR
    assert "mask" in str(err)


def test_client_refuses_masked_frames() -> None:
    err = error_of(client_reader(), masked(TEXT, b"hi"))
    assert err.code == WSCloseCode.PROTOCOL_ERROR


@pytest.mark.parametrize("opcode", [3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF])
def test_reserved_opcodes(opcode: int) -> None:
    err = error_of(client_reader(), build_frame(opcode, b""))
    assert err.code == WSCloseCode.PROTOCOL_ERROR


@pytest.mark.parametrize("first_byte", [0xC1, 0xA1, 0x91, 0xF1])
def test_reserved_bits_without_extension(first_byte: int) -> None:
    err = error_of(client_reader(), bytes((first_byte, 0)))
    assert err.code == WSCloseCode.PROTOCOL_ERROR


@pytest.mark.parametrize("first_byte", [0xA1, 0x91, 0xE1])
def test_rsv2_rsv3_refused_even_with_deflate(first_byte: int) -> None:
    err = error_of(client_reader(compress=DEFLATE), bytes((first_byte, 0)))
    assert err.code == WSCloseCode.PROTOCOL_ERROR


@pytest.mark.parametrize("opcode", [CLOSE, PING, PONG])
def test_fragmented_control_frame(opcode: int) -> None:
    err = error_of(client_reader(), build_frame(opcode, b"", fin=False))
    assert err.code == WSCloseCode.PROTOCOL_ERROR


@pytest.mark.parametrize("opcode", [CLOSE, PING, PONG])
def test_control_frame_over_125_bytes(opcode: int) -> None:
    # Refused from the header alone, before the payload arrives.
    frame = build_frame(opcode, b"\x03\xe8" + b"x" * 124)
    err = error_of(client_reader(), frame[:4])
    assert err.code == WSCloseCode.PROTOCOL_ERROR


def test_control_frame_of_125_bytes_is_fine() -> None:
    assert client_reader().feed_data(build_frame(PING, b"x" * 125)) == [
        WSMessage(PING, b"x" * 125, "")
    ]


def test_compressed_control_frame() -> None:
    err = error_of(client_reader(compress=DEFLATE), build_frame(PING, b"", rsv1=True))
    assert err.code == WSCloseCode.PROTOCOL_ERROR


def test_continuation_without_message() -> None:
    err = error_of(client_reader(), build_frame(CONT, b"x"))
    assert err.code == WSCloseCode.PROTOCOL_ERROR


@pytest.mark.parametrize("opcode", [TEXT, BINARY])
def test_new_message_inside_fragmented_message(opcode: int) -> None:
    reader = client_reader()
    reader.feed_data(build_frame(TEXT, b"a", fin=False))
    err = error_of(reader, build_frame(opcode, b"b"))
    assert err.code == WSCloseCode.PROTOCOL_ERROR


def test_rsv1_on_continuation_frame() -> None:
    reader = client_reader(compress=DEFLATE)
    reader.feed_data(build_frame(TEXT, raw_deflate(b"ab"), fin=False, rsv1=True))
    err = error_of(reader, build_frame(CONT, b"", rsv1=True))
    assert err.code == WSCloseCode.PROTOCOL_ERROR


def test_64_bit_length_with_top_bit_set() -> None:
    data = bytes((0x82, 127)) + (1 << 63).to_bytes(8, "big")
    err = error_of(client_reader(max_msg_size=0), data)
    assert err.code == WSCloseCode.PROTOCOL_ERROR


def test_invalid_utf8_single_frame() -> None:
    err = error_of(client_reader(), build_frame(TEXT, b"\xce\xba\xe1\xbd\xb9\xcf\x83\xff"))
    assert err.code == WSCloseCode.INVALID_TEXT


def test_invalid_utf8_fails_fast_in_first_fragment() -> None:
    reader = client_reader()
    err = error_of(reader, build_frame(TEXT, b"ok\xff", fin=False))
    assert err.code == WSCloseCode.INVALID_TEXT


def test_truncated_utf8_at_end_of_fragmented_message() -> None:
    reader = client_reader()
    assert reader.feed_data(build_frame(TEXT, b"ok\xe2\x82", fin=False)) == []
    err = error_of(reader, build_frame(CONT, b""))
    assert err.code == WSCloseCode.INVALID_TEXT


def test_message_too_big_single_frame_refused_from_header() -> None:
    frame = build_frame(BINARY, b"x" * 101)
    err = error_of(client_reader(max_msg_size=100), frame[:4])
    assert err.code == WSCloseCode.MESSAGE_TOO_BIG


def test_message_at_limit_is_fine() -> None:
    frame = build_frame(BINARY, b"x" * 100)
    assert client_reader(max_msg_size=100).feed_data(frame) == [WSMessage(BINARY, b"x" * 100, "")]


def test_message_too_big_across_fragments() -> None:
    reader = client_reader(max_msg_size=100)
    reader.feed_data(build_frame(TEXT, b"x" * 60, fin=False))
    err = error_of(reader, build_frame(CONT, b"x" * 41))
    assert err.code == WSCloseCode.MESSAGE_TOO_BIG


def test_max_msg_size_zero_means_unlimited() -> None:
    payload = b"x" * (5 * 1024 * 1024)
    assert client_reader(max_msg_size=0).feed_data(build_frame(BINARY, payload)) == [
        WSMessage(BINARY, payload, "")
    ]


def test_error_is_sticky_and_keeps_earlier_messages() -> None:
    reader = client_reader()
    data = build_frame(TEXT, b"first") + build_frame(PING, b"p") + build_frame(3, b"")
    err = error_of(reader, data)
    assert err.messages == [WSMessage(TEXT, "first", ""), WSMessage(PING, b"p", "")]
    again = error_of(reader, build_frame(TEXT, b"later"))
    assert again.code == err.code == WSCloseCode.PROTOCOL_ERROR


# Compressed messages --------------------------------------------------------------------


def test_compressed_message_over_limit_once_decompressed() -> None:
    bomb = raw_deflate(b"\x00" * 1_000_000)
    assert len(bomb) < 2000
    err = error_of(
        client_reader(compress=DEFLATE, max_msg_size=1000), build_frame(2, bomb, rsv1=True)
    )
    assert err.code == WSCloseCode.MESSAGE_TOO_BIG


def test_compressed_fragmented_message_over_limit() -> None:
    data = raw_deflate(b"a" * 3000)
    reader = client_reader(compress=DEFLATE, max_msg_size=2000)
    reader.feed_data(build_frame(TEXT, data[:3], fin=False, rsv1=True))
    err = error_of(reader, build_frame(CONT, data[3:]))
    assert err.code == WSCloseCode.MESSAGE_TOO_BIG


def test_compressed_message_exactly_at_limit() -> None:
    data = raw_deflate(b"a" * 2000)
    reader = client_reader(compress=DEFLATE, max_msg_size=2000)
    assert reader.feed_data(build_frame(TEXT, data, rsv1=True)) == [WSMessage(TEXT, "a" * 2000, "")]


def test_compressed_raw_size_is_bounded_too() -> None:
    reader = client_reader(compress=DEFLATE, max_msg_size=1000)
    err = error_of(reader, bytes((0xC2, 126)) + (5000).to_bytes(2, "big"))
    assert err.code == WSCloseCode.MESSAGE_TOO_BIG


def test_corrupt_compressed_data() -> None:
    err = error_of(client_reader(compress=DEFLATE), build_frame(BINARY, b"\xff\xff\xff", rsv1=True))
    assert err.code == WSCloseCode.PROTOCOL_ERROR


def test_compressed_invalid_utf8() -> None:
    frame = build_frame(TEXT, raw_deflate(b"\xff\xfe"), rsv1=True)
    err = error_of(client_reader(compress=DEFLATE), frame)
    assert err.code == WSCloseCode.INVALID_TEXT


def test_compressed_and_plain_messages_mixed() -> None:
    reader = client_reader(compress=DEFLATE)
    data = (
        build_frame(TEXT, raw_deflate(b"zipped"), rsv1=True)
        + build_frame(TEXT, b"plain")
        + build_frame(BINARY, b"pl", fin=False)
        + build_frame(CONT, b"ain")
    )
    assert reader.feed_data(data) == [
        WSMessage(TEXT, "zipped", ""),
        WSMessage(TEXT, "plain", ""),
        WSMessage(BINARY, b"plain", ""),
    ]
