"""Cookie storage per RFC 6265 (B-019, B-073..B-078)."""

from __future__ import annotations

import asyncio
import pickle
import time
from collections.abc import Awaitable, Callable
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from client_helpers import Handler, RawRequest, keep_answering, response
from yarl import URL

import heron as aiohttp
from heron.client.cookiejar import parse_cookie_date

RawServer = Callable[[Handler], Awaitable[URL]]


def jar_with(*headers: str, url: str = "http://example.com/", **kw: bool) -> aiohttp.CookieJar:
    jar = aiohttp.CookieJar(**kw)
    jar.update_cookies_from_headers(list(headers), URL(url))
    return jar


def names(jar: aiohttp.CookieJar, url: str) -> set[str]:
    return set(jar.filter_cookies(URL(url)))


def test_host_only_vs_domain_cookie() -> None:
    jar = jar_with("host=1", "dom=2; Domain=example.com", url="http://example.com/")
    assert names(jar, "http://example.com/") == {"host", "dom"}
    assert names(jar, "http://www.example.com/") == {"dom"}
    assert names(jar, "http://other.com/") == set()  # B-076
    assert names(jar, "http://badexample.com/") == set()


def test_domain_attribute_must_cover_host() -> None:
    jar = jar_with(
        "a=1; Domain=other.com", "b=2; Domain=.example.com", url="http://www.example.com/"
    )
    assert [m.key for m in jar] == ["b"]
    assert names(jar, "http://example.com/") == {"b"}


def test_path_scoping() -> None:
    jar = jar_with(
        "root=1; Path=/", "api=2; Path=/api", "dflt=3", url="http://example.com/api/v1/x"
    )
    assert names(jar, "http://example.com/") == {"root"}
    assert names(jar, "http://example.com/api") == {"root", "api"}
    assert names(jar, "http://example.com/api/v1/y") == {"root", "api", "dflt"}
    assert names(jar, "http://example.com/apix") == {"root"}


def test_more_specific_path_wins() -> None:
    jar = jar_with("k=root; Path=/", "k=deep; Path=/a/b", url="http://example.com/")
    assert jar.filter_cookies(URL("http://example.com/a/b/c"))["k"].value == "deep"
    assert jar.filter_cookies(URL("http://example.com/z"))["k"].value == "root"


def test_secure_only_over_https() -> None:
    jar = jar_with("s=1; Secure", "p=2", url="https://example.com/")
    assert names(jar, "https://example.com/") == {"s", "p"}
    assert names(jar, "http://example.com/") == {"p"}
    assert names(jar, "wss://example.com/") == {"s", "p"}


def test_treat_as_secure_origin() -> None:
    jar = aiohttp.CookieJar(treat_as_secure_origin=["http://example.com"])
    jar.update_cookies_from_headers(["s=1; Secure"], URL("https://example.com/"))
    assert names(jar, "http://example.com/") == {"s"}
    assert names(jar, "http://example.com:8080/") == set()


def test_max_age_and_expires() -> None:
    past = "Wed, 21 Oct 2015 07:28:00 GMT"
    future = "Fri, 01 Jan 2100 00:00:00 GMT"
    jar = jar_with(
        f"gone=1; Expires={past}",
        f"stays=1; Expires={future}",
        "zero=1; Max-Age=0",
        f"maxage_wins=1; Max-Age=100; Expires={past}",
        "bad=1; Max-Age=abc",
    )
    assert names(jar, "http://example.com/") == {"stays", "maxage_wins", "bad"}


def test_expiry_happens_later(monkeypatch: pytest.MonkeyPatch) -> None:
    jar = jar_with("short=1; Max-Age=5", "long=1; Max-Age=50")
    assert len(jar) == 2
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 10)
    assert names(jar, "http://example.com/") == {"long"}
    assert len(jar) == 1


def test_set_cookie_deletes_with_expired_copy() -> None:
    jar = jar_with("a=1")
    jar.update_cookies_from_headers(["a=; Max-Age=0"], URL("http://example.com/"))
    assert len(jar) == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Wed, 21 Oct 2015 07:28:00 GMT", (2015, 10, 21, 7, 28, 0)),
        ("Wednesday, 21-Oct-15 07:28:00 GMT", (2015, 10, 21, 7, 28, 0)),
        ("Sun Nov  6 08:49:37 1994", (1994, 11, 6, 8, 49, 37)),
        ("21 Oct 70 1:2:3", (1970, 10, 21, 1, 2, 3)),
    ],
)
def test_cookie_date_formats(text: str, expected: tuple[int, ...]) -> None:
    when = parse_cookie_date(text)
    assert when is not None
    assert time.gmtime(when)[:6] == expected


@pytest.mark.parametrize(
    "text", ["", "not a date", "Wed, 32 Oct 2015 07:28:00", "1 Jan 1500 0:0:0"]
)
def test_bad_cookie_dates(text: str) -> None:
    assert parse_cookie_date(text) is None


