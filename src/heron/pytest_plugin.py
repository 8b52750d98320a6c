"""heron's pytest plugin: the ``aiohttp_client``-style fixtures, loaded automatically.

pytest finds it through the ``pytest11`` entry point, so installing heron is enough.
Fixtures (each also available with a ``heron_`` prefix, e.g. ``heron_client``):

* ``aiohttp_client(app_or_server, *, server_kwargs=None, **kwargs)`` -> TestClient
* ``aiohttp_server(app, *, port=None, **kwargs)`` -> TestServer
* ``aiohttp_raw_server(handler, *, port=None, **kwargs)`` -> RawTestServer
* ``aiohttp_unused_port()`` -> a free port

Each is a factory; everything it made is closed when the test ends. ``async def``
tests need no marker:

* with pytest-asyncio installed, pytest-asyncio runs the loop (use its ``auto``
  mode, or mark tests with ``@pytest.mark.asyncio`` in ``strict`` mode) and these
  fixtures are pytest-asyncio fixtures;
* without it (or with ``-p no:asyncio``) the plugin runs coroutine tests and async
  fixtures itself, in a fresh loop per test (the ``loop`` fixture) picked with
  ``--aiohttp-loop=pyloop|uvloop|all`` (``all`` runs each test once per loop).

Leaks: a test that leaves a client session, response or connection unclosed fails
at teardown (``--heron-leaks=fail``, the default); ``warn`` turns that into a
``HeronLeakWarning`` in the warnings summary, ``ignore`` turns it off.
"""

from __future__ import annotations

import asyncio
import inspect
import warnings
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from .testing.factories import LeakTracker, TestFactories, leak_message
from .testing.loops import LoopFactory, loop_factories, setup_test_loop, teardown_test_loop
from .testing.servers import unused_port

try:  # a pytest-asyncio fixture also works in strict mode; plain pytest otherwise
    from pytest_asyncio import fixture as _async_fixture
except ImportError:  # pragma: no cover - pytest-asyncio is a dev dependency here
    _async_fixture = pytest.fixture  # type: ignore[assignment]

__all__ = (
    "HeronLeakWarning",
    "aiohttp_client",
    "aiohttp_raw_server",
    "aiohttp_server",
    "aiohttp_unused_port",
    "heron_client",
    "heron_raw_server",
    "heron_server",
    "heron_unused_port",
    "loop",
)

_LOOP_KEY = pytest.StashKey[tuple[asyncio.AbstractEventLoop, LeakTracker]]()
_STANDALONE_KEY = pytest.StashKey[bool]()
_DEFAULT_LOOP = "pyloop"


class HeronLeakWarning(pytest.PytestWarning):
    """A test left a client session, response or connection unclosed."""


# -- options and configuration -------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("heron", "heron test fixtures")
    _add_option(
        group,
        "--aiohttp-loop",
        dest="aiohttp_loop",
        default=_DEFAULT_LOOP,
        help="event loop(s) for async tests: pyloop, uvloop, all, or a comma list "
        "(default: pyloop)",
    )
    _add_option(
        group,
        "--aiohttp-enable-loop-debug",
        dest="aiohttp_loop_debug",
        action="store_true",
        default=False,
        help="run test loops in asyncio debug mode",
    )
    _add_option(
        group,
        "--heron-leaks",
        dest="heron_leaks",
        choices=("fail", "warn", "ignore"),
        default="fail",
        help="what to do when a test leaves a client session or response unclosed (default: fail)",
    )


def _add_option(group: Any, name: str, **kwargs: Any) -> None:
    try:
        group.addoption(name, **kwargs)
    except ValueError:  # another plugin (aiohttp's own) already defines it
        pass


def pytest_configure(config: pytest.Config) -> None:
    standalone = not config.pluginmanager.has_plugin("asyncio")
    config.stash[_STANDALONE_KEY] = standalone
    try:
        factories = loop_factories(config.getoption("aiohttp_loop", _DEFAULT_LOOP))
    except ValueError as exc:
        raise pytest.UsageError(f"--aiohttp-loop: {exc}") from None
    explicit = config.getoption("aiohttp_loop", _DEFAULT_LOOP) != _DEFAULT_LOOP
    if not standalone and explicit and hasattr(config.hook, "pytest_asyncio_loop_factories"):
        # Let pytest-asyncio create the chosen loops (parametrising over several).
        config.pluginmanager.register(_AsyncioLoopChoice(factories), "heron-loop-choice")


