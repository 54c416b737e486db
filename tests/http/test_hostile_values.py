"""Every operation in the OpenAPI document x every class of hostile value -> never a 5xx.

Built from the app's own document, so new routes join by themselves. Each class of value goes into
each parameter (path, query) and each top-level body field of each operation, one at a time, the
other parts left as they are. Bounded: one request per (operation, place, class), all on one
in-memory app, in well under a minute.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import pytest
from litestar.testing import TestClient

CLASSES: dict[str, Any] = {
    "huge integer": 2**70,
    "huge digits": "9" * 4_301,
    "unicode digits": "\u0661\u0662",
    "superscript": "²",
    "nul": "a\x00b",
    "deep nesting": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],
    "100 KB string": "x" * 100_000,
    "unknown enum": "no_such_value",
}
INVALID_UTF8 = b'{"x": "\xff\xfe"}'
PARAMETER = re.compile(r"\{([^}:]+)(?::[^}]+)?\}")


URL_LIMIT = 8_000
"""Servers refuse longer request lines (and httpx longer URLs): in a URL, long strings stop here."""


def as_text(value: Any) -> str:
    return (value if isinstance(value, str) else str(value))[:URL_LIMIT]


def operations(client: TestClient[Any]) -> list[tuple[str, str, dict[str, Any]]]:
    document = client.get("/openapi.json").json()
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                found.append((method.upper(), path, operation))
    return found


def body_fields(document: dict[str, Any], operation: dict[str, Any]) -> list[str]:
    content = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    schema = content.get("schema", {})
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    for option in schema.get("oneOf", schema.get("anyOf", [])):
        if "$ref" in option:
            schema = document["components"]["schemas"][option["$ref"].rsplit("/", 1)[-1]]
            break
    return list(schema.get("properties", {}))


def test_no_hostile_value_in_any_parameter_or_field_causes_a_5xx(client: TestClient[Any]) -> None:
    document = client.get("/openapi.json").json()
    broken: list[str] = []
    sent = 0
    for method, path, operation in operations(client):
        parameters = operation.get("parameters", [])
        fields = body_fields(document, operation)
        has_body = "requestBody" in operation
        base_path = PARAMETER.sub("1", path)
        places = [(p["in"], p["name"]) for p in parameters if p["in"] in {"path", "query"}]
        places += [("body", f) for f in fields]
        for where, name in places:
            for label, value in CLASSES.items():
                url, params, body = base_path, {}, ({} if has_body else None)
                if where == "path":
                    segment = quote(as_text(value), safe="")
                    url = re.sub(r"\{" + re.escape(name) + r"(?::[^}]+)?\}", lambda _, s=segment: s, path)
                    url = PARAMETER.sub("1", url)
                elif where == "query":
                    params = {name: as_text(value)}
                else:
                    body = {name: value}
                response = client.request(method, url, params=params, json=body)
                sent += 1
                if response.status_code >= 500:
                    broken.append(f"{method} {path} {where}:{name} <- {label}: {response.status_code}")
        if has_body:
            response = client.request(
                method, base_path, content=INVALID_UTF8, headers={"Content-Type": "application/json"}
            )
            sent += 1
            if response.status_code >= 500:
                broken.append(f"{method} {path} body <- invalid UTF-8: {response.status_code}")
    assert sent > 500
    assert not broken, "\n".join(broken)


@pytest.mark.parametrize("depth", [1_000, 50_000])
def test_deep_json_on_every_body_route_is_a_400(client: TestClient[Any], depth: int) -> None:
    body = b"[" * depth + b"]" * depth
    for method, path, operation in operations(client):
        if "requestBody" in operation:
            response = client.request(
                method, PARAMETER.sub("1", path), content=body, headers={"Content-Type": "application/json"}
            )
            assert response.status_code < 500, (method, path)
