"""MultipartWriter: part headers, encodings, boundaries, size, round trips (B-222..B-227)."""

from __future__ import annotations

import gzip
import io
import json
import pathlib

import pytest
from multidict import CIMultiDict
from multipart_helpers import serialize, stream_of

import heron as aiohttp
from heron import hdrs
from heron.multipart import BodyPartReader, MultipartReader, MultipartWriter
from heron.payload import BytesPayload, StringPayload, get_payload


async def read_back(writer: MultipartWriter) -> list[tuple[CIMultiDict[str], bytes]]:
    """Parse what ``writer`` writes with heron's reader: (headers, decoded data) per part."""
    body = await serialize(writer)
    reader = MultipartReader(writer.headers, stream_of([body]))
    out = []
    async for part in reader:
        assert isinstance(part, BodyPartReader)
        out.append((CIMultiDict(part.headers), bytes(await part.read(decode=True))))
    return out


async def test_default_subtype_and_custom_boundary() -> None:
    # B-227
    writer = MultipartWriter()
    assert writer.headers[hdrs.CONTENT_TYPE] == f"multipart/mixed; boundary={writer.boundary}"
    assert len(writer.boundary) <= 70
    assert MultipartWriter().boundary != writer.boundary
    custom = MultipartWriter("related", boundary="my-boundary")
    assert custom.headers[hdrs.CONTENT_TYPE] == "multipart/related; boundary=my-boundary"
    assert custom.content_type == custom.headers[hdrs.CONTENT_TYPE]


def test_boundary_quoted_when_needed() -> None:
    writer = MultipartWriter("mixed", boundary="a b:c")
    assert writer.headers[hdrs.CONTENT_TYPE] == 'multipart/mixed; boundary="a b:c"'


@pytest.mark.parametrize("bad", ["", "x" * 71, "a\r\nb", 'a"b', "ends-with-space ", "é"])
def test_bad_boundaries_rejected(bad: str) -> None:
    with pytest.raises(ValueError):
        MultipartWriter(boundary=bad)


def test_seventy_char_boundary_accepted() -> None:
    assert MultipartWriter(boundary="b" * 70).boundary == "b" * 70


async def test_append_str_and_bytes_defaults() -> None:
    # B-222
    with MultipartWriter("mixed", boundary="xyz") as writer:
        text = writer.append("hello")
        raw = writer.append(b"aiohttp")
    assert text.headers[hdrs.CONTENT_TYPE] == "text/plain; charset=utf-8"
    assert raw.headers[hdrs.CONTENT_TYPE] == "application/octet-stream"
    assert len(writer) == 2
    assert list(writer) == [text, raw]
    body = await serialize(writer)
    assert body == (
        b"--xyz\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhello\r\n"
        b"--xyz\r\nContent-Type: application/octet-stream\r\n\r\naiohttp\r\n"
        b"--xyz--\r\n"
    )
    assert writer.size == len(body)


async def test_headers_override_defaults() -> None:
    writer = MultipartWriter()
    part = writer.append(io.BytesIO(b"GIF89a..."), {"CONTENT-TYPE": "image/gif"})
    assert part.headers[hdrs.CONTENT_TYPE] == "image/gif"
    [(headers, data)] = await read_back(writer)
    assert (headers["content-type"], data) == ("image/gif", b"GIF89a...")


async def test_append_open_file(tmp_path: pathlib.Path) -> None:
    # B-223
    path = tmp_path / "report.json"
    path.write_bytes(b'{"a": 1}')
    writer = MultipartWriter()
    with path.open("rb") as f:
        part = writer.append(f)
        assert part.headers[hdrs.CONTENT_TYPE] == "application/json"
        assert 'filename="report.json"' in part.headers[hdrs.CONTENT_DISPOSITION]
        [(headers, data)] = await read_back(writer)
    assert data == b'{"a": 1}'
    assert headers[hdrs.CONTENT_DISPOSITION].startswith("attachment")


async def test_set_content_disposition_is_quoted() -> None:
    # B-224
    writer = MultipartWriter()
    part = writer.append(b"secret")
    part.set_content_disposition("attachment", filename="secret.txt")
    part.headers[hdrs.CONTENT_ID] = "X-12345"
    assert part.headers[hdrs.CONTENT_DISPOSITION] == 'attachment; filename="secret.txt"'
    body = await serialize(writer)
    reader = MultipartReader(writer.headers, stream_of([body]))
    got = await reader.next()
    assert isinstance(got, BodyPartReader)
    assert got.filename == "secret.txt"
    assert got.headers[hdrs.CONTENT_ID] == "X-12345"


