"""Seed 001's project and client contracts: snake_case bodies, ``{"status": 201, "message": "Ok"}``."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from tests.http.conftest import basic, create, user_with

OK = {"status": 201, "message": "Ok"}
CLIENT = {
    "project": "010",
    "guid": "lisjrfengghb^&Tgfb4*Tasdf",
    "first_name": "Иван",
    "last_name": "Иванов",
    "middle_name": "Иванович",
}


def details(response: Any) -> list[str]:
    return [d["field"] for d in response.json()["error"]["details"]]


def seed_flow(api: TestClient[Any]) -> None:
    created = api.post("/project/create", json={"name": "OCM", "code": "010"})
    assert (created.status_code, created.json()) == (201, OK)
    project = api.get("/api/v1/projects/010").json()
    updated = api.put(f"/project/{project['id']}/update", json={"primary key": project["id"], "name": "ОСМ"})
    assert (updated.status_code, updated.json()) == (201, OK)
    assert api.get("/api/v1/projects/010").json()["name"] == "ОСМ"
    client = api.post("/client/create", json=CLIENT)
    assert (client.status_code, client.json()) == (201, OK)
    found = api.get("/api/v1/clients", params={"project": "010", "guid": CLIENT["guid"]}).json()["items"]
    assert [(c["firstName"], c["lastName"], c["middleName"], c["projectId"]) for c in found] == [
        ("Иван", "Иванов", "Иванович", project["id"])
    ]


def test_the_seed_requests_on_memory(client: TestClient[Any]) -> None:
    seed_flow(client)


def test_the_seed_requests_on_sql(sql_client: TestClient[Any]) -> None:
    seed_flow(sql_client)


# -- POST /project/create -------------------------------------------------------------------


def test_project_create_errors_come_in_the_envelope(client: TestClient[Any]) -> None:
    assert client.post("/project/create", json={"name": "OCM", "code": "010"}).status_code == 201
    duplicate = client.post("/project/create", json={"name": "Other", "code": "010"})
    assert duplicate.status_code == 409
    assert duplicate.json()["code"] == 409 and duplicate.json()["error"]["status"] == 409
    missing = client.post("/project/create", json={"name": "OCM"})
    assert (missing.status_code, missing.json()["code"], details(missing)) == (400, 400, ["code"])
    assert details(client.post("/project/create", json={"name": "OCM", "code": 10})) == ["code"]
    assert client.post("/project/create", json={"name": "", "code": "x"}).status_code == 400
    assert client.post("/project/create", json={"name": "X", "code": "x", "Name": "X"}).status_code == 400
    assert (
        client.post("/project/create", content=b"[", headers={"Content-Type": "application/json"}).status_code
        == 400
    )


# -- PUT /project/{id}/update ---------------------------------------------------------------


def test_primary_key_is_optional_and_must_match_the_path(client: TestClient[Any]) -> None:
    create(client, "/api/v1/projects", {"name": "OCM", "code": "010"})
    assert client.put("/project/1/update", json={"name": "No key"}).json() == OK
    assert client.put("/project/1/update", json={"primary key": "1", "name": "Key as text"}).json() == OK
    assert client.get("/api/v1/projects/1").json()["name"] == "Key as text"
    wrong = client.put("/project/1/update", json={"primary key": 2, "name": "X"})
    assert (wrong.status_code, details(wrong)) == (400, ["primary key"])
    assert details(client.put("/project/1/update", json={"primary key": [1], "name": "X"})) == ["primary key"]
    assert client.get("/api/v1/projects/1").json()["name"] == "Key as text"


def test_project_update_errors(client: TestClient[Any]) -> None:
    create(client, "/api/v1/projects", {"name": "OCM", "code": "010"})
    create(client, "/api/v1/projects", {"name": "CRM", "code": "crm"})
    assert client.put("/project/999/update", json={"name": "X"}).status_code == 404
    assert client.put("/project/abc/update", json={"name": "X"}).status_code == 400
    assert details(client.put("/project/1/update", json={"primary key": 1})) == ["name"]
    assert client.put("/project/1/update", json={"name": "X", "primaryKey": 1}).status_code == 400
    assert client.put("/project/1/update", json={"name": "X", "code": "crm"}).status_code == 409
    assert client.put("/project/1/update", json={"name": "X", "code": "new"}).json() == OK
    assert client.get("/api/v1/projects/new").json()["name"] == "X"


# -- POST /client/create --------------------------------------------------------------------


def test_client_create_names_the_project_by_code(client: TestClient[Any]) -> None:
    create(client, "/api/v1/projects", {"name": "OCM", "code": "010"})
    assert client.post("/client/create", json=CLIENT).json() == OK
    duplicate = client.post("/client/create", json=CLIENT)
    assert duplicate.status_code == 409
    unknown = client.post("/client/create", json={**CLIENT, "project": "999"})
    assert (unknown.status_code, details(unknown)) == (400, ["project"])


@pytest.mark.parametrize("field", ["project", "guid", "first_name", "last_name", "middle_name"])
def test_every_client_field_is_required(client: TestClient[Any], field: str) -> None:
    create(client, "/api/v1/projects", {"name": "OCM", "code": "010"})
    body = {k: v for k, v in CLIENT.items() if k != field}
    response = client.post("/client/create", json=body)
    assert (response.status_code, details(response)) == (400, [field])


def test_client_create_refuses_camel_case_unknown_fields_and_wrong_types(client: TestClient[Any]) -> None:
    create(client, "/api/v1/projects", {"name": "OCM", "code": "010"})
    camel = {"project": "010", "guid": "g", "firstName": "I", "lastName": "I", "middleName": "I"}
    assert client.post("/client/create", json=camel).status_code == 400
    assert client.post("/client/create", json={**CLIENT, "phone": "+74951234567"}).status_code == 400
    assert details(client.post("/client/create", json={**CLIENT, "guid": 5})) == ["guid"]


# -- access --------------------------------------------------------------------------------

ROUTES = [
    ("POST", "/project/create", {"name": "P", "code": "p"}),
    ("PUT", "/project/1/update", {"name": "P"}),
    ("POST", "/client/create", {**CLIENT, "guid": "other"}),
]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_seed_001_routes_need_credentials_and_manage_clients(
    client: TestClient[Any], method: str, path: str, body: dict[str, Any]
) -> None:
    create(client, "/api/v1/projects", {"name": "OCM", "code": "010"})
    user_with(client, "reader", "read_statistics")
    assert client.request(method, path, json=body, headers={"Authorization": ""}).status_code == 401
    assert client.request(method, path, json=body, headers=basic("Admin", "wrong")).status_code == 401
    refused = client.request(method, path, json=body, headers=basic("reader", "secret1"))
    assert refused.status_code == 403
    assert refused.json()["error"]["permission"] == "manage_clients"
    assert client.request(method, path, json=body).status_code == 201
