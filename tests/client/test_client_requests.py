"""What the client sends: URL, params, headers, bodies, framing (B-002..B-029)."""

from __future__ import annotations

import asyncio
import inspect
import io
import json
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from client_helpers import Handler, keep_answering, read_request, response
from yarl import URL

import heron as aiohttp
from heron.streams import StreamReader

RawServer = Callable[[Handler], Awaitable[URL]]


async def echo(session: aiohttp.ClientSession, method: str, url: Any, **kw: Any) -> dict[str, Any]:
    async with session.request(method, url, **kw) as resp:
        assert resp.status == 200
        doc: dict[str, Any] = await resp.json()
        doc["hdrs"] = {k.lower(): v for k, v in doc["headers"]}
        doc["url"] = resp.url
        return doc


async def test_request_defaults_match_aiohttp() -> None:
    """B-002: documented defaults of request()."""
    params = inspect.signature(aiohttp.ClientSession._request).parameters
    assert params["allow_redirects"].default is True
    assert params["max_redirects"].default == 10
    assert params["compress"].default is None
    assert params["chunked"].default is None
    assert params["expect100"].default is False
    assert params["read_until_eof"].default is True
    async with aiohttp.ClientSession() as session:
        assert session.version == aiohttp.HttpVersion11


async def test_params_mapping_encoded(echo_url: URL) -> None:
    """B-003/B-006: a mapping is url-encoded and shows in resp.url."""
    async with aiohttp.ClientSession() as s:
        doc = await echo(s, "GET", echo_url / "get", params={"key1": "value 1", "key2": "v&2"})
    assert doc["target"] == "/get?key1=value+1&key2=v%262"
    assert doc["url"].query == {"key1": "value 1", "key2": "v&2"}


async def test_params_pairs_repeat_key(echo_url: URL) -> None:
    """B-004: pairs keep order and may repeat a key."""
    async with aiohttp.ClientSession() as s:
        doc = await echo(s, "GET", echo_url / "get", params=[("key", "value1"), ("key", "value2")])
    assert doc["target"] == "/get?key=value1&key=value2"


async def test_params_string_verbatim(echo_url: URL) -> None:
    """B-005: a string is appended as is; '+' stays '+'."""
    async with aiohttp.ClientSession() as s:
        doc = await echo(s, "GET", echo_url / "get", params="key=value+1")
    assert doc["target"] == "/get?key=value+1"
    assert str(doc["url"]).endswith("?key=value+1")


async def test_params_extend_existing_query(echo_url: URL) -> None:
    async with aiohttp.ClientSession() as s:
        doc = await echo(s, "GET", str(echo_url / "get") + "?a=1", params={"b": "2"})
    assert doc["target"] == "/get?a=1&b=2"


async def test_fragment_not_sent(echo_url: URL) -> None:
    async with aiohttp.ClientSession() as s, s.get(str(echo_url / "p") + "#frag") as resp:
        doc = await resp.json()
        assert doc["target"] == "/p"
        assert resp.url.fragment == ""
        assert resp.real_url.fragment == "frag"


async def test_auto_headers(echo_url: URL) -> None:
    async with aiohttp.ClientSession() as s:
        doc = await echo(s, "GET", echo_url)
    names = [k.lower() for k, _ in doc["headers"]]
    assert names[0] == "host"
    assert doc["hdrs"]["host"] == f"127.0.0.1:{echo_url.port}"
    assert doc["hdrs"]["accept"] == "*/*"
    assert "gzip" in doc["hdrs"]["accept-encoding"]
    assert doc["hdrs"]["user-agent"].startswith("Python/")
    assert "content-length" not in doc["hdrs"]


async def test_skip_auto_headers_keeps_content_length(echo_url: URL) -> None:
    """B-017."""
    async with aiohttp.ClientSession(skip_auto_headers=["User-Agent"]) as s:
        doc = await echo(s, "POST", echo_url, data=b"abc", skip_auto_headers=["Content-Type"])
    assert "user-agent" not in doc["hdrs"]
    assert "content-type" not in doc["hdrs"]
    assert doc["hdrs"]["content-length"] == "3"


