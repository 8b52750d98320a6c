"""Static files: serving, content types, directory listings and path traversal."""

from __future__ import annotations

import asyncio
import os
import pathlib
import shutil

import pytest
from app_helpers import ClientFactory, raw_request

from heron import web
from heron.test_utils import TestClient


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
async def client(aiohttp_client: ClientFactory, tree: pathlib.Path) -> TestClient:
    return await aiohttp_client(_static_app(tree))


async def get_raw(client: TestClient, target: bytes) -> bytes:
    return await raw_request(
        client, b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )


async def text(client: TestClient, path: str) -> str:
    return await (await client.get(path)).text()


async def test_serves_files_with_types(client: TestClient) -> None:  # B-112
    page = await client.get("/static/index.html")
    assert page.status == 200
    assert await page.text() == "<h1>hi</h1>"
    assert page.headers["content-type"].startswith("text/html")
    css = await client.get("/static/css/site.css")
    assert css.headers["content-type"].startswith("text/css")
    assert (await client.get("/static/data.json")).headers["content-type"] == ("application/json")
    assert await text(client, "/static/a%20b.txt") == "spaced"
    head = await client.head("/static/index.html")
    assert await head.read() == b"" and head.headers["content-length"] == "11"


async def test_missing_file_and_methods(client: TestClient) -> None:
    assert (await client.get("/static/nope.txt")).status == 404
    response = await client.post("/static/index.html")
    assert response.status == 405
    assert set(response.headers["allow"].split(",")) == {"GET", "HEAD"}


async def test_directory_without_index_is_forbidden(client: TestClient) -> None:
    assert (await client.get("/static/css")).status == 403
    assert (await client.get("/static/")).status == 403


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
async def test_traversal_is_refused(client: TestClient, target: bytes) -> None:
    reply = await get_raw(client, target)
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


async def test_symlinks_out_of_root_refused(
    aiohttp_client: ClientFactory, linked: pathlib.Path
) -> None:
    client = await aiohttp_client(_static_app(linked))
    assert (await client.get("/static/escape.txt")).status == 404
    assert (await client.get("/static/up/secret.txt")).status == 404
    # A link that stays inside the root is fine.
    assert await text(client, "/static/inside.html") == "<h1>hi</h1>"


async def test_follow_symlinks(aiohttp_client: ClientFactory, linked: pathlib.Path) -> None:
    client = await aiohttp_client(_static_app(linked, follow_symlinks=True))
    assert await text(client, "/static/escape.txt") == "SECRET"
    assert await text(client, "/static/up/secret.txt") == "SECRET"
    # ... but ".." is still refused.
    reply = await get_raw(client, b"/static/%2e%2e/secret.txt")
    assert b"SECRET" not in reply


def _static_app(root: pathlib.Path, **kwargs: bool) -> web.Application:
    app = web.Application()
    app.router.add_static("/static", root, name="static", **kwargs)
    return app


async def test_show_index_escapes_names(aiohttp_client: ClientFactory, tree: pathlib.Path) -> None:
    client = await aiohttp_client(_static_app(tree, show_index=True))
    page = await client.get("/static/")
    assert page.status == 200
    assert page.headers["content-type"].startswith("text/html")
    listing = await page.text()
    assert "Index of /static/" in listing
    assert "<script>" not in listing
    assert "&lt;script&gt;.txt" in listing
    assert 'href="/static/a%20b.txt"' in listing
    assert 'href="/static/css/"' in listing
    sub = await text(client, "/static/css")
    assert "site.css" in sub and "Index of /static/css/" in sub


async def test_last_modified_and_304(client: TestClient) -> None:  # B-113
    first = await client.get("/static/index.html")
    modified = first.headers["last-modified"]
    again = await client.get("/static/index.html", headers={"If-Modified-Since": modified})
    assert again.status == 304
    assert await again.read() == b""
    old = await client.get(
        "/static/index.html",
        headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"},
    )
    assert old.status == 200


