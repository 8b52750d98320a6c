"""read_multipart_form: the multipart half of Request.post(), on real body streams."""

from __future__ import annotations

import io
import os
import tracemalloc
from collections.abc import Iterator

import httpx
import pytest
from multidict import CIMultiDict, CIMultiDictProxy
from multipart_helpers import chunks, serialize, stream_of

from heron.formdata import FormData
from heron.multipart import MultipartWriter
from heron.web import FileField
from heron.web.exceptions import HTTPBadRequest, HTTPRequestEntityTooLarge
from heron.web.forms import read_multipart_form


class FormRequest:
    """The two things read_multipart_form needs from a request, plus its limit."""

    def __init__(self, headers: dict[str, str], content: object, client_max_size: int = 2**20):
        self.headers = CIMultiDictProxy(CIMultiDict(headers))
        self.content = content
        self.client_max_size = client_max_size


def request_for(body: bytes, ctype: str, size: int = 4096, **kw: int) -> FormRequest:
    return FormRequest({"Content-Type": ctype}, stream_of(chunks(body, size)), **kw)


async def form_request(form: FormData, **kw: int) -> FormRequest:
    payload = form()
    assert isinstance(payload, MultipartWriter)
    return request_for(await serialize(payload), payload.headers["Content-Type"], **kw)


async def test_fields_and_files() -> None:
    form = FormData()
    form.add_field("text", "héllo")
    form.add_field("text", "again")
    form.add_field(
        "upload", io.BytesIO(b"file body\r\n"), filename="a.txt", content_type="text/x-a"
    )
    form.add_field("noctype", io.BytesIO(b"raw"), filename="b.bin")
    result = await read_multipart_form(await form_request(form))
    assert result.getall("text") == ["héllo", "again"]
    upload = result["upload"]
    assert isinstance(upload, FileField)
    assert (upload.name, upload.filename, upload.content_type) == ("upload", "a.txt", "text/x-a")
    assert upload.file.read() == b"file body\r\n"
    assert upload.headers["Content-Type"] == "text/x-a"
    name, filename, file, _ctype, _headers = result["noctype"]
    assert (name, filename, file.read()) == ("noctype", "b.bin", b"raw")


async def test_httpx_encoded_form() -> None:
    # An independent encoder's output (httpx builds it without any network).
    request = httpx.Request(
        "POST",
        "http://127.0.0.1/",
        data={"a": "1", "uni": "ünï"},
        files={"f": ("ф.txt", b"\x00\x01binary", "application/octet-stream")},
    )
    body = request.read()
    result = await read_multipart_form(request_for(body, request.headers["content-type"], size=7))
    assert result["a"] == "1"
    assert result["uni"] == "ünï"
    assert result["f"].filename == "ф.txt"
    assert result["f"].file.read() == b"\x00\x01binary"


def form_body(*parts: bytes, boundary: bytes = b"b") -> bytes:
    return b"".join(b"--" + boundary + b"\r\n" + p + b"\r\n" for p in parts) + b"--b--\r\n"


async def test_charset_rules() -> None:
    body = form_body(
        b'Content-Disposition: form-data; name="_charset_"\r\n\r\niso-8859-1',
        b'Content-Disposition: form-data; name="a"\r\n\r\n' + "é".encode("latin-1"),
        b'Content-Disposition: form-data; name="b"\r\nContent-Type: text/plain; charset=utf-8'
        b"\r\n\r\n" + "é".encode(),
        b'Content-Disposition: form-data; name="c"\r\nContent-Type: application/json\r\n\r\n{}',
        b'Content-Disposition: form-data; name="empty"; filename=""\r\n\r\n',
    )
    result = await read_multipart_form(request_for(body, "multipart/form-data; boundary=b"))
    assert result["a"] == "é"
    assert result["b"] == "é"
    assert result["c"] == b"{}"
    assert result["empty"] == ""


async def test_encoded_parts_are_decoded() -> None:
    form = FormData()
    form.add_field("b64", "hello", content_transfer_encoding="base64")
    result = await read_multipart_form(await form_request(form))
    assert result["b64"] == "hello"


