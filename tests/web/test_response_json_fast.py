"""``json_response`` encodes with the standard library's C encoder directly; the
output must be exactly what ``json.dumps`` gives, errors included."""

from __future__ import annotations

import json
from typing import Any

import pytest

from heron import web
from heron.web import _response_json

VALUES: list[Any] = [
    {"message": "Hello, World!"},
    {"nested": {"list": [1, 2.5, -0.0, None, True, False]}, "é": "ü\n\t\u2028"},
    [],
    {},
    'bare string with "quotes" and é',
    12,
    1e300,
    None,
    [float("inf"), float("nan")],
    {1: "int key", 2.5: "float key", None: "none key", False: "bool key"},
]


@pytest.mark.parametrize("value", VALUES)
def test_same_text_as_json_dumps(value: Any) -> None:
    assert web.json_response(value).text == json.dumps(value)
    assert _response_json.fast_dumps(value) == json.dumps(value)


def test_same_errors_as_json_dumps() -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(ValueError, match="Circular reference detected"):
        web.json_response(loop)
    with pytest.raises(TypeError, match="Object of type object is not JSON serializable"):
        web.json_response({"a": object()})
    # A failed call leaves nothing behind: the same objects encode fine afterwards.
    shared = {"k": [1]}
    with pytest.raises(TypeError):
        web.json_response([shared, object()])
    assert web.json_response([shared, shared]).text == '[{"k": [1]}, {"k": [1]}]'


def test_custom_dumps_is_called() -> None:
    calls: list[Any] = []

    def dumps(data: Any) -> str:
        calls.append(data)
        return '"custom"'

    assert web.json_response({"a": 1}, dumps=dumps).text == '"custom"'
    assert calls == [{"a": 1}]
    assert web.json_response({"a": 1}, dumps=lambda d: json.dumps(d, indent=1)).text == (
        '{\n "a": 1\n}'
    )


def test_fallback_without_the_c_encoder(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _response_json.STD_DUMPS is json.dumps
    monkeypatch.setattr(_response_json, "_make_encoder", None)
    assert _response_json._check() is None


def test_fallback_when_the_c_encoder_disagrees(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any) -> Any:
        return lambda data, level: ["{}"]

    monkeypatch.setattr(_response_json, "_make_encoder", broken)
    assert _response_json._check() is None
    assert _response_json._check.__module__ == _response_json.__name__

    def failing(*args: Any) -> Any:
        raise TypeError("another signature")

    monkeypatch.setattr(_response_json, "_make_encoder", failing)
    assert _response_json._check() is None
    monkeypatch.undo()
    assert web.json_response({"after": 1}).text == '{"after": 1}'  # nothing cached


def test_nested_and_threaded_calls_do_not_share_markers() -> None:
    import threading

    shared = {"k": [1, 2]}

    class Calling(dict[str, Any]):
        # A dict subclass's items() runs during encoding: a nested json_response
        # encoding the same objects must not see them as "circular".
        def items(self) -> Any:
            assert web.json_response([shared, shared]).text == '[{"k": [1, 2]}, {"k": [1, 2]}]'
            return super().items()

    assert web.json_response([shared, Calling(a=shared)]).text == (
        '[{"k": [1, 2]}, {"a": {"k": [1, 2]}}]'
    )
    texts: list[str] = []
    threads = [
        threading.Thread(target=lambda: texts.append(web.json_response([shared]).text))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert texts == ['[{"k": [1, 2]}]'] * 4
