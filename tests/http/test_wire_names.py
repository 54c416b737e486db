"""Errors name the called route's fields: the domain names attributes, the edge spells them."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient

from entrypoints.http.wire_names import camel, field_path, in_message, names_of
from tests.http.conftest import create
from tests.http.test_communications_api import SMS


def fields(response: Any) -> list[str]:
    return [d["field"] for d in response.json()["error"]["details"]]


def test_api_v1_names_fields_in_camel_case(client: TestClient[Any]) -> None:
    company = create(client, "/api/v1/companies", {"name": "North", "code": "north"})
    body = {"companyId": company["id"], "name": "Sales", "code": "sales", "parentId": 999}
    dangling = client.post("/api/v1/departments", json=body)
    assert (dangling.status_code, fields(dangling)) == (400, ["parentId"])
    create(client, "/api/v1/departments", {**body, "parentId": None})
    duplicate = client.post("/api/v1/departments", json={**body, "name": "Sales 2", "parentId": None})
    assert duplicate.status_code == 409
    assert f"companyId {company['id']}, code 'sales'" in duplicate.json()["error"]["message"]


def test_the_crm_prototype_routes_name_fields_in_camel_case(client: TestClient[Any]) -> None:
    client_id = create(client, "/clients/add", {"firstName": "M"})["clientId"]
    past = client.put(f"/clients/{client_id}/bookings", json={"beforeDate": "2000-01-01T00:00:00Z"})
    assert (past.status_code, fields(past)) == (400, ["beforeDate"])


def test_the_mailing_service_routes_name_fields_in_snake_case(client: TestClient[Any]) -> None:
    create(client, "/api/v1/projects", {"name": "OCM", "code": "010"})
    body = {"project": "010", "guid": "g-1", "first_name": "I", "last_name": "I", "middle_name": "I"}
    assert client.post("/client/create", json=body).status_code == 201
    duplicate = client.post("/client/create", json=body)
    assert duplicate.status_code == 409
    message = duplicate.json()["error"]["message"]
    assert "project_id" in message and "projectId" not in message


def test_the_communications_service_routes_name_the_type_as_their_bodies_do(client: TestClient[Any]) -> None:
    body = {"kind": "planned", "direction": "outbound", "communicationTypeId": 999, "channelId": SMS}
    unknown = client.post("/v2/communications", json=body)
    assert (unknown.status_code, fields(unknown)) == (400, ["communicationTypeId"])


def test_renaming_keeps_indexes_and_quoted_values() -> None:
    assert field_path("working_hours[1].opens", camel) == "workingHours[1].opens"
    assert in_message("give department_id or employee_id, not 'sms_ru'", camel) == (
        "give departmentId or employeeId, not 'sms_ru'"
    )
    assert names_of("/client/create")("project_id") == "project_id"
    assert names_of("/api/v1/communications")("type_id") == "communicationTypeId"
    assert names_of("/api/v1/rules")("allowed_weekdays") == "allowedWeekdays"
