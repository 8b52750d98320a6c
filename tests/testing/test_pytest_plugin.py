"""heron.pytest_plugin run in inner pytest sessions (pytester), with and without
pytest-asyncio."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

ASYNCIO_INI = """
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
"""

# One file using every fixture, as a user would write it.
EVERY_FIXTURE = """
import asyncio
from heron import web
from heron.test_utils import RawTestServer, TestClient, TestServer


async def hello(request):
    return web.Response(text="Hello, " + request.match_info.get("name", "world"))


def make_app():
    app = web.Application()
    app.router.add_get("/", hello)
    app.router.add_get("/{name}", hello)
    return app


async def test_client(aiohttp_client):
    client = await aiohttp_client(make_app())
    assert isinstance(client, TestClient)
    async with client.get("/bob") as resp:
        assert resp.status == 200
    assert await resp.text() == "Hello, bob"


async def test_server(aiohttp_server, aiohttp_client):
    server = await aiohttp_server(make_app())
    assert isinstance(server, TestServer) and server.port
    client = await aiohttp_client(server)
    assert await (await client.get("/")).text() == "Hello, world"


async def test_raw_server(aiohttp_raw_server, aiohttp_client):
    async def handler(request):
        return web.Response(text="raw")

    server = await aiohttp_raw_server(handler)
    assert isinstance(server, RawTestServer)
    client = await aiohttp_client(server)
    assert await (await client.get("/")).text() == "raw"


async def test_unused_port(aiohttp_unused_port, aiohttp_client):
    port = aiohttp_unused_port()
    client = await aiohttp_client(make_app(), server_kwargs={"port": port})
    assert client.port == port


async def test_heron_names(heron_client, heron_server, heron_raw_server, heron_unused_port):
    server = await heron_server(make_app(), port=heron_unused_port())
    client = await heron_client(server)
    assert (await client.get("/")).status == 200
    async def raw_handler(request):
        return web.Response(text="raw")

    raw = await heron_raw_server(raw_handler)
    assert (await (await heron_client(raw)).get("/")).status == 200


def test_sync_test_is_left_alone():
    assert True
"""

STANDALONE_EXTRAS = """
import asyncio
import pytest
from heron import web


@pytest.fixture
async def value():
    await asyncio.sleep(0)
    return 41


@pytest.fixture
async def resource(loop):
    state = {"open": True}
    yield state
    await asyncio.sleep(0)
    state["open"] = False


async def test_async_fixtures(value, resource, loop):
    assert value == 41 and resource["open"]
    assert asyncio.get_running_loop() is loop


def test_sync_test_with_async_fixture(value, loop):
    assert value == 41
    assert not loop.is_closed()


class TestInClass:
    @pytest.fixture
    async def name(self):
        return type(self).__name__

    async def test_method(self, name, aiohttp_client):
        assert name == "TestInClass"
"""


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    # Only the plugins under test: no cache written, no unrelated plugins to load.
    quiet = ("-p", "no:cacheprovider", "-p", "no:randomly", "-p", "no:hypothesispytest")
    return pytester.runpytest(*quiet, "-p", "no:anyio", "-p", "no:cov", *args)


def test_every_fixture_with_pytest_asyncio(pytester: pytest.Pytester) -> None:
    pytester.makeini(ASYNCIO_INI)
    pytester.makepyfile(test_app=EVERY_FIXTURE)
    run(pytester).assert_outcomes(passed=6)


def test_every_fixture_without_pytest_asyncio(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_app=EVERY_FIXTURE, test_extras=STANDALONE_EXTRAS)
    run(pytester, "-p", "no:asyncio").assert_outcomes(passed=9)


def test_strict_mode_with_markers(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        "[pytest]\nasyncio_mode = strict\nasyncio_default_fixture_loop_scope = function\n"
    )
    pytester.makepyfile(
        """
        import pytest
        from heron import web

        @pytest.mark.asyncio
        async def test_marked(aiohttp_client):
            client = await aiohttp_client(web.Application())
            assert (await client.get("/")).status == 404
        """
    )
    run(pytester).assert_outcomes(passed=1)


FAILING_HANDLER = """
from heron import web

async def broken(request):
    raise ZeroDivisionError("the handler broke")

async def test_broken(aiohttp_client):
    app = web.Application()
    app.router.add_get("/", broken)
    client = await aiohttp_client(app)
    resp = await client.get("/")
    assert resp.status == 200
