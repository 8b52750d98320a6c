"""Applications the deployment tests serve in subprocesses (gunicorn, run_app workers).

Run as a script for ``run_app(workers=N)``: ``python deploy_apps.py MODE PORT``.
"""

from __future__ import annotations

import asyncio
import os
import sys

import flask

from heron import web


async def pid(request: web.Request) -> web.Response:
    return web.Response(text=str(os.getpid()))


async def slow(request: web.Request) -> web.Response:
    mark = request.query.get("mark")
    if mark:  # tells the test that the request is being handled now
        with open(mark, "w"):
            pass
    await asyncio.sleep(float(request.query.get("delay", "0.5")))
    return web.Response(text=f"slow done {os.getpid()}")


def make_app() -> web.Application:
    app = web.Application()
    app.router.add_get("/", pid)
    app.router.add_get("/slow", slow)
    return app


app = make_app()


async def app_factory() -> web.Application:
    """An async app factory, as gunicorn's worker accepts."""
    return make_app()


def cli_factory(argv: list[str]) -> web.Application:
    """``python -m heron.web deploy_apps:cli_factory ARGS``."""
    application = make_app()

    async def args(request: web.Request) -> web.Response:
        return web.Response(text=" ".join(argv))

    application.router.add_get("/args", args)
    return application


async def _fail_startup(application: web.Application) -> None:
    raise RuntimeError("this app cannot start")


def failing_app() -> web.Application:
    application = make_app()
    application.on_startup.append(_fail_startup)
    return application


flask_app = flask.Flask("deploy")


@flask_app.route("/hello")
def flask_hello() -> str:
    env = flask.request.environ
    return f"flask {env['wsgi.url_scheme']} {env['wsgi.multiprocess']} {os.getpid()}"


if __name__ == "__main__":
    mode, port = sys.argv[1], int(sys.argv[2])
    target = failing_app() if mode == "failing" else app
    web.run_app(
        target,
        host="127.0.0.1",
        port=port,
        workers=2,
        shutdown_timeout=5,
        reuse_port=mode != "shared",
        access_log=None,
    )
    print("supervisor stopped", flush=True)
