"""A small heron application used by the example test suite next to it.

It greets, keeps a list of notes in the application state and counts requests in a
middleware. ``test_app.py`` tests it with the pytest fixtures, ``test_app_unittest.py``
with the ``unittest`` base class; see ``docs/testing.md``.

Run it with ``python examples/testing_app/app.py`` and open http://127.0.0.1:8080/.
"""

from __future__ import annotations

from typing import Any

from heron import web

NOTES = web.AppKey("notes", list)
HITS = web.AppKey("hits", dict)


async def index(request: web.Request) -> web.Response:
    return web.Response(text="Hello, world")


async def greet(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    return web.Response(text=f"Hello, {name}")


async def list_notes(request: web.Request) -> web.Response:
    return web.json_response({"notes": request.app[NOTES]})


async def add_note(request: web.Request) -> web.Response:
    data = await request.json()
    text = data.get("text") if isinstance(data, dict) else None
    if not isinstance(text, str) or not text:
        raise web.HTTPBadRequest(text="a note needs a non-empty 'text'")
    request.app[NOTES].append(text)
    return web.json_response({"id": len(request.app[NOTES])}, status=201)


async def visit(request: web.Request) -> web.Response:
    """Count visits per client with a cookie, so tests can see cookies kept."""
    count = int(request.cookies.get("visits", "0")) + 1
    response = web.Response(text=f"visit {count}")
    response.set_cookie("visits", str(count))
    return response


@web.middleware
async def count_hits(request: web.Request, handler: Any) -> web.StreamResponse:
    """Count requests per path in the app state and say so in a header."""
    hits = request.app[HITS]
    hits[request.path] = hits.get(request.path, 0) + 1
    response: web.StreamResponse = await handler(request)
    response.headers["X-Hits"] = str(hits[request.path])
    return response


def create_app() -> web.Application:
    """Build the application (a fresh one each call, so every test starts clean)."""
    app = web.Application(middlewares=[count_hits])
    app[NOTES] = []
    app[HITS] = {}
    app.router.add_get("/", index)
    app.router.add_get("/hello/{name}", greet, name="greet")
    app.router.add_get("/notes", list_notes)
    app.router.add_post("/notes", add_note)
    app.router.add_get("/visit", visit)
    return app


if __name__ == "__main__":
    web.run_app(create_app(), host="127.0.0.1", port=8080)