class _AsyncioLoopChoice:
    """Answers pytest-asyncio's loop-factory hook with the ``--aiohttp-loop`` choice."""

    def __init__(self, factories: dict[str, LoopFactory]) -> None:
        self._factories = factories

    def pytest_asyncio_loop_factories(
        self, config: pytest.Config, item: pytest.Item
    ) -> dict[str, LoopFactory]:
        return dict(self._factories)


def _standalone(config: pytest.Config) -> bool:
    return config.stash.get(_STANDALONE_KEY, False)


# -- running coroutine tests and async fixtures without pytest-asyncio -----------------------


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """With ``--aiohttp-loop=all`` (or a list), run loop-using tests once per loop."""
    config = metafunc.config
    if not _standalone(config):
        return
    factories = loop_factories(config.getoption("aiohttp_loop", _DEFAULT_LOOP))
    if len(factories) < 2:
        return
    uses_loop = inspect.iscoroutinefunction(metafunc.function) or any(
        name in metafunc.fixturenames for name in ("loop", "loop_factory")
    )
    if uses_loop:
        if "loop_factory" not in metafunc.fixturenames:
            metafunc.fixturenames.append("loop_factory")
        metafunc.parametrize("loop_factory", list(factories.values()), ids=list(factories))


def _item_loop(item: pytest.Item) -> asyncio.AbstractEventLoop:
    """The loop of ``item`` (made on first use, closed after its teardown)."""
    held = item.stash.get(_LOOP_KEY, None)
    if held is not None:
        return held[0]
    callspec = getattr(item, "callspec", None)
    factory = callspec.params.get("loop_factory") if callspec is not None else None
    if factory is None:
        names = loop_factories(item.config.getoption("aiohttp_loop", _DEFAULT_LOOP))
        factory = next(iter(names.values()))
    loop = setup_test_loop(factory)
    if item.config.getoption("aiohttp_loop_debug", False):
        loop.set_debug(True)
    item.stash[_LOOP_KEY] = (loop, LeakTracker(loop))
    return loop


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run an ``async def`` test in the test's loop when pytest-asyncio is not active."""
    if not _standalone(pyfuncitem.config) or not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    argnames = pyfuncitem._fixtureinfo.argnames
    kwargs = {name: pyfuncitem.funcargs[name] for name in argnames}
    _item_loop(pyfuncitem).run_until_complete(pyfuncitem.obj(**kwargs))
    return True


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest) -> Any:
    """Without pytest-asyncio, run ``async def`` fixtures in the test's loop."""
    func = fixturedef.func
    is_async = inspect.iscoroutinefunction(func) or inspect.isasyncgenfunction(func)
    if not is_async or not _standalone(request.config):
        return (yield)
    if fixturedef.scope != "function":
        raise pytest.UsageError(
            f"async fixture {fixturedef.argname!r} has scope {fixturedef.scope!r}: without "
            "pytest-asyncio, heron runs async fixtures in the test's own loop, so they "
            "must be function-scoped"
        )
    loop = _item_loop(request.node)
    synchronous = _synchronize(func, loop, request)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fixturedef, "func", synchronous)
        return (yield)


def _synchronize(
    func: Callable[..., Any], loop: asyncio.AbstractEventLoop, request: pytest.FixtureRequest
) -> Callable[..., Any]:
    """A plain function running the async fixture ``func`` to its value in ``loop``."""
    if request.instance is not None and hasattr(func, "__func__"):
        func = func.__func__.__get__(request.instance)  # bind to this test's instance

    def run(*args: Any, **kwargs: Any) -> Any:
        if inspect.iscoroutinefunction(func):
            return loop.run_until_complete(func(*args, **kwargs))
        agen = func(*args, **kwargs)
        value = loop.run_until_complete(agen.__anext__())

        def finish() -> None:
            try:
                loop.run_until_complete(agen.__anext__())
            except StopAsyncIteration:
                return
            loop.run_until_complete(agen.aclose())
            raise ValueError(f"async fixture {func.__name__!r} yielded more than once")

        request.addfinalizer(finish)
        return value

    # Not functools.wraps: pytest must see a plain function, not the coroutine one.
    run.__name__ = getattr(func, "__name__", run.__name__)
    run.__qualname__ = getattr(func, "__qualname__", run.__qualname__)
    return run


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Iterator[None]:
    """Close the test's loop after its fixtures, and report client objects it leaked."""
    try:
        yield
    finally:
        held = item.stash.get(_LOOP_KEY, None)
        if held is not None:
            del item.stash[_LOOP_KEY]
            loop, tracker = held
            leaks = tracker.stop()
            teardown_test_loop(loop, fast=True)
            _report_leaks(item.config, item.nodeid, leaks)