@pytest.mark.parametrize(
    "part",
    [
        b'Content-Disposition: form-data; filename="x"\r\n\r\nx',
        b"Content-Type: text/plain\r\n\r\nx",
        b"Content-Disposition: form-data; name*=UTF-8''a%0D%0Ab\r\n\r\nx",
        b"Content-Disposition: form-data; name=\"a\"; filename*=UTF-8''x%0Ay\r\n\r\nx",
        b'Content-Disposition: form-data; name="a"\r\nContent-Transfer-Encoding: base64\r\n\r\n*',
        b'Content-Disposition: form-data; name="a"\r\nContent-Encoding: gzip\r\n\r\nnot gzip',
        b'Content-Disposition: form-data; name="a"\r\nContent-Encoding: snappy\r\n\r\nx',
        b'Content-Disposition: form-data; name="a"\r\nContent-Type: text/plain; charset=x-nope'
        b"\r\n\r\nx",
        b'Content-Disposition: form-data; name="a"\r\n'
        b"Content-Type: multipart/mixed; boundary=c\r\n\r\n--c\r\n\r\nx\r\n--c--",
    ],
)
async def test_bad_parts_are_400(part: bytes) -> None:
    body = form_body(part)
    with pytest.raises(HTTPBadRequest):
        await read_multipart_form(request_for(body, "multipart/form-data; boundary=b"))


@pytest.mark.parametrize(
    ("body", "ctype"),
    [
        (b"--b\r\n\r\nno end", "multipart/form-data; boundary=b"),
        (b"x", "multipart/form-data"),
        (b"x", "multipart/form-data; boundary=" + "z" * 71),
    ],
)
async def test_malformed_body_is_400(body: bytes, ctype: str) -> None:
    with pytest.raises(HTTPBadRequest):
        await read_multipart_form(request_for(body, ctype))


async def test_client_max_size_enforced_while_streaming() -> None:
    form = FormData()
    form.add_field("f", io.BytesIO(b"x" * 200_000), filename="big")
    with pytest.raises(HTTPRequestEntityTooLarge):
        await read_multipart_form(await form_request(form, client_max_size=100_000))
    form = FormData()
    form.add_field("f", io.BytesIO(b"x" * 200_000), filename="big")
    result = await read_multipart_form(await form_request(form, client_max_size=0))
    assert len(result["f"].file.read()) == 200_000


async def test_declared_length_over_limit_is_413_before_reading() -> None:
    req = FormRequest(
        {"Content-Type": "multipart/form-data; boundary=b", "Content-Length": "5000000"},
        stream_of([], eof=False),
    )
    with pytest.raises(HTTPRequestEntityTooLarge):
        await read_multipart_form(req)


async def test_too_many_parts_is_413() -> None:
    body = form_body(*[b'Content-Disposition: form-data; name="a"\r\n\r\nx'] * 20)
    with pytest.raises(HTTPRequestEntityTooLarge):
        await read_multipart_form(
            request_for(body, "multipart/form-data; boundary=b"), max_parts=10
        )


async def test_gzip_bomb_part_stopped() -> None:
    import gzip

    bomb = gzip.compress(b"\x00" * 20_000_000)
    body = form_body(
        b'Content-Disposition: form-data; name="f"; filename="z"\r\nContent-Encoding: gzip\r\n\r\n'
        + bomb
    )
    with pytest.raises(HTTPRequestEntityTooLarge):
        await read_multipart_form(request_for(body, "multipart/form-data; boundary=b"))


class GeneratedStream:
    def __init__(self, pieces: Iterator[bytes]) -> None:
        self._pieces = pieces

    async def readany(self) -> bytes:
        return next(self._pieces, b"")


async def test_large_upload_spooled_to_disk_with_flat_memory() -> None:
    size = 64 * 2**20

    def body() -> Iterator[bytes]:
        yield b'--b\r\nContent-Disposition: form-data; name="f"; filename="big.bin"\r\n\r\n'
        block = os.urandom(2**16)
        for _ in range(size // len(block)):
            yield block
        yield b"\r\n--b--\r\n"

    req = FormRequest(
        {"Content-Type": "multipart/form-data; boundary=b"}, GeneratedStream(body()), 0
    )
    tracemalloc.start()
    try:
        result = await read_multipart_form(req, spool_size=2**20)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    field = result["f"]
    assert field.file.seek(0, io.SEEK_END) == size
    assert peak < 4 * 2**20
    field.file.close()


async def test_decoded_size_budget_is_shared_by_all_parts() -> None:
    import gzip

    part = (
        b'Content-Disposition: form-data; name="f"; filename="z"\r\nContent-Encoding: gzip\r\n\r\n'
        + gzip.compress(b"\x00" * 400_000)
    )
    body = form_body(part, part, part)
    with pytest.raises(HTTPRequestEntityTooLarge):
        await read_multipart_form(request_for(body, "multipart/form-data; boundary=b"))
    result = await read_multipart_form(
        request_for(form_body(part, part), "multipart/form-data; boundary=b")
    )
    assert [len(f.file.read()) for f in result.getall("f")] == [400_000, 400_000]
