"""heron client -> heron server over real sockets: forms, files, MultipartWriter bodies.

The client is heron's TestClient (a ClientSession) from the ``aiohttp_client`` fixture,
talking to a bare handler served by ``aiohttp_raw_server``.
"""

from __future__ import annotations

import hashlib
import io
import pathlib
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

import heron as aiohttp
from heron.test_utils import TestClient
from heron.web import FileField
from heron.web.request import BaseRequest
from heron.web.response import Response, StreamResponse, json_response

Handler = Callable[[BaseRequest], Awaitable[StreamResponse]]
ClientFor = Callable[[Handler], Awaitable[TestClient]]


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
def client_for(aiohttp_client: Any, aiohttp_raw_server: Any) -> ClientFor:
    """``await client_for(handler)``: a TestClient for ``handler`` on a raw server."""

    async def make(handler: Handler) -> TestClient:
        client: TestClient = await aiohttp_client(await aiohttp_raw_server(handler))
        return client

    return make


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def test_formdata_round_trip(client_for: ClientFor) -> None:
    form = aiohttp.FormData()
    form.add_field("title", "ünï")
    form.add_field("file", io.BytesIO(b"content"), filename="c.txt", content_type="text/x")
    resp = await (await client_for(describe_form)).post("/", data=form)
    assert resp.status == 200
    body = await resp.json()
    assert body["ctype"] == "multipart/form-data"
    assert body["form"] == [["title", "ünï"], ["file", "c.txt", "text/x", sha(b"content")]]


async def test_dict_with_open_file_like_the_seed(
    client_for: ClientFor, tmp_path: pathlib.Path
) -> None:
    # B-008: data={'file': open(...)} uploads the file as multipart/form-data.
    path = tmp_path / "report.csv"
    path.write_bytes(b"a,b\n1,2\n")
    client = await client_for(describe_form)
    with path.open("rb") as f:
        body = await (await client.post("/", data={"file": f, "x": "1"})).json()
    assert body["ctype"] == "multipart/form-data"
    assert body["form"] == [["file", "report.csv", "text/csv", sha(b"a,b\n1,2\n")], ["x", "1"]]


async def test_simple_dict_is_urlencoded(client_for: ClientFor) -> None:
    resp = await (await client_for(describe_form)).post("/", data={"a": "1", "b": "é"})
    body = await resp.json()
    assert body == {"ctype": "application/x-www-form-urlencoded", "form": [["a", "1"], ["b", "é"]]}


async def test_multipart_writer_as_data(client_for: ClientFor) -> None:
    with aiohttp.MultipartWriter("form-data") as writer:
        part = writer.append("v")
        part.set_content_disposition("form-data", name="field")
        part = writer.append(b"bytes!")
        part.set_content_disposition("form-data", name="up", filename="u.bin")
        part.headers["Content-Encoding"] = "gzip"
    resp = await (await client_for(describe_form)).post("/", data=writer)
    body = await resp.json()
    assert body["form"] == [
        ["field", "v"],
        ["up", "u.bin", "application/octet-stream", sha(b"bytes!")],
    ]


async def test_reading_a_multipart_response(client_for: ClientFor) -> None:
    resp = await (await client_for(mixed_reply)).get("/")
    reader = aiohttp.MultipartReader.from_response(resp)
    doc = await reader.next()
    assert isinstance(doc, aiohttp.BodyPartReader)
    assert await doc.json() == {"doc": 1}
    att = await reader.next()
    assert isinstance(att, aiohttp.BodyPartReader)
    assert await att.read() == b"\x00attachment\r\n--"
    assert await reader.next() is None
    assert reader.at_eof()
