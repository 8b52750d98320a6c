"""FormData: url-encoded vs multipart, fields, files, charsets (B-229, HP-01..HP-04)."""

from __future__ import annotations

import io
import pathlib

import pytest
from multidict import MultiDict
from multipart_helpers import serialize, stream_of

import heron as aiohttp
from heron import hdrs
from heron.formdata import FormData
from heron.multipart import BodyPartReader, MultipartReader, MultipartWriter


async def parts_of(form: FormData) -> list[tuple[str | None, str | None, str | None, bytes]]:
    payload = form()
    assert isinstance(payload, MultipartWriter)
    body = await serialize(payload)
    reader = MultipartReader(payload.headers, stream_of([body]))
    out = []
    async for part in reader:
        assert isinstance(part, BodyPartReader)
        out.append(
            (
                part.name,
                part.filename,
                part.headers.get(hdrs.CONTENT_TYPE),
                bytes(await part.read(decode=True)),
            )
        )
    return out


async def test_simple_fields_are_urlencoded() -> None:
    # B-229
    form = FormData({"a": "1", "b": "x y"})
    form.add_field("c", "ü")
    assert not form.is_multipart
    assert form.content_type == "application/x-www-form-urlencoded"
    payload = form()
    assert payload.headers[hdrs.CONTENT_TYPE] == "application/x-www-form-urlencoded"
    assert await serialize(payload) == b"a=1&b=x+y&c=%C3%BC"


async def test_charset_of_urlencoded_form() -> None:
    form = FormData([("c", "é")], charset="latin-1")
    assert form.content_type == "application/x-www-form-urlencoded; charset=latin-1"
    assert await serialize(form()) == b"c=%E9"


async def test_file_makes_it_multipart(tmp_path: pathlib.Path) -> None:
    # B-229 and the tutorial's add_field(file, filename=, content_type=).
    path = tmp_path / "report.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0 sheet")
    form = FormData()
    form.add_field("plain", "value")
    assert not form.is_multipart
    with path.open("rb") as f:
        form.add_field("file", f, filename="report.xls", content_type="application/vnd.ms-excel")
        assert form.is_multipart
        assert form.content_type.startswith("multipart/form-data; boundary=")
        parts = await parts_of(form)
    assert parts == [
        ("plain", None, "text/plain; charset=utf-8", b"value"),
        ("file", "report.xls", "application/vnd.ms-excel", b"\xd0\xcf\x11\xe0 sheet"),
    ]


async def test_dict_of_files_like_the_seed(tmp_path: pathlib.Path) -> None:
    # CL-14 / B-008: data={'file': open(...)} becomes multipart with the basename.
    path = tmp_path / "notes.txt"
    path.write_text("some notes")
    with path.open("rb") as f:
        form = FormData({"file": f})
        assert form.is_multipart
        parts = await parts_of(form)
    assert parts == [("file", "notes.txt", "text/plain", b"some notes")]


async def test_same_key_files_all_sent() -> None:
    # B-027
    form = FormData()
    form.add_field("f", io.BytesIO(b"one"), filename="1.txt")
    form.add_field("f", io.BytesIO(b"two"), filename="2.txt")
    parts = await parts_of(form)
    assert [(p[0], p[1], p[3]) for p in parts] == [("f", "1.txt", b"one"), ("f", "2.txt", b"two")]


async def test_bytes_field_gets_filename() -> None:
    form = FormData()
    form.add_field("blob", b"\x00\x01")
    assert form.is_multipart
    assert await parts_of(form) == [("blob", "blob", "application/octet-stream", b"\x00\x01")]


async def test_add_fields_forms() -> None:
    form = FormData()
    form.add_fields(("a", "1"), MultiDict([("b", "2"), ("b", "3")]), {"c": "4"})
    assert await serialize(form()) == b"a=1&b=2&b=3&c=4"
    with pytest.raises(TypeError):
        form.add_fields(("a", "b", "c"))
    named = io.BytesIO(b"x")
    form2 = FormData()
    form2.add_fields(named)
    parts = await parts_of(form2)
    assert parts[0][0] == "unknown"


async def test_default_to_multipart_and_transfer_encoding() -> None:
    form = FormData({"a": "1"}, default_to_multipart=True)
    assert form.is_multipart
    assert await parts_of(form) == [("a", None, "text/plain; charset=utf-8", b"1")]
    form = FormData()
    form.add_field("enc", "hello", content_transfer_encoding="base64")
    assert form.is_multipart
    [(name, _, _, data)] = await parts_of(form)
    assert (name, data) == ("enc", b"hello")


async def test_non_ascii_names_and_quotes() -> None:
    form = FormData()
    form.add_field('fïeld "q"', io.BytesIO(b"data"), filename='ф "x".txt')
    assert await parts_of(form) == [('fïeld "q"', 'ф "x".txt', "text/plain", b"data")]


def test_multipart_form_sent_once() -> None:
    form = FormData({"f": io.BytesIO(b"x")})
    form()
    with pytest.raises(RuntimeError):
        form()


@pytest.mark.parametrize(
    "kwargs", [{"content_type": 1}, {"filename": 2}, {"content_transfer_encoding": 3}]
)
def test_type_checks(kwargs: dict[str, object]) -> None:
    with pytest.raises(TypeError):
        FormData().add_field("a", "b", **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kwargs",
    [{"name": "a\r\nb"}, {"name": "a", "filename": "x\ny"}, {"name": "a", "content_type": "a\rb"}],
)
def test_crlf_refused(kwargs: dict[str, str]) -> None:
    name = kwargs.pop("name")
    with pytest.raises(ValueError):
        FormData().add_field(name, "v", **kwargs)


def test_unserializable_value() -> None:
    form = FormData()
    form.add_field("x", object(), filename="x")
    with pytest.raises(TypeError):
        form()


def test_public_name() -> None:
    assert aiohttp.FormData is FormData