async def test_session_headers_case_insensitive(echo_url: URL) -> None:
    """B-018: session headers on every request; a request header replaces one."""
    async with aiohttp.ClientSession(headers={"X-Token": "s", "x-other": "o"}) as s:
        first = await echo(s, "GET", echo_url)
        second = await echo(s, "GET", echo_url, headers={"x-token": "r"})
    assert first["hdrs"]["x-token"] == "s"
    assert second["hdrs"]["x-token"] == "r"
    assert [k.lower() for k, _ in second["headers"]].count("x-token") == 1
    assert second["hdrs"]["x-other"] == "o"


async def test_header_injection_refused(echo_url: URL) -> None:
    async with aiohttp.ClientSession() as s:
        with pytest.raises(ValueError):
            await s.get(echo_url, headers={"X-A": "a\r\nX-Injected: 1"})


async def test_data_form_dict(echo_url: URL) -> None:
    """B-007/B-010."""
    async with aiohttp.ClientSession() as s:
        doc = await echo(s, "POST", echo_url, data={"a": "1", "b": "x y"})
    assert doc["hdrs"]["content-type"] == "application/x-www-form-urlencoded"
    assert doc["body"] == "a=1&b=x+y"


async def test_data_dict_with_file_is_multipart(echo_url: URL) -> None:
    """B-008/B-027: files make multipart; two files under one key both go."""
    async with aiohttp.ClientSession() as s:
        form = aiohttp.FormData()
        form.add_field("f", io.BytesIO(b"one"), filename="1.txt")
        form.add_field("f", io.BytesIO(b"two"), filename="2.txt")
        doc = await echo(s, "POST", echo_url, data=form)
        doc2 = await echo(s, "POST", echo_url, data={"file": io.BytesIO(b"content")})
    assert doc["hdrs"]["content-type"].startswith("multipart/form-data; boundary=")
    assert "one" in doc["body"] and "two" in doc["body"]
    assert doc2["hdrs"]["content-type"].startswith("multipart/form-data")
    assert "content" in doc2["body"]


@pytest.mark.parametrize("data", [b"\x00raw bytes\xff", "text \u00e9"])
async def test_data_bytes_and_str_verbatim(echo_url: URL, data: bytes | str) -> None:
    """B-009."""
    async with aiohttp.ClientSession() as s:
        doc = await echo(s, "POST", echo_url, data=data)
    expected = data if isinstance(data, bytes) else data.encode()
    assert doc["body"].encode("latin-1") == expected
    assert doc["hdrs"]["content-length"] == str(len(expected))


async def test_post_without_body_has_zero_length(echo_url: URL) -> None:
    async with aiohttp.ClientSession() as s:
        doc = await echo(s, "POST", echo_url)
    assert doc["hdrs"]["content-length"] == "0"


async def test_json_body(echo_url: URL) -> None:
    async with aiohttp.ClientSession(json_serialize=lambda o: json.dumps(o, indent=1)) as s:
        doc = await echo(s, "POST", echo_url, json={"a": [1, 2]})
    assert doc["hdrs"]["content-type"] == "application/json"
    assert json.loads(doc["body"]) == {"a": [1, 2]}
    assert "\n" in doc["body"]


async def test_json_and_data_exclusive(echo_url: URL) -> None:
    """B-011."""
    async with aiohttp.ClientSession() as s:
        with pytest.raises(ValueError):
            await s.post(echo_url, data=b"x", json={})


async def test_removed_files_argument_fails(echo_url: URL) -> None:
    """B-028."""
    async with aiohttp.ClientSession() as s:
        with pytest.raises(TypeError):
            await s.post(echo_url, files={"a": b"b"})


async def test_file_object_streamed(echo_url: URL, tmp_path: Any) -> None:
    """B-022: a file object is sent (with its size as Content-Length)."""
    path = tmp_path / "upload.bin"
    payload = bytes(range(256)) * 1000
    path.write_bytes(payload)
    async with aiohttp.ClientSession() as s:
        with path.open("rb") as f:
            doc = await echo(s, "POST", echo_url, data=f)
    assert doc["body"].encode("latin-1") == payload
    assert doc["hdrs"]["content-length"] == str(len(payload))


