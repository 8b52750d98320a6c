"""heron client -> heron server over real sockets: forms, files, MultipartWriter bodies."""

from __future__ import annotations

import asyncio
import hashlib
import io
import pathlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

import heron as aiohttp
from heron.web import FileField
from heron.web.request import BaseRequest
from heron.web.response import Response, StreamResponse, json_response
from heron.web.server import Server


async def describe_form(request: BaseRequest) -> StreamResponse:
    form = await request.post()
    out: list[list[Any]] = []
    for name, value in form.items():
        if isinstance(value, FileField):
            data = value.file.read()
            out.append([name, value.filename, value.content_type, hashlib.sha256(data).hexdigest()])
        else:
            out.append([name, value])
    return json_response({"ctype": request.content_type, "form": out})


async def mixed_reply(request: BaseRequest) -> StreamResponse:
    writer = aiohttp.MultipartWriter("mixed")
    writer.append_json({"doc": 1})
    writer.append(b"\x00attachment\r\n--")
    return Response(body=writer)


@pytest.fixture
async def url() -> AsyncIterator[Callable[[Any], Awaitable[str]]]:
    servers: list[asyncio.AbstractServer] = []

    async def start(handler: Any) -> str:
        srv = await asyncio.get_running_loop().create_server(Server(handler), "127.0.0.1", 0)
        servers.append(srv)
        return f"http://127.0.0.1:{srv.sockets[0].getsockname()[1]}/"

    yield start
    for srv in servers:
        srv.close()
        await srv.wait_closed()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def test_formdata_round_trip(url: Callable[[Any], Awaitable[str]]) -> None:
    form = aiohttp.FormData()
    form.add_field("title", "ünï")
    form.add_field("file", io.BytesIO(b"content"), filename="c.txt", content_type="text/x")
    target = await url(describe_form)
    async with aiohttp.ClientSession() as session, session.post(target, data=form) as resp:
        assert resp.status == 200
        body = await resp.json()
    assert body["ctype"] == "multipart/form-data"
    assert body["form"] == [["title", "ünï"], ["file", "c.txt", "text/x", sha(b"content")]]


async def test_dict_with_open_file_like_the_seed(
    url: Callable[[Any], Awaitable[str]], tmp_path: pathlib.Path
) -> None:
    # B-008: data={'file': open(...)} uploads the file as multipart/form-data.
    path = tmp_path / "report.csv"
    path.write_bytes(b"a,b\n1,2\n")
    async with aiohttp.ClientSession() as session:
        with path.open("rb") as f:
            async with session.post(await url(describe_form), data={"file": f, "x": "1"}) as resp:
                body = await resp.json()
    assert body["ctype"] == "multipart/form-data"
    assert body["form"] == [["file", "report.csv", "text/csv", sha(b"a,b\n1,2\n")], ["x", "1"]]


async def test_simple_dict_is_urlencoded(url: Callable[[Any], Awaitable[str]]) -> None:
    target = await url(describe_form)
    data = {"a": "1", "b": "é"}
    async with aiohttp.ClientSession() as session, session.post(target, data=data) as resp:
        body = await resp.json()
    assert body == {"ctype": "application/x-www-form-urlencoded", "form": [["a", "1"], ["b", "é"]]}


async def test_multipart_writer_as_data(url: Callable[[Any], Awaitable[str]]) -> None:
    with aiohttp.MultipartWriter("form-data") as writer:
        part = writer.append("v")
        part.set_content_disposition("form-data", name="field")
        part = writer.append(b"bytes!")
        part.set_content_disposition("form-data", name="up", filename="u.bin")
        part.headers["Content-Encoding"] = "gzip"
    target = await url(describe_form)
    async with aiohttp.ClientSession() as session, session.post(target, data=writer) as resp:
        body = await resp.json()
    assert body["form"] == [
        ["field", "v"],
        ["up", "u.bin", "application/octet-stream", sha(b"bytes!")],
    ]


async def test_reading_a_multipart_response(url: Callable[[Any], Awaitable[str]]) -> None:
    async with aiohttp.ClientSession() as session, session.get(await url(mixed_reply)) as resp:
        reader = aiohttp.MultipartReader.from_response(resp)
        doc = await reader.next()
        assert isinstance(doc, aiohttp.BodyPartReader)
        assert await doc.json() == {"doc": 1}
        att = await reader.next()
        assert isinstance(att, aiohttp.BodyPartReader)
        assert await att.read() == b"\x00attachment\r\n--"
        assert await reader.next() is None
        assert reader.at_eof()
