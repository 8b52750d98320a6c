"""Content-Disposition parsing and building (RFC 6266, 5987/8187, 2231, 7578)."""

from __future__ import annotations

import warnings

import pytest

import heron as aiohttp
from heron.contentdisposition import content_disposition_header
from heron.multipart import (
    BadContentDispositionHeader,
    BadContentDispositionParam,
    content_disposition_filename,
    parse_content_disposition,
)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("inline", ("inline", {})),
        ("ATTACHMENT", ("attachment", {})),
        ('attachment; filename="foo.html"', ("attachment", {"filename": "foo.html"})),
        ("attachment; filename=foo.html", ("attachment", {"filename": "foo.html"})),
        ('attachment; FileName="a\\"b\\\\c"', ("attachment", {"filename": 'a"b\\c'})),
        ('attachment; filename="a;b"; size=3', ("attachment", {"filename": "a;b", "size": "3"})),
        (
            "attachment; filename*=UTF-8''%E2%82%AC%20rates",
            ("attachment", {"filename*": "€ rates"}),
        ),
        (
            "attachment; filename*=iso-8859-1'en'%A3%20rates",
            ("attachment", {"filename*": "£ rates"}),
        ),
        (
            'form-data; name="f"; filename="ф.txt"',
            ("form-data", {"name": "f", "filename": "ф.txt"}),
        ),
        ("attachment;", ("attachment", {})),
        ("", (None, {})),
        (None, (None, {})),
    ],
)
def test_parse(header: str | None, expected: tuple[str | None, dict[str, str]]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert parse_content_disposition(header) == expected


@pytest.mark.parametrize(
    ("header", "warning"),
    [
        ('"inline"', BadContentDispositionHeader),
        ("inline attachment", BadContentDispositionHeader),
        ('attachment; filename="unterminated', BadContentDispositionHeader),
        ('attachment; filename="a"; filename="b"', BadContentDispositionHeader),
        ('attachment; filename="a" junk', BadContentDispositionHeader),
        ("attachment; filename", BadContentDispositionParam),
        ("attachment; filename=foo bar", BadContentDispositionParam),
        ("attachment; filename*=UTF-8''%E2%82", BadContentDispositionParam),
        ("attachment; filename*=nocharset", BadContentDispositionParam),
        ("attachment; filename*=bogus-charset''abc", BadContentDispositionParam),
        ("attachment; filename*=\"UTF-8''a\"", BadContentDispositionParam),
        ('attachment; fi le="x"', BadContentDispositionParam),
    ],
)
def test_malformed_warns_and_gives_nothing(header: str, warning: type[Warning]) -> None:
    with pytest.warns(warning):
        assert parse_content_disposition(header) == (None, {})
    assert issubclass(warning, RuntimeWarning)


@pytest.mark.parametrize(
    ("header", "filename"),
    [
        ('attachment; filename="plain.txt"', "plain.txt"),
        ("attachment; filename=\"fallback\"; filename*=UTF-8''%C3%A9.txt", "é.txt"),
        ('attachment; filename*0="foo."; filename*1="html"', "foo.html"),
        ("attachment; filename*0*=UTF-8''%C3%A9; filename*1=\".txt\"", "é.txt"),
        ("attachment", None),
    ],
)
def test_filename(header: str, filename: str | None) -> None:
    _, params = parse_content_disposition(header)
    assert content_disposition_filename(params) == filename


def test_public_names() -> None:
    assert aiohttp.parse_content_disposition is parse_content_disposition
    assert aiohttp.content_disposition_filename is content_disposition_filename
    assert content_disposition_filename({"name": "x"}, "name") == "x"


@pytest.mark.parametrize(
    ("args", "kwargs", "expected"),
    [
        (("attachment",), {"filename": "secret.txt"}, 'attachment; filename="secret.txt"'),
        (("inline",), {}, "inline"),
        (("attachment",), {"filename": 'a"b\\c'}, 'attachment; filename="a\\"b\\\\c"'),
        (("attachment",), {"filename": "€.txt"}, "attachment; filename*=utf-8''%E2%82%AC.txt"),
        (
            ("form-data",),
            {"name": "fïeld", "filename": "ф.txt"},
            'form-data; name="fïeld"; filename="ф.txt"',
        ),
        (("attachment", False), {"filename": "€.txt"}, 'attachment; filename="€.txt"'),
    ],
)
def test_build(args: tuple[object, ...], kwargs: dict[str, str], expected: str) -> None:
    assert content_disposition_header(*args, **kwargs) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["a\r\nX-Injected: 1", "a\nb", "a\x00b"])
def test_build_refuses_line_breaks(value: str) -> None:
    with pytest.raises(ValueError):
        content_disposition_header("attachment", filename=value)


def test_build_refuses_bad_type_and_key() -> None:
    with pytest.raises(ValueError):
        content_disposition_header("bad type")
    with pytest.raises(ValueError):
        content_disposition_header("attachment", params={"bad key": "x"})


@pytest.mark.parametrize("value", ["plain.txt", 'q"uote\\d.txt', "€ ü ф.txt", "a;b=c"])
@pytest.mark.parametrize("disptype", ["attachment", "form-data"])
def test_build_parse_round_trip(value: str, disptype: str) -> None:
    header = content_disposition_header(disptype, filename=value, name="n")
    kind, params = parse_content_disposition(header)
    assert kind == disptype
    assert content_disposition_filename(params) == value
    assert content_disposition_filename(params, "name") == "n"
