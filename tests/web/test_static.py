"""Static files: serving, content types, directory listings and path traversal."""

from __future__ import annotations

import asyncio
import os
import pathlib
import shutil
from collections.abc import AsyncIterator

import httpx
import pytest
from app_helpers import raw_request, serve

from heron import web


@pytest.fixture
def tree(tmp_path: pathlib.Path) -> pathlib.Path:
    root = tmp_path / "public"
    (root / "css").mkdir(parents=True)
    (root / "index.html").write_text("<h1>hi</h1>")
    (root / "css" / "site.css").write_text("body{}")
    (root / "data.json").write_text("{}")
    (root / "a b.txt").write_text("spaced")
    (root / "<script>.txt").write_text("x")
    (tmp_path / "secret.txt").write_text("SECRET")
    return root


@pytest.fixture
async def base(tree: pathlib.Path) -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_static("/static", tree, name="static")
    async with serve(app) as url:
        yield url


async def get_raw(base: str, target: bytes) -> bytes:
    return await raw_request(
        base, b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )


async def test_serves_files_with_types(base: str) -> None:  # B-112
    async with httpx.AsyncClient(base_url=base) as client:
        page = await client.get("/static/index.html")
        assert page.status_code == 200
        assert page.text == "<h1>hi</h1>"
        assert page.headers["content-type"].startswith("text/html")
        css = await client.get("/static/css/site.css")
        assert css.headers["content-type"].startswith("text/css")
        assert (await client.get("/static/data.json")).headers["content-type"] == (
            "application/json"
        )
        assert (await client.get("/static/a%20b.txt")).text == "spaced"
        head = await client.head("/static/index.html")
        assert head.content == b"" and head.headers["content-length"] == "11"


async def test_missing_file_and_methods(base: str) -> None:
    async with httpx.AsyncClient(base_url=base) as client:
        assert (await client.get("/static/nope.txt")).status_code == 404
        response = await client.post("/static/index.html")
        assert response.status_code == 405
        assert set(response.headers["allow"].split(",")) == {"GET", "HEAD"}


async def test_directory_without_index_is_forbidden(base: str) -> None:
    async with httpx.AsyncClient(base_url=base) as client:
        assert (await client.get("/static/css")).status_code == 403
        assert (await client.get("/static/")).status_code == 403


@pytest.mark.parametrize(
    "target",
    [
        b"/static/../secret.txt",
        b"/static/css/../../secret.txt",
        b"/static/%2e%2e/secret.txt",
        b"/static/%2E%2E%2Fsecret.txt",
        b"/static/css%2F..%2F..%2Fsecret.txt",
        b"/static/..%5csecret.txt",
        b"/static//etc/passwd",
        b"/static/%2Fetc%2Fpasswd",
        b"/static/index.html%00.txt",
        b"/static/%00",
    ],
)
async def test_traversal_is_refused(base: str, target: bytes) -> None:
    reply = await get_raw(base, target)
    status = int(reply.split(b" ", 2)[1])
    assert status in (400, 403, 404), reply[:200]
    assert b"SECRET" not in reply
    assert b"root:" not in reply


@pytest.fixture
def linked(tree: pathlib.Path, tmp_path: pathlib.Path) -> pathlib.Path:
    os.symlink(tmp_path / "secret.txt", tree / "escape.txt")
    os.symlink(tmp_path, tree / "up")
    os.symlink(tree / "index.html", tree / "inside.html")
    return tree


async def test_symlinks_out_of_root_refused(linked: pathlib.Path) -> None:
    app = web.Application()
    app.router.add_static("/static", linked)
    async with serve(app) as base, httpx.AsyncClient(base_url=base) as client:
        assert (await client.get("/static/escape.txt")).status_code == 404
        assert (await client.get("/static/up/secret.txt")).status_code == 404
        # A link that stays inside the root is fine.
        assert (await client.get("/static/inside.html")).text == "<h1>hi</h1>"


async def test_follow_symlinks(linked: pathlib.Path) -> None:
    app = web.Application()
    app.router.add_static("/static", linked, follow_symlinks=True)
    async with serve(app) as base, httpx.AsyncClient(base_url=base) as client:
        assert (await client.get("/static/escape.txt")).text == "SECRET"
        assert (await client.get("/static/up/secret.txt")).text == "SECRET"
    # ... but ".." is still refused.
    async with serve(_static_app(linked, follow_symlinks=True)) as base:
        reply = await get_raw(base, b"/static/%2e%2e/secret.txt")
        assert b"SECRET" not in reply


def _static_app(root: pathlib.Path, **kwargs: bool) -> web.Application:
    app = web.Application()
    app.router.add_static("/static", root, **kwargs)
    return app


async def test_show_index_escapes_names(tree: pathlib.Path) -> None:
    async with (
        serve(_static_app(tree, show_index=True)) as base,
        httpx.AsyncClient(base_url=base) as client,
    ):
        page = await client.get("/static/")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert "Index of /static/" in page.text
        assert "<script>" not in page.text
        assert "&lt;script&gt;.txt" in page.text
        assert 'href="/static/a%20b.txt"' in page.text
        assert 'href="/static/css/"' in page.text
        sub = await client.get("/static/css")
        assert "site.css" in sub.text and "Index of /static/css/" in sub.text


async def test_last_modified_and_304(base: str) -> None:  # B-113
    async with httpx.AsyncClient(base_url=base) as client:
        first = await client.get("/static/index.html")
        modified = first.headers["last-modified"]
        again = await client.get("/static/index.html", headers={"If-Modified-Since": modified})
        assert again.status_code == 304
        assert again.content == b""
        old = await client.get(
            "/static/index.html",
            headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"},
        )
        assert old.status_code == 200


async def test_without_sendfile(base: str, monkeypatch: pytest.MonkeyPatch) -> None:  # B-114
    monkeypatch.setenv("AIOHTTP_NOSENDFILE", "1")
    async with httpx.AsyncClient(base_url=base) as client:
        assert (await client.get("/static/css/site.css")).text == "body{}"


async def test_static_prefix_with_trailing_slash_and_routes(tree: pathlib.Path) -> None:
    routes = web.RouteTableDef()
    routes.static("/files/", tree, name="files")
    app = web.Application()
    app.router.add_routes(routes)
    assert str(app.router["files"].url_for(filename="css/site.css")) == "/files/css/site.css"
    async with serve(app) as base, httpx.AsyncClient(base_url=base) as client:
        assert (await client.get("/files/css/site.css")).text == "body{}"


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl not installed")
async def test_curl_download(base: str, tree: pathlib.Path, tmp_path: pathlib.Path) -> None:
    blob = os.urandom(700_000)
    (tree / "blob.bin").write_bytes(blob)
    out = tmp_path / "out.bin"
    # An asyncio subprocess: the server runs on this same loop.
    proc = await asyncio.create_subprocess_exec(
        "curl",
        "-sS",
        "--max-time",
        "10",
        "-o",
        str(out),
        f"{base}/static/blob.bin",
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 0, stderr
    assert out.read_bytes() == blob
