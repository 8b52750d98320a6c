"""FileResponse: conditional requests, ranges, pre-compressed siblings, sendfile paths."""

from __future__ import annotations

import gzip
import os
import pathlib
import ssl
from email.utils import formatdate

import pytest
from app_helpers import ClientFactory, ServerFactory

from heron import web
from heron.test_utils import TestClient

BODY = bytes(range(256)) * 40  # 10,240 bytes


@pytest.fixture
def files(tmp_path: pathlib.Path) -> pathlib.Path:
    (tmp_path / "data.bin").write_bytes(BODY)
    (tmp_path / "page.html").write_text("<p>plain</p>" * 50)
    (tmp_path / "page.html.gz").write_bytes(gzip.compress(b"<p>gz</p>"))
    brotli = pytest.importorskip("brotli")
    (tmp_path / "page.html.br").write_bytes(brotli.compress(b"<p>br</p>"))
    (tmp_path / "archive.tar.gz").write_bytes(gzip.compress(b"tar"))
    (tmp_path / "big.bin").write_bytes(os.urandom(3 * 1024 * 1024 + 17))
    return tmp_path


def file_app(files: pathlib.Path, **kwargs: int) -> web.Application:
    async def send(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(files / request.match_info["name"], **kwargs)

    async def custom(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(
            files / "data.bin", headers={"Content-Type": "application/x-custom"}, status=200
        )

    app = web.Application()
    app.router.add_get("/f/{name}", send)
    app.router.add_get("/custom", custom)
    app.router.add_put("/f/{name}", send)
    return app


@pytest.fixture
async def client(aiohttp_client: ClientFactory, files: pathlib.Path) -> TestClient:
    return await aiohttp_client(file_app(files))


# ---------------------------------------------------------------- plain sends


async def test_whole_file_headers(client: TestClient) -> None:
    response = await client.get("/f/data.bin")
    assert response.status == 200
    assert await response.read() == BODY
    headers = response.headers
    assert headers["content-length"] == str(len(BODY))
    assert headers["accept-ranges"] == "bytes"
    assert headers["content-type"] == "application/octet-stream"
    assert headers["etag"].startswith('"') and headers["etag"].endswith('"')
    assert headers["last-modified"].endswith("GMT")


async def test_missing_file_is_404(client: TestClient) -> None:
    assert (await client.get("/f/nothing.txt")).status == 404


async def test_content_type_choices(client: TestClient) -> None:
    assert (await client.get("/custom")).headers["content-type"] == "application/x-custom"
    archive = await client.get("/f/archive.tar.gz", headers={"Accept-Encoding": "identity"})
    assert archive.headers["content-type"] == "application/gzip"
    assert "content-encoding" not in archive.headers


async def test_head_sends_headers_only(client: TestClient) -> None:
    response = await client.head("/f/data.bin")
    assert response.status == 200
    assert await response.read() == b""
    assert response.headers["content-length"] == str(len(BODY))


@pytest.mark.parametrize("nosendfile", [False, True])
async def test_big_file_both_paths(
    aiohttp_client: ClientFactory,
    files: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
    nosendfile: bool,
) -> None:
    if nosendfile:
        monkeypatch.setenv("HERON_NOSENDFILE", "1")
    client = await aiohttp_client(file_app(files, chunk_size=64 * 1024))
    response = await client.get("/f/big.bin")
    assert await response.read() == (files / "big.bin").read_bytes()
    ranged = await client.get("/f/big.bin", headers={"Range": "bytes=1000000-1000099"})
    assert await ranged.read() == (files / "big.bin").read_bytes()[1000000:1000100]


async def test_tls_falls_back_to_reads(
    aiohttp_server: ServerFactory, aiohttp_client: ClientFactory, files: pathlib.Path
) -> None:
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_ctx)
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)
    client = await aiohttp_client(await aiohttp_server(file_app(files), ssl=server_ctx))
    assert client.make_url("/").scheme == "https"
    response = await client.get("/f/big.bin", ssl=client_ctx)
    assert await response.read() == (files / "big.bin").read_bytes()


# ------------------------------------------------------------ preconditions


async def test_if_none_match(client: TestClient) -> None:
    etag = (await client.get("/f/data.bin")).headers["etag"]
    for value in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        response = await client.get("/f/data.bin", headers={"If-None-Match": value})
        assert response.status == 304, value
        assert await response.read() == b""
        assert response.headers["etag"] == etag
    assert (await client.get("/f/data.bin", headers={"If-None-Match": '"x"'})).status == 200
    # For an unsafe method a matching If-None-Match is a failed precondition.
    assert (await client.put("/f/data.bin", headers={"If-None-Match": "*"})).status == 412