async def test_without_sendfile(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:  # B-114
    monkeypatch.setenv("AIOHTTP_NOSENDFILE", "1")
    assert await text(client, "/static/css/site.css") == "body{}"


async def test_static_prefix_with_trailing_slash_and_routes(
    aiohttp_client: ClientFactory, tree: pathlib.Path
) -> None:
    routes = web.RouteTableDef()
    routes.static("/files/", tree, name="files")
    app = web.Application()
    app.router.add_routes(routes)
    assert str(app.router["files"].url_for(filename="css/site.css")) == "/files/css/site.css"
    client = await aiohttp_client(app)
    assert await text(client, "/files/css/site.css") == "body{}"


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl not installed")
async def test_curl_download(
    client: TestClient, tree: pathlib.Path, tmp_path: pathlib.Path
) -> None:
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
        str(client.make_url("/static/blob.bin")),
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 0, stderr
    assert out.read_bytes() == blob


# ------------------------------------------- files served before (remembered by name)


async def test_known_file_changes_are_seen(client: TestClient, tree: pathlib.Path) -> None:
    assert await text(client, "/static/data.json") == "{}"
    # Replaced by a new file (a new inode), then rewritten in place, then removed.
    (tree / "new.json").write_text('{"v": 2}')
    os.replace(tree / "new.json", tree / "data.json")
    assert await text(client, "/static/data.json") == '{"v": 2}'
    (tree / "data.json").write_text('{"v": 3}')
    assert await text(client, "/static/data.json") == '{"v": 3}'
    (tree / "data.json").unlink()
    assert (await client.get("/static/data.json")).status == 404
    (tree / "data.json").mkdir()
    assert (await client.get("/static/data.json")).status == 403  # now a directory


async def test_known_file_behind_a_swapped_directory(
    client: TestClient, tree: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    """A directory on the way replaced by a symlink out of the root, after the file
    inside it was served: the name is checked again and refused."""
    assert await text(client, "/static/css/site.css") == "body{}"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "site.css").write_text("SECRET")
    (tree / "css").rename(tree / "css-old")
    os.symlink(outside, tree / "css")
    reply = await get_raw(client, b"/static/css/site.css")
    assert b"SECRET" not in reply
    assert int(reply.split(b" ", 2)[1]) == 404


async def test_many_names_are_served(
    client: TestClient, tree: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from heron.web import staticfiles

    monkeypatch.setattr(staticfiles, "_KNOWN_MAX", 2)  # forget names early
    for name in ("a", "b", "c", "a", "d", "b"):
        (tree / f"{name}.txt").write_text(name)
    for name in ("a", "b", "c", "a", "d", "b"):
        assert await text(client, f"/static/{name}.txt") == name


async def test_slow_file_system_goes_back_to_threads(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inline opens stop after a few slow ones; files are served all the same."""
    from heron.web.fileresponse import InlineOpen

    monkeypatch.setattr(InlineOpen, "SLOW", -1.0)  # every step counts as slow
    for _ in range(6):
        assert await text(client, "/static/css/site.css") == "body{}"


def test_inline_open_strikes() -> None:
    from heron.web.fileresponse import InlineOpen

    inline = InlineOpen()
    for _ in range(InlineOpen.STRIKES - 1):
        inline.took(1.0)
    inline.took(0.0)  # a fast one forgives the slow ones before it
    for _ in range(InlineOpen.STRIKES - 1):
        inline.took(1.0)
    assert inline.enabled
    inline.took(1.0)
    assert not inline.enabled


async def test_options_route_on_the_static_prefix(
    aiohttp_client: ClientFactory, tree: pathlib.Path
) -> None:
    async def preflight(request: web.Request) -> web.Response:
        return web.Response(text="options " + request.match_info["filename"])

    app = web.Application()
    resource = app.router.add_static("/static", tree)
    resource.set_options_route(preflight)
    with pytest.raises(RuntimeError, match="set already"):
        resource.set_options_route(preflight)
    client = await aiohttp_client(app)
    response = await client.options("/static/index.html")
    assert (response.status, await response.text()) == (200, "options index.html")
    response = await client.post("/static/index.html")
    assert set(response.headers["allow"].split(",")) == {"GET", "HEAD", "OPTIONS"}
    assert await text(client, "/static/index.html") == "<h1>hi</h1>"
