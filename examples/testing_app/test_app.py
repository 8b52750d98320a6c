"""Testing the example app with heron's pytest fixtures, the way aiohttp's docs show.

heron's pytest plugin is loaded automatically once heron is installed: the fixtures
``aiohttp_client``, ``aiohttp_server``, ``aiohttp_raw_server`` and
``aiohttp_unused_port`` (also named ``heron_client``, ...) need no import, and
``async def`` tests need no marker. Run with ``pytest examples/``.
"""

import pytest
from app import NOTES, create_app, greet

from heron import web
from heron.test_utils import make_mocked_request


async def test_index(aiohttp_client):
    client = await aiohttp_client(create_app())
    resp = await client.get("/")
    assert resp.status == 200
    assert await resp.text() == "Hello, world"


async def test_greeting(aiohttp_client):
    client = await aiohttp_client(create_app())
    async with client.get("/hello/heron") as resp:
        assert resp.status == 200
        assert await resp.text() == "Hello, heron"


async def test_unknown_path_is_404(aiohttp_client):
    client = await aiohttp_client(create_app())
    resp = await client.get("/nowhere")
    assert resp.status == 404


# A fixture that builds the client once per test keeps the tests short.
@pytest.fixture
async def cli(aiohttp_client):
    return await aiohttp_client(create_app())


async def test_add_and_list_notes(cli):
    resp = await cli.post("/notes", json={"text": "buy milk"})
    assert resp.status == 201
    assert await resp.json() == {"id": 1}
    resp = await cli.get("/notes")
    assert await resp.json() == {"notes": ["buy milk"]}
    # The application under test is at hand, state included.
    assert cli.app[NOTES] == ["buy milk"]


async def test_bad_note_is_400(cli):
    resp = await cli.post("/notes", json={"text": ""})
    assert resp.status == 400
    assert "non-empty" in await resp.text()


async def test_middleware_header(cli):
    for expected in ("1", "2"):
        resp = await cli.get("/")
        assert resp.headers["X-Hits"] == expected


async def test_cookies_are_kept_between_requests(cli):
    assert await (await cli.get("/visit")).text() == "visit 1"
    assert await (await cli.get("/visit")).text() == "visit 2"


async def test_server_fixture(aiohttp_server, aiohttp_client):
    # aiohttp_server when the test needs the server itself (its URL, port, ...).
    server = await aiohttp_server(create_app())
    assert server.make_url("/notes").path == "/notes"
    client = await aiohttp_client(server)
    resp = await client.get("/hello/server")
    assert await resp.text() == "Hello, server"


async def test_raw_server(aiohttp_raw_server, aiohttp_client):
    # A bare handler, no Application or router around it.
    async def handler(request):
        return web.Response(text=f"raw {request.method} {request.path}")

    client = await aiohttp_client(await aiohttp_raw_server(handler))
    resp = await client.post("/anything")
    assert await resp.text() == "raw POST /anything"


async def test_handler_without_a_server():
    # make_mocked_request builds a request for calling a handler directly.
    req = make_mocked_request("GET", "/hello/mock", match_info={"name": "mock"})
    resp = await greet(req)
    assert resp.status == 200
    assert resp.text == "Hello, mock"


def test_url_building():
    app = create_app()
    assert str(app.router["greet"].url_for(name="a b")) == "/hello/a%20b"
