"""Every path key of every route obeys the one key rule, and none answers 5xx.

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


@pytest.mark.parametrize("bad", list(BAD_KEYS.values()), ids=list(BAD_KEYS))
def test_no_path_key_answers_5xx_or_finds_an_id_by_foreign_digits(client: TestClient[Any], bad: str) -> None:
    answers = {}
    for method, template in keyed_operations(client):
        path = PARAMETER.sub(bad, template)
        response = client.request(method, path, json={} if method in {"POST", "PUT", "PATCH"} else None)
        answers[f"{method} {template}"] = response.status_code
    broken = {operation: code for operation, code in answers.items() if code >= 500}
    assert not broken
    # Id 1 exists in every fresh world (the Administrator role, the Admin user, the first channel...):
    # a foreign-digit key must never reach it.
    found = {operation: code for operation, code in answers.items() if code < 300}
    assert not found


def test_a_foreign_digit_id_on_a_legacy_route_is_a_400_naming_the_parameter(client: TestClient[Any]) -> None:
    response = client.get("/clients/\u0661\u0662/availability")
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "id"


def test_a_superscript_communication_key_is_a_400(client: TestClient[Any]) -> None:
    assert client.get("/api/v1/communications/²").status_code == 400


def test_a_4301_digit_key_names_nothing(client: TestClient[Any]) -> None:
    # Like every id beyond 64 bits: no stored thing has it (404), rather than Python's int() limit (500).
    response = client.get("/api/v1/companies/" + "9" * 4_301)
    assert response.status_code == 404
    assert "not found" in response.json()["error"]["message"]
