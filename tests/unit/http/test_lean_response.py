"""The lean response path writes what Litestar's own path writes, and steps aside when it can't."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from litestar import Response
from litestar.background_tasks import BackgroundTask
from litestar.datastructures import Cookie

from entrypoints.http.lean_response import LeanResponse


class Answer(msgspec.Struct, rename="camel"):
    client_id: int
    first_name: str


def _wire(response: Any) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    asgi = response.to_asgi_response(None, None, headers={})
    return asgi.status_code, asgi.encode_headers(), asgi.body


@pytest.mark.parametrize("status", [200, 201, 202])
@pytest.mark.parametrize("content", [Answer(12, "Иван"), [1, 2], {"a": None}, "text", None])
def test_a_plain_json_answer_is_the_same_on_the_wire(status: int, content: Any) -> None:
    lean = LeanResponse(content, status_code=status)
    assert _wire(lean) == _wire(Response(content, status_code=status))
    assert type(lean.to_asgi_response(None, None)).__name__ == "ASGIResponse"


@pytest.mark.parametrize(
    "options",
    [
        {"headers": {"ETag": '"1"'}},
        {"cookies": [Cookie(key="a", value="b")]},
        {"status_code": 204},
        {"media_type": "text/plain"},
        {"background": BackgroundTask(print)},
    ],
)
def test_anything_else_takes_litestars_path_with_the_same_result(options: dict[str, Any]) -> None:
    content = None if options.get("status_code") == 204 else "x"
    lean, plain = LeanResponse(content, **options), Response(content, **options)
    assert _wire(lean) == _wire(plain)


def test_a_head_answer_takes_litestars_path() -> None:
    lean = LeanResponse(None).to_asgi_response(None, None, is_head_response=True)
    plain = Response(None).to_asgi_response(None, None, is_head_response=True)
    assert (lean.body, lean.encode_headers()) == (plain.body, plain.encode_headers())
