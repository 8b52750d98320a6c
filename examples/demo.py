"""heron demo: routing, JSON, forms, uploads, a view, a middleware and static files.

Run with ``make run`` (or ``python examples/demo.py``) and open http://127.0.0.1:8080/.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import pathlib
import sys
import time
from typing import Any

from heron import BodyPartReader, web

STATIC_DIR = pathlib.Path(__file__).with_name("static")
NOTES = web.AppKey("notes", list)
STREAM_DELAY = web.AppKey("stream_delay", float)
UPLOAD_CHUNK = 2**16

PAGE = """<!doctype html>
<html>
<head><meta charset="utf-8"><title>heron demo</title>
<link rel="stylesheet" href="{css}"></head>
<body>
<h1>heron demo</h1>
<ul>
  <li><a href="{hello}">/hello/{{name}}</a>: a named, routed page</li>
  <li><a href="/json">/json</a>: a JSON response</li>
  <li><a href="/stream">/stream</a>: a streamed (chunked) response</li>
  <li><a href="/notes">/notes</a>: a class-based view (GET lists, POST adds)</li>
  <li><a href="/static/">/static/</a>: static files with a directory listing</li>
  <li><a href="/json/">/json/</a>: redirected to <code>/json</code> by a middleware</li>
</ul>
<form method="post" action="/form">
  <label>Your name <input name="name" value="heron"></label>
  <label>Colour <input name="colour" value="grey"></label>
  <button type="submit">Send</button>
</form>
<form method="post" action="/upload" enctype="multipart/form-data">
  <label>A file <input type="file" name="file"></label>
  <button type="submit">Upload</button>
</form>
<form method="post" action="/notes">
  <label>A note <input name="text" value="remember the milk"></label>
  <button type="submit">Add note</button>
</form>
</body>
</html>
"""

routes = web.RouteTableDef()


@routes.get("/")
async def index(request: web.Request) -> web.Response:
    """The home page; its links are built from route names."""
    router = request.app.router
    page = PAGE.format(
        css=router["static"].url_for(filename="style.css"),  # ?v=<hash> for caching
        hello=router["hello"].url_for(name="world"),
    )
    return web.Response(text=page, content_type="text/html")


@routes.get("/hello/{name}", name="hello")
async def hello(request: web.Request) -> web.Response:
    """A page built from a route parameter."""
    name = html.escape(request.match_info["name"])
    return web.Response(text=f"<h1>Hello, {name}!</h1>", content_type="text/html")


@routes.get("/json")
async def json_view(request: web.Request) -> web.Response:
    """JSON with some facts about the request."""
    return web.json_response(
        {
            "method": request.method,
            "path": request.path,
            "query": dict(request.query),
            "remote": request.remote,
            "time": time.time(),
        }
    )


@routes.post("/form")
async def form(request: web.Request) -> web.Response:
    """Echo an url-encoded form back as an HTML list."""
    data = await request.post()
    items = "".join(
        f"<li>{html.escape(key)} = {html.escape(str(value))}</li>" for key, value in data.items()
    )
    body = f"<h1>You sent</h1><ul>{items}</ul><p><a href='/'>back</a></p>"
    return web.Response(text=body, content_type="text/html")


@routes.get("/stream")
async def stream(request: web.Request) -> web.StreamResponse:
    """A response written piece by piece (chunked transfer coding)."""
    resp = web.StreamResponse()
    resp.content_type = "text/plain"
    resp.charset = "utf-8"
    await resp.prepare(request)
    for i in range(1, 6):
        await resp.write(f"line {i} of 5\n".encode())
        await asyncio.sleep(request.app[STREAM_DELAY])
    await resp.write_eof()
    return resp


@routes.post("/upload")
async def upload(request: web.Request) -> web.Response:
    """Receive a multipart file upload, streamed: report its name, size and SHA-256.

    The parts are read chunk by chunk and only hashed, so an upload of any size passes
    in a few kilobytes of memory (``request.post()`` would spool it to a temporary file).
    """
    reader = await request.multipart()
    async for part in reader:
        if not isinstance(part, BodyPartReader) or part.name != "file" or not part.filename:
            continue  # other fields of the form are not needed here
        digest = hashlib.sha256()
        size = 0
        while chunk := await part.read_chunk(UPLOAD_CHUNK):
            digest.update(chunk)
            size += len(chunk)
        name = html.escape(part.filename)
        ctype = html.escape(part.headers.get("Content-Type", "application/octet-stream"))
        body = (
            f"<h1>Received {name}</h1><p>{size} bytes, {ctype}</p>"
            f"<p>sha256 <code>{digest.hexdigest()}</code></p><p><a href='/'>back</a></p>"
        )
        return web.Response(text=body, content_type="text/html")
    raise web.HTTPBadRequest(text="no file in the form")


@routes.view("/notes", name="notes")
class Notes(web.View):
    """A class-based view: one method per HTTP method."""

    async def get(self) -> web.Response:
        return web.json_response({"notes": self.request.app[NOTES]})

    async def post(self) -> web.Response:
        form = await self.request.post()
        self.request.app[NOTES].append(str(form.get("text", "")))
        raise web.HTTPSeeOther(self.request.app.router["notes"].url_for())


@web.middleware
async def timing(request: web.Request, handler: Any) -> web.StreamResponse:
    """Add an X-Response-Time header (ms) to every answer, errors included."""
    start = time.perf_counter()
    try:
        response: web.StreamResponse = await handler(request)
    except web.HTTPException as exc:
        response = exc
    if not response.prepared:
        response.headers["X-Response-Time"] = f"{(time.perf_counter() - start) * 1000:.2f}"
    return response


def make_app(*, stream_delay: float = 0.2) -> web.Application:
    """Build the demo application (``stream_delay``: seconds between /stream's lines)."""
    app = web.Application(
        middlewares=[
            timing,
            web.normalize_path_middleware(append_slash=False, remove_slash=True),
        ]
    )
    app[NOTES] = []
    app[STREAM_DELAY] = stream_delay
    app.add_routes(routes)
    app.router.add_static(
        "/static", STATIC_DIR, name="static", show_index=True, append_version=True
    )
    return app


if __name__ == "__main__":
    # An optional first argument picks another port (the tests use a free one).
    web.run_app(make_app(), host="127.0.0.1", port=int(sys.argv[1]) if sys.argv[1:] else 8080)
