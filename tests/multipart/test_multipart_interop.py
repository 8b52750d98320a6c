"""heron's reader on aiohttp's (a peer) output, and aiohttp's reader on heron's output."""

from __future__ import annotations

import asyncio
import io

import aiohttp as peer
from aiohttp.base_protocol import BaseProtocol as PeerProtocol
from multipart_helpers import serialize, stream_of

from heron.formdata import FormData
from heron.multipart import BodyPartReader, MultipartReader, MultipartWriter


async def test_heron_reads_aiohttp_writer() -> None:
    with peer.MultipartWriter("mixed") as root:
        root.append("hello")
        root.append_json({"a": 1})
        with peer.MultipartWriter("related") as sub:
            part = sub.append(b"\r\n--binary")
            part.set_content_disposition("attachment", filename="bin.dat")
        root.append(sub)
    body = await serialize(root)  # type: ignore[arg-type]
    reader = MultipartReader(root.headers, stream_of([body]))
    text = await reader.next()
    assert isinstance(text, BodyPartReader)
    assert await text.text() == "hello"
    js = await reader.next()
    assert isinstance(js, BodyPartReader)
    assert await js.json() == {"a": 1}
    nested = await reader.next()
    assert isinstance(nested, MultipartReader)
    inner = await nested.next()
    assert isinstance(inner, BodyPartReader)
    assert inner.filename == "bin.dat"
    assert await inner.read() == b"\r\n--binary"
    assert await reader.next() is None


async def test_aiohttp_reads_heron_writer() -> None:
    form = FormData()
    form.add_field("field", "välue")
    form.add_field("file", io.BytesIO(b"\r\n--data--\r\n"), filename="f.txt", content_type="a/b")
    writer = form()
    assert isinstance(writer, MultipartWriter)
    body = await serialize(writer)
    loop = asyncio.get_running_loop()
    stream = peer.StreamReader(PeerProtocol(loop), 2**16, loop=loop)
    stream.feed_data(body)
    stream.feed_eof()
    reader = peer.MultipartReader(writer.headers, stream)
    got = []
    async for part in reader:
        assert isinstance(part, peer.BodyPartReader)
        got.append((part.name, part.filename, part.headers.get("Content-Type"), await part.read()))
    assert got == [
        ("field", None, "text/plain; charset=utf-8", bytearray("välue".encode())),
        ("file", "f.txt", "a/b", bytearray(b"\r\n--data--\r\n")),
    ]