def _report_leaks(config: pytest.Config, nodeid: str, leaks: list[str]) -> None:
    mode = config.getoption("heron_leaks", "fail")
    if not leaks or mode == "ignore":
        return
    message = leak_message(nodeid, leaks)
    if mode == "warn":
        warnings.warn(HeronLeakWarning(message), stacklevel=1)
    else:
        pytest.fail(message, pytrace=False)


# -- fixtures -------------------------------------------------------------------------------


@pytest.fixture
def loop_factory(request: pytest.FixtureRequest) -> LoopFactory:
    """The loop factory of this test (see ``--aiohttp-loop``)."""
    names = loop_factories(request.config.getoption("aiohttp_loop", _DEFAULT_LOOP))
    return next(iter(names.values()))


@pytest.fixture
def loop(request: pytest.FixtureRequest, loop_factory: LoopFactory) -> asyncio.AbstractEventLoop:
    """The event loop the test runs in.

    Without pytest-asyncio: a fresh loop per test, closed after its teardown. With
    pytest-asyncio, use ``asyncio.get_running_loop()`` in the test instead.
    """
    if not _standalone(request.config):
        raise pytest.UsageError(
            "the 'loop' fixture is for running without pytest-asyncio; with pytest-asyncio "
            "call asyncio.get_running_loop() inside the test"
        )
    return _item_loop(request.node)


@_async_fixture
async def heron_test_factories(request: pytest.FixtureRequest) -> AsyncIterator[TestFactories]:
    """Makes the servers and clients of one test and closes them at its end."""
    tracker = LeakTracker(asyncio.get_running_loop())
    factories = TestFactories()
    try:
        yield factories
    finally:
        await factories.close()
        _report_leaks(request.config, request.node.nodeid, tracker.stop())


@pytest.fixture
def aiohttp_server(heron_test_factories: TestFactories) -> Callable[..., Any]:
    """``await aiohttp_server(app, *, port=None, **kwargs)`` -> a started TestServer."""
    return heron_test_factories.server


@pytest.fixture
def aiohttp_raw_server(heron_test_factories: TestFactories) -> Callable[..., Any]:
    """``await aiohttp_raw_server(handler, *, port=None, **kwargs)`` -> a RawTestServer."""
    return heron_test_factories.raw_server


@pytest.fixture
def aiohttp_client(heron_test_factories: TestFactories) -> Callable[..., Any]:
    """``await aiohttp_client(app_or_server, *, server_kwargs=None, **kwargs)``."""
    return heron_test_factories.client


@pytest.fixture
def aiohttp_unused_port() -> Callable[[], int]:
    """``aiohttp_unused_port()`` -> a TCP port on 127.0.0.1 that is free now."""
    return unused_port


@pytest.fixture
def heron_server(aiohttp_server: Callable[..., Any]) -> Callable[..., Any]:
    """heron's name for ``aiohttp_server``."""
    return aiohttp_server


@pytest.fixture
def heron_raw_server(aiohttp_raw_server: Callable[..., Any]) -> Callable[..., Any]:
    """heron's name for ``aiohttp_raw_server``."""
    return aiohttp_raw_server


@pytest.fixture
def heron_client(aiohttp_client: Callable[..., Any]) -> Callable[..., Any]:
    """heron's name for ``aiohttp_client``."""
    return aiohttp_client


@pytest.fixture
def heron_unused_port(aiohttp_unused_port: Callable[[], int]) -> Callable[[], int]:
    """heron's name for ``aiohttp_unused_port``."""
    return aiohttp_unused_port