async def test_async_iterable_sent_chunked(echo_url: URL) -> None:
    async def gen() -> AsyncIterator[bytes]:
        for i in range(3):
            await asyncio.sleep(0)
            yield f"part{i};".encode()

    async with aiohttp.ClientSession() as s:
        doc = await echo(s, "POST", echo_url, data=gen())
    assert doc["hdrs"]["transfer-encoding"] == "chunked"
    assert doc["body"] == "part0;part1;part2;"


async def test_stream_reader_as_data(echo_url: URL) -> None:
    """B-023: a StreamReader is sent until feed_eof()."""
    reader = StreamReader(None)

    async def feed() -> None:
        for chunk in (b"abc", b"def"):
            await asyncio.sleep(0.01)
            reader.feed_data(chunk)
        reader.feed_eof()

    feeder = asyncio.create_task(feed())
    async with aiohttp.ClientSession() as s:
        doc = await echo(s, "POST", echo_url, data=reader)
    await feeder
    assert doc["body"] == "abcdef"


async def test_pipe_response_content_into_request(echo_url: URL) -> None:
    """CL-18: data=resp.content pipes one response into another request."""
    async with aiohttp.ClientSession() as s, s.post(echo_url, data=b"x" * 1000) as first:
        doc = await echo(s, "POST", echo_url, data=first.content)
    assert json.loads(doc["body"])["body"] == "x" * 1000


async def test_chunked_flag(echo_url: URL) -> None:
    """B-014."""
    async with aiohttp.ClientSession() as s:
        doc = await echo(s, "POST", echo_url, data=b"hello", chunked=True)
    assert doc["hdrs"]["transfer-encoding"] == "chunked"
    assert "content-length" not in doc["hdrs"]
    assert doc["body"] == "hello"


async def test_chunked_with_content_length_refused(echo_url: URL) -> None:
    async with aiohttp.ClientSession() as s:
        with pytest.raises(ValueError):
            await s.post(echo_url, data=b"x", chunked=True, headers={"Content-Length": "1"})


async def test_compress_true_deflates(echo_url: URL) -> None:
    """B-013."""
    async with aiohttp.ClientSession() as s:
        doc = await echo(s, "POST", echo_url, data=b"a" * 1000, compress=True)
    assert doc["hdrs"]["content-encoding"] == "deflate"
    assert zlib.decompress(doc["body"].encode("latin-1")) == b"a" * 1000


async def test_precompressed_body_sent_untouched(echo_url: URL) -> None:
    """B-012."""
    body = zlib.compress(b"payload")
    async with aiohttp.ClientSession() as s:
        doc = await echo(
            s, "POST", echo_url, data=body, compress=False, headers={"Content-Encoding": "deflate"}
        )
    assert doc["body"].encode("latin-1") == body
    assert doc["hdrs"]["content-length"] == str(len(body))


async def test_compress_with_content_encoding_refused(echo_url: URL) -> None:
    async with aiohttp.ClientSession() as s:
        with pytest.raises(ValueError):
            await s.post(echo_url, data=b"x", compress=True, headers={"Content-Encoding": "br"})


async def test_expect100_waits_for_continue(raw_server: RawServer) -> None:
    """B-015: the body leaves only after the interim 100."""
    seen: list[bytes | None] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        req = await read_request(reader, body=False)
        assert req is not None
        seen.append(req.headers.get("expect", "").encode())
        early: bytes | None = None  # what arrived before 100 Continue (b"": EOF)
        try:
            early = await asyncio.wait_for(reader.read(1), 0.1)
        except TimeoutError:
            pass
        seen.append(early)  # checked by the test: a failure here is not a disconnect
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        got = early or b""
        body = got + await reader.readexactly(int(req.headers["content-length"]) - len(got))
        writer.write(response(200, body))

    url = await raw_server(handler)
    async with aiohttp.ClientSession() as s, s.post(url, data=b"body!", expect100=True) as resp:
        assert await resp.read() == b"body!"
    assert seen == [b"100-continue", None]


