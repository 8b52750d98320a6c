"""helpers: BasicAuth, mimetypes, ETags, HTTP dates, reify, timeouts, ChainMapProxy..."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest
from multidict import MultiDictProxy
from yarl import URL

from heron.helpers import (
    BasicAuth,
    ChainMapProxy,
    ETag,
    MimeType,
    Timeout,
    call_later,
    ceil_timeout,
    format_etag,
    format_http_date,
    guess_filename,
    is_ip_address,
    is_token,
    must_be_empty_body,
    parse_etag,
    parse_etags,
    parse_http_date,
    parse_mimetype,
    quoted_string,
    reify,
    sentinel,
    should_remove_content_length,
    validate_etag_value,
)

# -- BasicAuth (B-079..B-081) ---------------------------------------------------------


def test_basic_auth_encode() -> None:
    assert BasicAuth("a", "b").encode() == "Basic YTpi"
    auth = BasicAuth("user")
    assert auth.password == ""
    assert auth.encoding == "latin1"
    assert auth == ("user", "", "latin1")  # a named tuple
    assert auth.login == "user"


def test_basic_auth_encoding() -> None:
    assert BasicAuth("ü", "").encode() == "Basic /Do="
    assert BasicAuth("ü", "", encoding="utf-8").encode() == "Basic w7w6"
    with pytest.raises(UnicodeEncodeError):
        BasicAuth("€").encode()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((None,), "None is not allowed as login"),
        (("a", None), "None is not allowed as password"),
        (("a:b",), 'A ":" is not allowed in login'),
    ],
)
def test_basic_auth_rejects(args, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BasicAuth(*args)


def test_basic_auth_password_may_contain_colon() -> None:
    auth = BasicAuth.decode(BasicAuth("a", "b:c").encode())
    assert auth == BasicAuth("a", "b:c")


def test_basic_auth_decode() -> None:
    auth = BasicAuth.decode("Basic YTpi")
    assert (auth.login, auth.password) == ("a", "b")
    assert BasicAuth.decode("basic  YTpi ") == BasicAuth("a", "b")
    assert BasicAuth.decode("Basic w7w6", encoding="utf-8").login == "ü"


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("Basic", "Could not parse authorization header"),
        ("Bearer YTpi", "Unknown authorization method Bearer"),
        ("Basic !!!!", "Invalid base64 encoding"),
        ("Basic YWI=", "Invalid credentials"),
    ],
)
def test_basic_auth_decode_errors(header: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BasicAuth.decode(header)


def test_basic_auth_decode_bad_charset() -> None:
    with pytest.raises(ValueError, match="not valid utf-8"):
        BasicAuth.decode("Basic /Do=", encoding="utf-8")


def test_basic_auth_from_url() -> None:
    assert BasicAuth.from_url(URL("http://a:b@host")) == BasicAuth("a", "b")
    assert BasicAuth.from_url(URL("http://a@host")) == BasicAuth("a", "")
    assert BasicAuth.from_url(URL("http://:pw@host")) == BasicAuth("", "pw")
    assert BasicAuth.from_url(URL("http://us%20er:p%40ss@host")) == BasicAuth("us er", "p@ss")
    assert BasicAuth.from_url(URL("http://host")) is None
    with pytest.raises(TypeError, match=r"yarl\.URL"):
        BasicAuth.from_url("http://a:b@host")  # type: ignore[arg-type]


# -- parse_mimetype (B-228) -------------------------------------------------------------


def test_parse_mimetype_seed_examples() -> None:
    assert parse_mimetype("text/html; charset=utf-8") == ("text", "html", "", {"charset": "utf-8"})
    assert parse_mimetype("application/json; charset=utf-8") == (
        "application",
        "json",
        "",
        {"charset": "utf-8"},
    )
    rss = parse_mimetype("application/rss+xml")
    assert rss == MimeType("application", "rss", "xml", MultiDictProxy(rss.parameters.copy()))
    assert (rss.type, rss.subtype, rss.suffix) == ("application", "rss", "xml")
    assert isinstance(rss.parameters, MultiDictProxy)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", ("", "", "", {})),
        ("*", ("*", "*", "", {})),
        ("text", ("text", "", "", {})),
        ("TEXT/HTML; CHARSET=UTF-8", ("text", "html", "", {"charset": "UTF-8"})),
        ('text/plain;charset="utf-8"', ("text", "plain", "", {"charset": "utf-8"})),
        ('a/b; x="semi;colon"; y=2', ("a", "b", "", {"x": "semi;colon", "y": "2"})),
        ('a/b; x="esc\\"aped"', ("a", "b", "", {"x": 'esc"aped'})),
        ("a/b; flag; =novalue", ("a", "b", "", {"flag": ""})),
        ("application/vnd.api+json; v=1", ("application", "vnd.api", "json", {"v": "1"})),
    ],
)
def test_parse_mimetype(value: str, expected) -> None:
    assert parse_mimetype(value) == expected


def test_parse_mimetype_repeated_parameters() -> None:
    parsed = parse_mimetype("a/b; k=1; k=2")
    assert parsed.parameters.getall("k") == ["1", "2"]


def test_parse_mimetype_parameters_are_read_only() -> None:
    with pytest.raises(TypeError):
        parse_mimetype("a/b; k=1").parameters["k"] = "2"  # type: ignore[index]


# -- tokens and quoting ----------------------------------------------------------------------


def test_is_token() -> None:
    assert is_token("Content-Type")
    assert is_token("x!#$%&'*+-.^_`|~9")
    assert not is_token("")
    assert not is_token("a b")
    assert not is_token("a:b")
    assert not is_token("é")


def test_quoted_string() -> None:
    assert quoted_string("plain") == '"plain"'
    assert quoted_string('a "b" \\c') == '"a \\"b\\" \\\\c"'
    assert quoted_string("tab\there é") == '"tab\there é"'
    for bad in ("a\r\nb", "nul\x00", "bell\x07", "del\x7f", "€"):
        with pytest.raises(ValueError, match="Cannot quote"):
            quoted_string(bad)


# -- ETags -----------------------------------------------------------------------------------


def test_etag_value_object() -> None:
    tag = ETag("abc")
    assert not tag.is_weak
    assert ETag("abc", is_weak=True) != tag
    assert ETag("abc") == tag
    with pytest.raises(AttributeError):
        tag.value = "x"  # type: ignore[misc]


def test_format_and_parse_etag() -> None:
    assert format_etag(ETag("abc")) == '"abc"'
    assert format_etag(ETag("abc", is_weak=True)) == 'W/"abc"'
    assert format_etag(ETag("*")) == "*"
    with pytest.raises(ValueError, match="not a valid etag"):
        format_etag(ETag('a"b'))
    assert parse_etag('"abc"') == ETag("abc")
    assert parse_etag(' W/"x,y" ') == ETag("x,y", is_weak=True)
    assert parse_etag('""') == ETag("")
    assert parse_etag("*") == ETag("*")
    assert parse_etag("abc") is None
    assert parse_etag(None) is None


def test_validate_etag_value() -> None:
    validate_etag_value("abc-123")
    validate_etag_value("*")
    validate_etag_value("")
    for bad in ('a"b', "a b", "a\r\n"):
        with pytest.raises(ValueError):
            validate_etag_value(bad)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("*", (ETag("*"),)),
        (" * ", (ETag("*"),)),
        ('"a"', (ETag("a"),)),
        ('"a", W/"b" ,"c,d"', (ETag("a"), ETag("b", True), ETag("c,d"))),
        ('"a", garbage, "b"', (ETag("a"), ETag("b"))),
        ("", ()),
    ],
)
def test_parse_etags(header, expected) -> None:
    assert parse_etags(header) == expected


# -- HTTP dates --------------------------------------------------------------------------------

EXPECTED = datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "Sun, 06 Nov 1994 08:49:37 GMT",  # IMF-fixdate
        "Sunday, 06-Nov-94 08:49:37 GMT",  # RFC 850
        "Sun Nov  6 08:49:37 1994",  # asctime
        "sun, 06 nov 1994 08:49:37 gmt",
        "  Sun, 6 Nov 1994 08:49:37 UTC ",
    ],
)
def test_parse_http_date_forms(text: str) -> None:
    parsed = parse_http_date(text)
    assert parsed == EXPECTED
    assert parsed is not None and parsed.tzinfo is UTC


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "yesterday",
        "Sun, 06 Nov 1994 08:49:37",  # no zone
        "Sun, 06 Nov 1994 08:49:37 +0200",
        "Sun, 31 Feb 1994 08:49:37 GMT",  # no such day
        "Sun, 06 Foo 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 25:49:37 GMT",
    ],
)
def test_parse_http_date_invalid(text) -> None:
    assert parse_http_date(text) is None


def test_parse_http_date_leap_second() -> None:
    assert parse_http_date("Wed, 31 Dec 2008 23:59:60 GMT") == datetime(
        2008, 12, 31, 23, 59, 59, tzinfo=UTC
    )


def test_rfc850_two_digit_years() -> None:
    this_year = datetime.now(UTC).year
    near = (this_year + 10) % 100
    parsed = parse_http_date(f"Monday, 01-Jan-{near:02d} 00:00:00 GMT")
    assert parsed is not None and parsed.year == this_year + 10
    far = (this_year + 60) % 100  # more than 50 years ahead: the past century
    parsed = parse_http_date(f"Monday, 01-Jan-{far:02d} 00:00:00 GMT")
    assert parsed is not None and parsed.year == this_year + 60 - 100


def test_format_http_date() -> None:
    assert format_http_date(784111777) == "Sun, 06 Nov 1994 08:49:37 GMT"
    assert format_http_date(784111777.9) == "Sun, 06 Nov 1994 08:49:37 GMT"
    assert format_http_date(EXPECTED) == "Sun, 06 Nov 1994 08:49:37 GMT"
    naive = datetime(1994, 11, 6, 8, 49, 37)
    assert format_http_date(naive) == "Sun, 06 Nov 1994 08:49:37 GMT"
    plus2 = EXPECTED.astimezone(timezone(timedelta(hours=2)))
    assert format_http_date(plus2) == "Sun, 06 Nov 1994 08:49:37 GMT"


def test_format_http_date_now_round_trips() -> None:
    before = int(time.time())
    parsed = parse_http_date(format_http_date())
    assert parsed is not None
    assert before <= parsed.timestamp() <= time.time() + 1


# -- reify -------------------------------------------------------------------------------------


def test_reify_computes_once() -> None:
    calls: list[int] = []

    class Thing:
        @reify
        def value(self) -> int:
            """The answer."""
            calls.append(1)
            return 42

    thing = Thing()
    assert thing.value == 42
    assert thing.value == 42
    assert calls == [1]
    assert Thing().value == 42  # per instance
    assert calls == [1, 1]
    assert isinstance(Thing.value, reify)
    assert Thing.value.__doc__ == "The answer."


def test_reify_is_read_only() -> None:
    class Thing:
        @reify
        def value(self) -> int:
            return 1

    thing = Thing()
    with pytest.raises(AttributeError, match="read-only"):
        thing.value = 2


def test_reify_does_not_cache_errors() -> None:
    attempts: list[int] = []

    class Thing:
        @reify
        def value(self) -> int:
            attempts.append(1)
            if len(attempts) == 1:
                raise RuntimeError("first time fails")
            return 7

    thing = Thing()
    with pytest.raises(RuntimeError):
        _ = thing.value
    assert thing.value == 7


# -- timeouts (B-230) ----------------------------------------------------------------------------


async def test_timeout_async_with() -> None:
    start = time.monotonic()
    with pytest.raises(asyncio.TimeoutError):
        async with Timeout(0.01) as cm:
            await asyncio.sleep(10)
    assert time.monotonic() - start < 1
    assert cm.expired


async def test_timeout_not_reached() -> None:
    async with Timeout(1) as cm:
        await asyncio.sleep(0)
    assert not cm.expired
    async with Timeout(None):
        await asyncio.sleep(0)


async def test_timeout_sync_with_0x_style() -> None:
    start = time.monotonic()
    with pytest.raises(asyncio.TimeoutError), Timeout(0.001) as cm:
        await asyncio.sleep(10)
    assert time.monotonic() - start < 1
    assert cm.expired


async def test_timeout_sync_with_not_reached() -> None:
    with Timeout(1) as cm:
        await asyncio.sleep(0)
    assert not cm.expired
    with Timeout(None):
        await asyncio.sleep(0)


async def test_timeout_sync_with_keeps_outer_cancel() -> None:
    async def body() -> None:
        with Timeout(5):
            await asyncio.sleep(10)

    task = asyncio.create_task(body())
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def test_timeout_sync_with_needs_a_task() -> None:
    with pytest.raises(RuntimeError, match="inside a task"), Timeout(1):
        pass


async def test_ceil_timeout() -> None:
    loop = asyncio.get_running_loop()
    with pytest.raises(asyncio.TimeoutError):
        async with ceil_timeout(0.01):
            await asyncio.sleep(10)
    long = ceil_timeout(10)
    when = long.when()
    assert when is not None and when == int(when) and when >= loop.time() + 10
    short = ceil_timeout(1)
    assert short.when() is not None
    assert ceil_timeout(None).when() is None
    assert ceil_timeout(0).when() is None


async def test_call_later() -> None:
    loop = asyncio.get_running_loop()
    fired = asyncio.Event()
    handle = call_later(fired.set, 0.001, loop)
    assert handle is not None
    await asyncio.wait_for(fired.wait(), 1)
    long = call_later(fired.set, 10, loop)
    assert long is not None and long.when() == int(long.when())
    long.cancel()
    assert call_later(fired.set, None, loop) is None
    assert call_later(fired.set, 0, loop) is None


# -- ChainMapProxy --------------------------------------------------------------------------------


def test_chain_map_proxy() -> None:
    proxy = ChainMapProxy([{"a": 1, "b": 2}, {"b": 3, "c": 4}])
    assert proxy["a"] == 1
    assert proxy["b"] == 2  # first mapping wins
    assert proxy["c"] == 4
    assert proxy.get("d") is None
    assert proxy.get("d", 0) == 0
    assert proxy.get("c") == 4
    assert len(proxy) == 3
    assert list(proxy) == ["a", "b", "c"]
    assert "c" in proxy and "d" not in proxy
    assert bool(proxy)
    assert not ChainMapProxy([{}, {}])
    assert dict(proxy) == {"a": 1, "b": 2, "c": 4}
    assert repr(ChainMapProxy([{"a": 1}])) == "ChainMapProxy({'a': 1})"
    with pytest.raises(KeyError):
        proxy["d"]
    with pytest.raises(TypeError):
        proxy["a"] = 5  # type: ignore[index]


def test_chain_map_proxy_is_final() -> None:
    with pytest.raises(TypeError, match="forbidden"):

        class Sub(ChainMapProxy):
            pass


# -- small things ---------------------------------------------------------------------------


def test_sentinel() -> None:
    assert repr(sentinel) == "sentinel"
    assert sentinel is not None
    assert sentinel == sentinel


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("fe80::1%eth0", True),
        (b"10.0.0.1", True),
        (bytearray(b"::"), True),
        ("localhost", False),
        ("256.0.0.1", False),
        ("[::1]", False),
        ("", False),
        (None, False),
        (b"\xff", False),
    ],
)
def test_is_ip_address(host, expected: bool) -> None:
    assert is_ip_address(host) is expected


def test_is_ip_address_type_error() -> None:
    with pytest.raises(TypeError):
        is_ip_address(123)  # type: ignore[arg-type]


def test_guess_filename(tmp_path) -> None:
    path = tmp_path / "doc.pdf"
    path.write_bytes(b"")
    with path.open("rb") as fobj:
        assert guess_filename(fobj) == "doc.pdf"

    class Named:
        name = "<stdin>"

    assert guess_filename(Named()) is None
    assert guess_filename(Named(), "default") == "default"
    assert guess_filename(object()) is None


@pytest.mark.parametrize(
    ("method", "code", "remove", "empty"),
    [
        ("GET", 200, False, False),
        ("HEAD", 200, False, True),
        ("GET", 204, True, True),
        ("GET", 304, True, True),
        ("GET", 101, True, True),
        ("GET", 199, True, True),
        ("CONNECT", 200, True, True),
        ("connect", 299, True, True),
        ("CONNECT", 407, False, False),
        ("POST", 404, False, False),
    ],
)
def test_empty_body_rules(method: str, code: int, remove: bool, empty: bool) -> None:
    assert should_remove_content_length(method, code) is remove
    assert must_be_empty_body(method, code) is empty
