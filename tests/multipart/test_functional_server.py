"""Uploads over real sockets into a heron server, from curl, httpx and aiohttp (a peer)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import pathlib
import shutil
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp as peer
import httpx
import pytest

from heron.multipart import BodyPartReader, MultipartReader, MultipartWriter
from heron.test_utils import RawTestServer
from heron.web import FileField
from heron.web.request import BaseRequest
from heron.web.response import Response, StreamResponse, json_response

RawServerFactory = Callable[..., Awaitable[RawTestServer]]  # the aiohttp_raw_server fixture


async def describe_form(request: BaseRequest) -> StreamResponse:
    """Answer with what request.post() saw: fields as text, files as name/size/sha."""
    form = await request.post()
    out: list[list[Any]] = []
    for name, value in form.items():
        if isinstance(value, FileField):
            data = value.file.read()
            out.append(
                [
                    name,
                    "file",
                    value.filename,
                    value.content_type,
                    len(data),
                    hashlib.sha256(data).hexdigest(),
                ]
            )
            value.file.close()
        else:
            out.append([name, "field", value if isinstance(value, str) else repr(value)])
    return json_response(out)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl not installed")
async def test_curl_form_upload(
    aiohttp_raw_server: RawServerFactory, tmp_path: pathlib.Path
) -> None:
    url = str((await aiohttp_raw_server(describe_form)).make_url("/"))
    path = tmp_path / "photo.png"
    data = bytes(range(256)) * 40
    path.write_bytes(data)
    proc = await asyncio.create_subprocess_exec(
        "curl", "-sS", "--max-time", "10",
        "-F", "title=Holiday ünïcode", "-F", f"file=@{path};type=image/png",
        "-F", "note=<-", url,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(proc.communicate(b"from stdin\r\n--not a boundary"), 15)
    assert proc.returncode == 0
    assert json.loads(out) == [
        ["title", "field", "Holiday ünïcode"],
        ["file", "file", "photo.png", "image/png", len(data), hashlib.sha256(data).hexdigest()],
        ["note", "field", "from stdin\r\n--not a boundary"],
    ]


async def test_httpx_multipart_upload(aiohttp_raw_server: RawServerFactory) -> None:
    url = str((await aiohttp_raw_server(describe_form)).make_url("/"))
    blob = b"\r\n--" * 5000 + b"end"
    async with httpx.AsyncClient(timeout=10) as client:
        resp = await client.post(
            url,
            data={"a": "1", "b": ["x", "y"]},
            files=[("f", ("a b.bin", blob, "application/octet-stream")), ("f", ("c.txt", b"c"))],
        )
    assert resp.status_code == 200
    assert resp.json() == [
        ["a", "field", "1"],
        ["b", "field", "x"],
        ["b", "field", "y"],
        ["f", "file", "a b.bin", "application/octet-stream", len(blob),
         hashlib.sha256(blob).hexdigest()],
        ["f", "file", "c.txt", "text/plain", 1, hashlib.sha256(b"c").hexdigest()],
    ]  # fmt: skip


async def test_aiohttp_peer_form_upload(aiohttp_raw_server: RawServerFactory) -> None:
    url = str((await aiohttp_raw_server(describe_form)).make_url("/"))
    form = peer.FormData()
    form.add_field("name", "value")
    form.add_field("upload", b"payload bytes", filename="up.bin", content_type="x/y")
    async with peer.ClientSession() as session, session.post(url, data=form) as resp:
        assert resp.status == 200
        body = await resp.json()
    assert body == [
        ["name", "field", "value"],
        ["upload", "file", "up.bin", "x/y", 13, hashlib.sha256(b"payload bytes").hexdigest()],
    ]


async def test_upload_over_client_max_size_is_413(aiohttp_raw_server: RawServerFactory) -> None:
    url = str((await aiohttp_raw_server(describe_form)).make_url("/"))
    async with httpx.AsyncClient(timeout=10) as client:
        resp = await client.post(url, files={"f": ("big", b"x" * (2 * 2**20))})
    assert resp.status_code == 413


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data", b"--x\r\n\r\nx\r\n--x--"),
        ("multipart/form-data; boundary=" + "x" * 71, b"--x\r\n\r\nx\r\n--x--"),
        ("multipart/form-data; boundary=x", b"--x\r\nContent-Disposition: form-data\r\n\r\nno end"),
        ("multipart/form-data; boundary=x", b"--x\r\nbroken header\r\n\r\nx\r\n--x--"),
    ],
)
async def test_malformed_upload_is_400(
    aiohttp_raw_server: RawServerFactory, content_type: str, body: bytes
) -> None:
    url = str((await aiohttp_raw_server(describe_form)).make_url("/"))
    async with httpx.AsyncClient(timeout=10) as client:
        resp = await client.post(url, content=body, headers={"Content-Type": content_type})
    assert resp.status_code == 400


async def echo_multipart(request: BaseRequest) -> StreamResponse:
    """Read with request.multipart() and answer with a MultipartWriter body."""
    reader = await request.multipart()
    writer = MultipartWriter("mixed", boundary="reply-boundary")
    async for part in reader:
        assert isinstance(part, BodyPartReader)
        data = await part.read(decode=True)
        writer.append(bytes(data[::-1]), {"X-Name": part.name or ""})
    return Response(body=writer)


async def test_multipart_request_and_multipart_response(
    aiohttp_raw_server: RawServerFactory,
) -> None:
    url = str((await aiohttp_raw_server(echo_multipart)).make_url("/"))
    request = httpx.Request("POST", url, files={"a": ("a", b"abc")}, data={"b": "xyz"})
    async with httpx.AsyncClient(timeout=10) as client:
        resp = await client.send(request)
        assert resp.status_code == 200
        assert resp.headers["content-type"] == "multipart/mixed; boundary=reply-boundary"
        # Parse the reply with heron's reader, fed by httpx.
        stream = _BytesStream(resp.content)
        reader = MultipartReader(resp.headers, stream)
        got = [(p.headers["X-Name"], bytes(await p.read())) async for p in reader]  # type: ignore[union-attr]
    assert got == [("b", b"zyx"), ("a", b"cba")]


class _BytesStream:
    def __init__(self, data: bytes) -> None:
        self._data: bytes | None = data

    async def readany(self) -> bytes:
        data, self._data = self._data or b"", None
        return data
