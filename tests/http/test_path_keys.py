"""Every path key of every route obeys the one key rule: a bad key is a 400 naming it, never a 5xx.

The routes come from the app's own route table, so a route added later is walked too.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar.routes import HTTPRoute
from litestar.testing import TestClient

PARAMETER = re.compile(r"\{[^}]+\}")

BAD_KEYS = {
    "superscript two": "²",
    "arabic-indic one": "\u0661",
    "arabic-indic twelve": "\u0661\u0662",
    "beyond 64 bits": "9" * 25,
    "beyond int() limit": "9" * 4_301,
}


def keyed_operations(client: TestClient[Any]) -> list[tuple[str, str]]:
    operations = []
    for route in client.app.routes:
        if isinstance(route, HTTPRoute) and route.path_parameters:
            for method in sorted(set(route.methods) - {"OPTIONS", "HEAD"}):
                operations.append((method, route.path_format))
    return operations


def test_the_route_table_has_keyed_routes_of_both_kinds(client: TestClient[Any]) -> None:
    paths = {path for _, path in keyed_operations(client)}
    assert "/api/v1/communications/{key}" in paths
    assert "/clients/{id}/availability" in paths


# Keys that are secrets or file names, not ids or names of stored things: a wrong one is just not there.
NOT_KEYS = ("{token}", "/swagger-ui/")


def is_doc(operation: str) -> bool:
    """The API documentation's own pages, which Litestar answers in HTML."""
    return "/swagger-ui/" in operation


def answers_to(client: TestClient[Any], key: str) -> dict[str, tuple[int, Any]]:
    answers = {}
    for method, template in keyed_operations(client):
        path = PARAMETER.sub(key, template)
        response = client.request(method, path, json={} if method in {"POST", "PUT", "PATCH"} else None)
        is_json = response.headers.get("content-type", "").startswith("application/json")
        answers[f"{method} {template}"] = (response.status_code, response.json() if is_json else None)
    return answers


@pytest.mark.parametrize("bad", list(BAD_KEYS.values()), ids=list(BAD_KEYS))
def test_no_path_key_answers_5xx_or_finds_an_id_by_foreign_digits(client: TestClient[Any], bad: str) -> None:
    answers = answers_to(client, bad)
    broken = {operation: code for operation, (code, _) in answers.items() if code >= 500}
    assert not broken
    # Id 1 exists in every fresh world (the Administrator role, the Admin user, the first channel...):
    # a foreign-digit key must never reach it.
    found = {operation: code for operation, (code, _) in answers.items() if code < 300}
    assert not found
    unenveloped = {op for op, (_, body) in answers.items() if "error" not in (body or {}) and not is_doc(op)}
    assert not unenveloped


@pytest.mark.parametrize("digits", ["9" * 20, "9" * 4_301], ids=["beyond 64 bits", "beyond int() limit"])
def test_digits_beyond_64_bits_are_a_400_on_every_keyed_route(client: TestClient[Any], digits: str) -> None:
    answers = answers_to(client, digits)
    keyed = {op: code for op, (code, _) in answers.items() if not any(part in op for part in NOT_KEYS)}
    assert len(keyed) > 40
    assert {op: code for op, code in keyed.items() if code != 400} == {}


def test_a_foreign_digit_id_on_a_legacy_route_is_a_400_naming_the_parameter(client: TestClient[Any]) -> None:
    response = client.get("/clients/\u0661\u0662/availability")
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "id"


def test_a_superscript_communication_key_is_a_400(client: TestClient[Any]) -> None:
    assert client.get("/api/v1/communications/²").status_code == 400


def test_a_4301_digit_key_is_a_400_naming_the_key_rather_than_int_limit(client: TestClient[Any]) -> None:
    response = client.get("/api/v1/companies/" + "9" * 4_301)
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "key"


def test_a_4301_digit_id_on_an_integer_route_is_a_400_naming_it(client: TestClient[Any]) -> None:
    # The router used to parse these with int(), which answered 404 (and read ١٢ as 12).
    response = client.get("/api/v1/missed-calls/" + "9" * 4_301)
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "cardId"


def test_an_id_within_64_bits_that_nothing_has_is_still_a_404(client: TestClient[Any]) -> None:
    assert client.get("/api/v1/companies/9223372036854775807").status_code == 404
    assert client.get("/clients/9223372036854775807/availability").status_code == 404