"""


@pytest.mark.parametrize("plugin_args", [(), ("-p", "no:asyncio")], ids=["asyncio", "alone"])
def test_failing_handler_shows_a_useful_failure(
    pytester: pytest.Pytester, plugin_args: tuple[str, ...]
) -> None:
    pytester.makeini(ASYNCIO_INI)
    pytester.makepyfile(FAILING_HANDLER)
    result = run(pytester, *plugin_args)
    result.assert_outcomes(failed=1)
    # The assertion shows the status, and the captured log the handler's traceback.
    result.stdout.fnmatch_lines(["*assert 500 == 200*"])
    result.stdout.fnmatch_lines(["*ZeroDivisionError: the handler broke*"])


LEAKY = """
import heron

async def test_leaks_a_session(aiohttp_client):
    from heron import web
    await aiohttp_client(web.Application())
    session = heron.ClientSession()
    del session
"""


@pytest.mark.parametrize("plugin_args", [(), ("-p", "no:asyncio")], ids=["asyncio", "alone"])
def test_unclosed_session_fails_the_test(
    pytester: pytest.Pytester, plugin_args: tuple[str, ...]
) -> None:
    pytester.makeini(ASYNCIO_INI)
    pytester.makepyfile(LEAKY)
    result = run(pytester, *plugin_args, "-W", "ignore::ResourceWarning")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*left client objects unclosed*", "*Unclosed client session*"])


def test_leaks_as_warnings_or_ignored(pytester: pytest.Pytester) -> None:
    pytester.makeini(ASYNCIO_INI)
    pytester.makepyfile(LEAKY)
    result = run(pytester, "--heron-leaks=warn", "-W", "ignore::ResourceWarning")
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(["*HeronLeakWarning*", "*Unclosed client session*"])
    result = run(pytester, "--heron-leaks=ignore", "-W", "ignore::ResourceWarning")
    result.assert_outcomes(passed=1)


def test_standalone_leak_without_fixtures(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import heron

        async def test_leak():
            heron.ClientSession()
        """
    )
    result = run(pytester, "-p", "no:asyncio", "-W", "ignore::ResourceWarning")
    result.assert_outcomes(passed=1, errors=1)


LOOP_KIND = """
import asyncio

async def test_loop_kind():
    print("LOOP", type(asyncio.get_running_loop()).__module__)
"""


def test_loop_option_without_pytest_asyncio(pytester: pytest.Pytester) -> None:
    pytest.importorskip("uvloop")
    pytester.makepyfile(LOOP_KIND)
    result = run(pytester, "-p", "no:asyncio", "-s", "--aiohttp-loop=all", "-v")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*test_loop_kind?pyloop?*", "*test_loop_kind?uvloop?*"])
    result = run(pytester, "-p", "no:asyncio", "-s", "--aiohttp-loop=uvloop")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*LOOP uvloop*"])


def test_loop_option_with_pytest_asyncio(pytester: pytest.Pytester) -> None:
    pytest.importorskip("uvloop")
    pytester.makeini(ASYNCIO_INI)
    pytester.makepyfile(LOOP_KIND)
    result = run(pytester, "-s", "--aiohttp-loop=uvloop")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*LOOP uvloop*"])


def test_bad_loop_option(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x(): pass")
    result = run(pytester, "--aiohttp-loop=tokio")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*Unknown loop 'tokio'*"])


def test_wide_scoped_async_fixture_is_refused_without_pytest_asyncio(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.fixture(scope="module")
        async def shared():
            return 1

        async def test_x(shared):
            pass
        """
    )
    result = run(pytester, "-p", "no:asyncio")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*must be function-scoped*"])


def test_loop_fixture_is_refused_with_pytest_asyncio(pytester: pytest.Pytester) -> None:
    pytester.makeini(ASYNCIO_INI)
    pytester.makepyfile("async def test_x(loop): pass")
    result = run(pytester)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*asyncio.get_running_loop()*"])


def test_unittest_case_collected_by_inner_pytest(pytester: pytest.Pytester) -> None:
    pytester.makeini(ASYNCIO_INI)
    pytester.makepyfile(
        """
        from heron import web
        from heron.test_utils import AioHTTPTestCase

        class TestApp(AioHTTPTestCase):
            async def get_application(self):
                return web.Application()

            async def test_404(self):
                self.assertEqual((await self.client.get("/")).status, 404)
        """
    )
    run(pytester).assert_outcomes(passed=1)
    run(pytester, "-p", "no:asyncio").assert_outcomes(passed=1)