@pytest.mark.parametrize(
    ("ce", "cte"),
    [
        ("gzip", None),
        ("deflate", None),
        (None, "base64"),
        (None, "quoted-printable"),
        ("gzip", "base64"),
    ],
)
async def test_part_encodings_applied_while_writing(ce: str | None, cte: str | None) -> None:
    # B-225 (and the other codings): applied on the way out, undone by the reader.
    data = ("line with ünïcode and = signs\n" * 400).encode()
    writer = MultipartWriter()
    part = writer.append(data)
    if ce:
        part.headers[hdrs.CONTENT_ENCODING] = ce
    if cte:
        part.headers[hdrs.CONTENT_TRANSFER_ENCODING] = cte
    assert writer.size is None  # encoded size is not known upfront
    body = await serialize(writer)
    assert data not in body
    [(_, decoded)] = await read_back(writer)
    assert decoded == data
    if ce == "gzip" and not cte:
        start = body.index(b"\r\n\r\n") + 4
        assert gzip.decompress(body[start : body.rindex(b"\r\n--")]) == data


async def test_base64_lines_are_short() -> None:
    writer = MultipartWriter()
    writer.append(b"\x00" * 5000, {hdrs.CONTENT_TRANSFER_ENCODING: "base64"})
    body = await serialize(writer)
    assert max(len(line) for line in body.split(b"\r\n")) <= 76


def test_unknown_encoding_rejected_on_append() -> None:
    writer = MultipartWriter()
    with pytest.raises(RuntimeError):
        writer.append(b"x", {hdrs.CONTENT_ENCODING: "snappy"})
    with pytest.raises(RuntimeError):
        writer.append(b"x", {hdrs.CONTENT_TRANSFER_ENCODING: "uuencode"})


async def test_append_json_and_form() -> None:
    writer = MultipartWriter()
    writer.append_json({"test": "passed"})
    writer.append_form([("key", "value"), ("k2", "ü")])
    writer.append_form({"a": "b"})
    parts = await read_back(writer)
    assert parts[0][0][hdrs.CONTENT_TYPE].startswith("application/json")
    assert json.loads(parts[0][1]) == {"test": "passed"}
    assert parts[1][0][hdrs.CONTENT_TYPE] == "application/x-www-form-urlencoded"
    assert parts[1][1] == b"key=value&k2=%C3%BC"
    assert parts[2][1] == b"a=b"


async def test_nested_writers_round_trip() -> None:
    # B-226: what the writer writes parses back into the same parts.
    with MultipartWriter("mixed") as root:
        root.append_json({"_id": "foo"})
        with MultipartWriter("related") as sub:
            sub.append_json({"_id": "bar"})
            attachment = sub.append(b"bar! bar! bar!")
            attachment.set_content_disposition("attachment", filename="bar.txt")
        root.append(sub)
    assert root.size is not None
    body = await serialize(root)
    assert len(body) == root.size
    assert root.headers[hdrs.CONTENT_TYPE] == f"multipart/mixed; boundary={root.boundary}"
    reader = MultipartReader(root.headers, stream_of([body]))
    doc = await reader.next()
    assert isinstance(doc, BodyPartReader)
    assert await doc.json() == {"_id": "foo"}
    nested = await reader.next()
    assert isinstance(nested, MultipartReader)
    inner_doc = await nested.next()
    assert isinstance(inner_doc, BodyPartReader)
    assert await inner_doc.json() == {"_id": "bar"}
    inner_file = await nested.next()
    assert isinstance(inner_file, BodyPartReader)
    assert inner_file.filename == "bar.txt"
    assert await inner_file.read() == b"bar! bar! bar!"
    assert await nested.next() is None
    assert await reader.next() is None


def test_writer_is_its_own_payload() -> None:
    writer = MultipartWriter()
    assert get_payload(writer) is writer
    assert isinstance(writer, aiohttp.MultipartWriter)


def test_append_unsupported_type() -> None:
    with pytest.raises(TypeError):
        MultipartWriter().append(object())


async def test_append_payload_and_decode() -> None:
    writer = MultipartWriter(boundary="b")
    writer.append_payload(StringPayload("hi"))
    writer.append_payload(BytesPayload(b"there", headers={"X-A": "1"}))
    text = writer.decode()
    assert text == (await serialize(writer)).decode()
    assert "X-A: 1" in text


def test_header_injection_in_part_headers_refused() -> None:
    writer = MultipartWriter()
    part = writer.append(b"x")
    part.headers["X-Evil"] = "a\r\nInjected: yes"
    with pytest.raises(ValueError):
        writer.decode()


async def test_form_data_parts_get_a_name() -> None:
    writer = MultipartWriter("form-data")
    writer.append("v")
    [(headers, _)] = await read_back(writer)
    assert headers[hdrs.CONTENT_DISPOSITION] == 'form-data; name="section-0"'
