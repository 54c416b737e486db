"""Cross-site request forgery is closed, and JSON bodies that would break the decoder answer 400."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from adapters.security import Argon2PasswordHasher
from entrypoints.http.security.request_guard import json_depth
from entrypoints.settings import Settings
from tests.http.conftest import make_client

ROLE = b'{"name": "Forged", "permissions": [{"permission": "manage_system"}]}'
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def cors_client(hasher: Argon2PasswordHasher) -> Iterator[TestClient[Any]]:
    yield from make_client(Settings(storage="memory", cors_origins=("https://crm.example",)), hasher)


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None],
)
def test_a_json_route_refuses_a_body_of_any_other_type_with_415(
    client: TestClient[Any], content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post("/api/v1/roles", content=ROLE, headers=headers)
    assert response.status_code == 415
    assert response.json()["code"] == 415
    assert client.get("/api/v1/roles/Forged").status_code == 404


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "application/x+json"]
)
def test_json_and_plus_json_are_accepted(client: TestClient[Any], content_type: str) -> None:
    assert (
        client.post("/api/v1/roles", content=ROLE, headers={"Content-Type": content_type}).status_code == 201
    )


def test_a_hostile_origin_cannot_change_anything_even_with_credentials(client: TestClient[Any]) -> None:
    hostile = {**JSON, "Origin": "https://evil.example"}
    assert client.post("/api/v1/roles", content=ROLE, headers=hostile).status_code == 403
    assert client.delete("/api/v1/channels/1", headers={"Origin": "https://evil.example"}).status_code == 403
    assert client.post("/api/v1/roles", content=ROLE, headers={**JSON, "Origin": "null"}).status_code == 403
    assert client.get("/api/v1/roles/Forged").status_code == 404
    # Reading is not state-changing: the same-origin policy keeps the answer from the hostile page.
    assert client.get("/api/v1/roles", headers={"Origin": "https://evil.example"}).status_code == 200


def test_the_servers_own_origin_and_requests_without_origin_may_write(client: TestClient[Any]) -> None:
    own = {**JSON, "Origin": "http://testserver.local"}
    assert client.post("/api/v1/roles", content=ROLE, headers=own).status_code == 201
    assert client.put("/api/v1/roles/Forged", json={"description": "server to server"}).status_code == 200


def test_a_configured_cors_origin_may_write(cors_client: TestClient[Any]) -> None:
    listed = {**JSON, "Origin": "https://crm.example"}
    assert cors_client.post("/api/v1/roles", content=ROLE, headers=listed).status_code == 201
    other = {**JSON, "Origin": "https://crm.example.evil"}
    assert cors_client.post("/api/v1/roles", content=ROLE, headers=other).status_code == 403


def test_a_cross_site_fetch_without_origin_is_refused(client: TestClient[Any]) -> None:
    headers = {**JSON, "Sec-Fetch-Site": "cross-site"}
    assert client.post("/api/v1/roles", content=ROLE, headers=headers).status_code == 403


@pytest.mark.parametrize("depth", [33, 1_000, 100_000])
def test_json_nested_deeper_than_the_limit_is_a_400(client: TestClient[Any], depth: int) -> None:
    body = b'{"name": "deep", "description": ' + b"[" * depth + b"]" * depth + b"}"
    response = client.post("/api/v1/roles", content=body, headers=JSON)
    assert response.status_code == 400
    assert "deeper than 32" in response.json()["error"]["message"]


@pytest.mark.parametrize("path", ["/api/v1/roles", "/v3/collections/communications", "/clients/add"])
def test_invalid_utf8_inside_a_json_string_is_a_400(client: TestClient[Any], path: str) -> None:
    response = client.post(path, content=b'{"name": "caf\xe9\xff"}', headers=JSON)
    assert response.status_code == 400
    assert "UTF-8" in response.json()["error"]["message"]


def test_depth_ignores_brackets_inside_strings() -> None:
    assert json_depth(b'{"a": "[[[[{{{{", "b": [1, {"c": "\\"]]]"}]}') == 3
    assert json_depth(b"[]") == 1 and json_depth(b"7") == 0


# -- the text rule ------------------------------------------------------------------------


def communication(client: TestClient[Any], **fields: Any) -> Any:
    body = {"kind": "planned", "communicationTypeId": 1, "channelId": 1, "direction": "outbound", **fields}
    return client.post("/api/v1/communications", json=body)


@pytest.mark.parametrize("bad", ["\x00", "\x07", "\x1b[31m", "\x7f", "\x85", "a\x00b"])
@pytest.mark.parametrize("field", ["subject", "content"])
def test_communication_text_with_control_characters_is_a_400_naming_the_field(
    client: TestClient[Any], bad: str, field: str
) -> None:
    response = communication(client, **{field: f"Hello {bad}"})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["details"][0]["field"] == field


def test_tab_and_line_breaks_are_text(client: TestClient[Any]) -> None:
    response = communication(client, subject="a\tb", content="line 1\r\nline 2\nline 3")
    assert response.status_code == 201, response.text


def test_id_translation_fields_follow_the_text_rule(client: TestClient[Any]) -> None:
    created = communication(client, subject="x").json()
    for field in ("system", "externalId"):
        body = {"uuid": created["uuid"], "system": "crm", "externalId": "1-A", field: "bad\x00"}
        response = client.post("/v1/communications/id-translations", json=body)
        assert response.status_code == 400, response.text
        assert response.json()["error"]["details"][0]["field"] == field


def test_nested_fields_are_named_with_their_path(client: TestClient[Any]) -> None:
    body = {"name": "r", "permissions": [{"permission": "manage_clients"}, {"permission": "x\x00"}]}
    response = client.post("/api/v1/roles", json=body)
    assert response.json()["error"]["details"][0]["field"] == "permissions[1].permission"