async def test_expect100_refused_body_not_sent(raw_server: RawServer) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader, body=False)
        writer.write(response(417, b"no", reason="Expectation Failed"))
        await writer.drain()
        await reader.read()

    url = await raw_server(handler)
    async with aiohttp.ClientSession() as s, s.post(url, data=b"body", expect100=True) as resp:
        assert resp.status == 417


async def test_basic_auth_header(echo_url: URL) -> None:
    """B-021."""
    async with aiohttp.ClientSession() as s:
        doc = await echo(s, "GET", echo_url, auth=aiohttp.BasicAuth("login", "pass"))
    assert doc["hdrs"]["authorization"] == "Basic bG9naW46cGFzcw=="


async def test_credentials_in_url(echo_url: URL) -> None:
    url = echo_url.with_user("user").with_password("pw")
    async with aiohttp.ClientSession() as s:
        doc = await echo(s, "GET", url)
        assert doc["hdrs"]["authorization"] == aiohttp.BasicAuth("user", "pw").encode()
        assert doc["url"].user is None
        with pytest.raises(ValueError):
            await s.get(url, auth=aiohttp.BasicAuth("a", "b"))


async def test_session_auth_and_header_conflict(echo_url: URL) -> None:
    async with aiohttp.ClientSession(auth=aiohttp.BasicAuth("s", "p")) as s:
        doc = await echo(s, "GET", echo_url)
        assert doc["hdrs"]["authorization"] == aiohttp.BasicAuth("s", "p").encode()
        with pytest.raises(ValueError):
            await s.get(echo_url, headers={"Authorization": "Bearer x"})


async def test_request_cookies(echo_url: URL) -> None:
    """B-020."""
    async with aiohttp.ClientSession() as s:
        doc = await echo(s, "GET", echo_url, cookies={"cookies_are": "working"})
    assert doc["hdrs"]["cookie"] == "cookies_are=working"


async def test_http10_version(echo_url: URL) -> None:
    async with aiohttp.ClientSession(version=aiohttp.HttpVersion10) as s:
        doc = await echo(s, "GET", echo_url)
    assert doc["version"] == "HTTP/1.0"
    assert doc["hdrs"]["connection"] == "keep-alive"


@pytest.mark.parametrize("url", ["http:///path", "/relative", "http://"])
async def test_invalid_url(url: str) -> None:
    """B-029: no host -> InvalidURL (a ValueError) carrying the URL."""
    async with aiohttp.ClientSession() as s:
        with pytest.raises(aiohttp.InvalidURL) as info:
            await s.get(url)
    assert isinstance(info.value, ValueError)
    assert str(info.value.url).startswith(url.rstrip("/")[:5])


async def test_non_http_scheme() -> None:
    async with aiohttp.ClientSession() as s:
        with pytest.raises(aiohttp.NonHttpUrlClientError):
            await s.get("ftp://example.com/")


async def test_base_url(echo_url: URL) -> None:
    async with aiohttp.ClientSession(base_url=echo_url / "api/") as s:
        doc = await echo(s, "GET", "items?x=1")
        abs_doc = await echo(s, "GET", echo_url / "other")
    assert doc["target"] == "/api/items?x=1"
    assert abs_doc["target"] == "/other"


async def test_methods(echo_url: URL) -> None:
    async with aiohttp.ClientSession() as s:
        for name in ("get", "post", "put", "patch", "delete", "options"):
            async with getattr(s, name)(echo_url) as resp:
                assert (await resp.json())["method"] == name.upper()
        async with s.head(echo_url) as resp:
            assert resp.status == 200
            assert await resp.read() == b""
        async with s.request("PROPFIND", echo_url) as resp:
            assert (await resp.json())["method"] == "PROPFIND"


async def test_keep_alive_single_connection(raw_server: RawServer) -> None:
    connections = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await keep_answering(reader, writer, lambda r: response(200, b"ok"))

    url = await raw_server(handler)
    async with aiohttp.ClientSession() as s:
        for _ in range(5):
            async with s.get(url) as resp:
                assert await resp.read() == b"ok"
    assert connections == 1