async def test_if_modified_since(client: TestClient, files: pathlib.Path) -> None:
    mtime = (files / "data.bin").stat().st_mtime
    later = formatdate(mtime + 60, usegmt=True)
    earlier = formatdate(mtime - 60, usegmt=True)
    assert (await client.get("/f/data.bin", headers={"If-Modified-Since": later})).status == 304
    assert (await client.get("/f/data.bin", headers={"If-Modified-Since": earlier})).status == 200
    junk = await client.get("/f/data.bin", headers={"If-Modified-Since": "yesterday"})
    assert junk.status == 200
    # If-None-Match wins over If-Modified-Since.
    response = await client.get(
        "/f/data.bin", headers={"If-Modified-Since": later, "If-None-Match": '"nope"'}
    )
    assert response.status == 200


async def test_if_match_and_if_unmodified_since(client: TestClient, files: pathlib.Path) -> None:
    etag = (await client.get("/f/data.bin")).headers["etag"]
    assert (await client.get("/f/data.bin", headers={"If-Match": etag})).status == 200
    assert (await client.get("/f/data.bin", headers={"If-Match": "*"})).status == 200
    assert (await client.get("/f/data.bin", headers={"If-Match": '"zz"'})).status == 412
    # If-Match uses the strong comparison: a weak tag never matches.
    assert (await client.get("/f/data.bin", headers={"If-Match": f"W/{etag}"})).status == 412
    mtime = (files / "data.bin").stat().st_mtime
    before = formatdate(mtime - 60, usegmt=True)
    after = formatdate(mtime + 60, usegmt=True)
    headers = {"If-Unmodified-Since": before}
    assert (await client.get("/f/data.bin", headers=headers)).status == 412
    headers = {"If-Unmodified-Since": after}
    assert (await client.get("/f/data.bin", headers=headers)).status == 200


# ------------------------------------------------------------------- ranges


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-99", 0, 100),
        ("bytes=100-", 100, len(BODY)),
        ("bytes=-50", len(BODY) - 50, len(BODY)),
        ("bytes=10000-99999", 10000, len(BODY)),
        ("bytes=-999999", 0, len(BODY)),
        ("bytes= 5 - 9", 5, 10),
    ],
)
async def test_single_range(client: TestClient, header: str, start: int, end: int) -> None:
    response = await client.get("/f/data.bin", headers={"Range": header})
    assert response.status == 206
    assert await response.read() == BODY[start:end]
    assert response.headers["content-range"] == f"bytes {start}-{end - 1}/{len(BODY)}"
    assert response.headers["content-length"] == str(end - start)


@pytest.mark.parametrize("header", ["bytes=20000-", "bytes=10240-10300", "bytes=-0"])
async def test_unsatisfiable_range(client: TestClient, header: str) -> None:
    response = await client.get("/f/data.bin", headers={"Range": header})
    assert response.status == 416
    assert response.headers["content-range"] == f"bytes */{len(BODY)}"


@pytest.mark.parametrize("header", ["bytes=5-2", "items=0-1", "bytes=abc", "bytes=", "0-10"])
async def test_malformed_range_is_ignored(client: TestClient, header: str) -> None:
    response = await client.get("/f/data.bin", headers={"Range": header})
    assert response.status == 200
    assert await response.read() == BODY


async def test_multiple_ranges(client: TestClient) -> None:
    response = await client.get("/f/data.bin", headers={"Range": "bytes=0-9,100-109,-5"})
    assert response.status == 206
    ctype = response.headers["content-type"]
    assert ctype.startswith("multipart/byteranges; boundary=")
    boundary = ctype.split("boundary=")[1].encode()
    body = await response.read()
    assert int(response.headers["content-length"]) == len(body)
    parts = body.split(b"--" + boundary)
    assert parts[0] == b"" and parts[-1] == b"--\r\n"
    bodies = []
    for part in parts[1:-1]:
        head, _, data = part.partition(b"\r\n\r\n")
        assert b"Content-Type: application/octet-stream" in head
        bodies.append((head.split(b"Content-Range: ")[1].decode(), data[:-2]))
    size = len(BODY)
    assert bodies == [
        (f"bytes 0-9/{size}", BODY[0:10]),
        (f"bytes 100-109/{size}", BODY[100:110]),
        (f"bytes {size - 5}-{size - 1}/{size}", BODY[-5:]),
    ]


async def test_too_many_ranges_send_everything(client: TestClient) -> None:
    header = "bytes=" + ",".join(f"{i}-{i}" for i in range(0, 40, 2))
    response = await client.get("/f/data.bin", headers={"Range": header})
    assert response.status == 200
    assert await response.read() == BODY