def test_ip_hosts_refused_unless_unsafe() -> None:
    """B-074."""
    assert len(jar_with("a=1", url="http://127.0.0.1/")) == 0
    jar = jar_with("a=1", url="http://127.0.0.1/", unsafe=True)
    assert names(jar, "http://127.0.0.1/") == {"a"}
    assert names(jar, "http://127.0.0.2/") == set()


def test_shared_cookies() -> None:
    """B-075: cookies without response_url go everywhere."""
    jar = aiohttp.CookieJar()
    jar.update_cookies({"shared": "yes"})
    assert names(jar, "http://a.com/") == {"shared"}
    assert names(jar, "https://b.org/x/y") == {"shared"}


def test_len_iter_morsels() -> None:
    """B-073."""
    jar = jar_with("a=1", "b=2; Domain=example.com")
    assert len(jar) == 2
    morsels = {m.key: m for m in jar}
    assert morsels["a"]["domain"] == "example.com"
    assert morsels["b"]["domain"] == "example.com"


def test_clear_and_clear_domain() -> None:
    jar = aiohttp.CookieJar()
    jar.update_cookies_from_headers(["a=1", "b=2"], URL("http://example.com/"))
    jar.update_cookies_from_headers(["c=3"], URL("http://sub.example.com/"))
    jar.update_cookies_from_headers(["d=4"], URL("http://other.com/"))
    jar.clear(lambda m: m.key == "a")
    assert {m.key for m in jar} == {"b", "c", "d"}
    jar.clear_domain("example.com")
    assert {m.key for m in jar} == {"d"}
    jar.clear()
    assert len(jar) == 0


@pytest.mark.parametrize("as_path", [True, False])
def test_save_load(tmp_path: Path, as_path: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """B-077."""
    jar = jar_with("a=1; Max-Age=1000", "b=2; Domain=example.com; Path=/x", "c=3; Secure")
    file = tmp_path / "jar.pickle"
    jar.save(file if as_path else str(file))
    loaded = aiohttp.CookieJar()
    loaded.load(file if as_path else str(file))
    assert {m.key: m.value for m in loaded} == {"a": "1", "b": "2", "c": "3"}
    assert names(loaded, "http://www.example.com/x") == {"b"}  # host-only survives
    assert names(loaded, "http://example.com/x") == {"a", "b"}
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 2000)
    assert {m.key for m in loaded} == {"b", "c"}  # expiry survives too


def test_load_refuses_foreign_pickles(tmp_path: Path) -> None:
    file = tmp_path / "evil.pickle"
    file.write_bytes(pickle.dumps(Path("/etc/passwd")))
    with pytest.raises(pickle.UnpicklingError):
        aiohttp.CookieJar().load(file)


def test_quote_cookie() -> None:
    value = SimpleCookie()
    value.load('q="a b"')
    jar = aiohttp.CookieJar()
    jar.update_cookies(value, URL("http://example.com/"))
    assert jar.filter_cookies(URL("http://example.com/"))["q"].coded_value == '"a b"'
    raw = aiohttp.CookieJar(quote_cookie=False)
    raw.update_cookies({"k": "a,b"}, URL("http://example.com/"))
    assert raw.filter_cookies(URL("http://example.com/"))["k"].coded_value == "a,b"


def test_dummy_jar() -> None:
    jar = aiohttp.DummyCookieJar()
    jar.update_cookies({"a": "b"})
    assert len(jar) == 0
    assert list(jar) == []
    assert not jar.filter_cookies(URL("http://a.com/"))


async def test_session_round_trip(raw_server: RawServer) -> None:
    """B-019/B-078: a cookie set by one response goes with the next request."""

    def answer(req: RawRequest) -> bytes:
        if req.target == "/set":
            return response(200, b"", [("Set-Cookie", "token=abc; Path=/")])
        return response(200, req.headers.get("cookie", "").encode())

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await keep_answering(reader, writer, answer)

    url = await raw_server(handler)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as s:
        await (await s.get(url / "set")).read()
        assert len(s.cookie_jar) == 1
        async with s.get(url / "show") as resp:
            assert await resp.text() == "token=abc"
        async with s.get(url / "show", cookies={"extra": "1"}) as resp:
            assert sorted((await resp.text()).split("; ")) == ["extra=1", "token=abc"]
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as s:
        await (await s.get(url / "set")).read()
        assert len(s.cookie_jar) == 0
        async with s.get(url / "show") as resp:
            assert await resp.text() == ""


async def test_session_cookies_argument(raw_server: RawServer) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await keep_answering(
            reader, writer, lambda r: response(200, r.headers.get("cookie", "").encode())
        )

    url = await raw_server(handler)
    async with aiohttp.ClientSession(cookies={"init": "v"}) as s, s.get(url) as resp:
        assert await resp.text() == "init=v"