async def test_if_range(client: TestClient, files: pathlib.Path) -> None:
    first = await client.get("/f/data.bin")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    for value in (etag, modified):
        response = await client.get(
            "/f/data.bin", headers={"Range": "bytes=0-3", "If-Range": value}
        )
        assert response.status == 206, value
    for value in ('"stale"', f"W/{etag}", "Mon, 01 Jan 2001 00:00:00 GMT"):
        response = await client.get(
            "/f/data.bin", headers={"Range": "bytes=0-3", "If-Range": value}
        )
        assert response.status == 200, value
        assert await response.read() == BODY


async def test_range_ignored_for_head(client: TestClient) -> None:
    response = await client.head("/f/data.bin", headers={"Range": "bytes=0-3"})
    assert response.status == 200


# ------------------------------------------------------- pre-compressed siblings


async def test_precompressed_siblings(client: TestClient) -> None:
    gz = await client.get("/f/page.html", headers={"Accept-Encoding": "gzip"})
    assert gz.headers["content-encoding"] == "gzip"
    assert await gz.text() == "<p>gz</p>"  # the client decoded the gzip sibling
    assert gz.headers["content-type"].startswith("text/html")
    assert "accept-encoding" in gz.headers["vary"].lower()

    br = await client.get("/f/page.html", headers={"Accept-Encoding": "gzip, br"})
    assert br.headers["content-encoding"] == "br"
    assert await br.text() == "<p>br</p>"

    plain = await client.get("/f/page.html", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert await plain.text() == "<p>plain</p>" * 50
    assert "accept-encoding" in plain.headers["vary"].lower()

    refused = await client.get("/f/page.html", headers={"Accept-Encoding": "gzip;q=0"})
    assert "content-encoding" not in refused.headers


async def test_sibling_etags_differ(client: TestClient) -> None:
    gz = await client.get("/f/page.html", headers={"Accept-Encoding": "gzip"})
    plain = await client.get("/f/page.html", headers={"Accept-Encoding": "identity"})
    assert gz.headers["etag"] != plain.headers["etag"]


async def test_directories_fifos_and_loops_are_not_sent(
    client: TestClient, files: pathlib.Path
) -> None:
    (files / "folder").mkdir()
    os.mkfifo(files / "pipe")  # opening it must not wait for a writer
    os.symlink(files / "loop", files / "loop")  # ELOOP
    assert (await client.get("/f/folder")).status == 404
    assert (await client.get("/f/pipe")).status == 404
    assert (await client.get("/f/loop")).status == 404
    assert (await client.get("/f/" + "n" * 300)).status == 404  # ENAMETOOLONG


async def test_compressed_file_goes_through_the_writer(
    aiohttp_client: ClientFactory, files: pathlib.Path
) -> None:
    """enable_compression(): the bytes must pass the compressor, never sendfile."""

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.FileResponse(files / "big.bin")
        response.enable_compression(web.ContentCoding.gzip)
        return response

    app = web.Application()
    app.router.add_get("/gz", handler)
    client = await aiohttp_client(app)
    response = await client.get("/gz", headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert await response.read() == (files / "big.bin").read_bytes()  # decoded by the client


async def test_cancelled_while_opening_leaks_no_descriptor(
    aiohttp_client: ClientFactory, files: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The open runs in a thread and returns a bare fd: a prepare() cancelled meanwhile
    # (client gone, shutdown, a user timeout) must still get that fd closed.
    import asyncio
    import time

    import heron.web.fileresponse as fileresponse

    real_open = fileresponse._open_regular

    def slow_open(path: str) -> tuple[int, os.stat_result]:
        time.sleep(0.05)
        return real_open(path)

    monkeypatch.setattr(fileresponse, "_open_regular", slow_open)
    target = files / "data.bin"

    def fds_on_target() -> int:
        count = 0
        for name in os.listdir("/proc/self/fd"):
            try:
                count += "data.bin" in os.readlink(f"/proc/self/fd/{name}")
            except OSError:
                pass
        return count

    async def handler(request: web.Request) -> web.StreamResponse:
        task = asyncio.ensure_future(web.FileResponse(target).prepare(request))
        await asyncio.sleep(0.01)  # the thread is inside the slow open now
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return web.Response(text="cancelled")

    app = web.Application()
    app.router.add_get("/", handler)
    client = await aiohttp_client(app)
    for _ in range(5):
        resp = await client.get("/")
        assert await resp.text() == "cancelled"
    await asyncio.sleep(0.2)  # the threads finish their opens after the cancellations
    assert fds_on_target() == 0
