"""Arranging organisation data through the API, and reading its answers, for the organisation tests."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient

from tests.http.conftest import create

Client = TestClient[Any]

COMPANIES = "/api/v1/companies"
DEPARTMENTS = "/api/v1/departments"
ROLES = "/api/v1/roles"
EMPLOYEES = "/api/v1/employees"
SERVICE_ACCOUNTS = "/api/v1/service-accounts"


def company(client: Client, code: str = "acme", name: str | None = None) -> dict[str, Any]:
    return create(client, COMPANIES, {"name": name or f"Company {code}", "code": code})


def department(client: Client, company_id: int, code: str = "sales", **fields: Any) -> dict[str, Any]:
    return create(
        client, DEPARTMENTS, {"companyId": company_id, "name": f"Department {code}", "code": code, **fields}
    )


def role(client: Client, name: str, *permissions: str | dict[str, Any]) -> dict[str, Any]:
    grants = [{"permission": p} if isinstance(p, str) else p for p in permissions]
    return create(client, ROLES, {"name": name, "permissions": grants})


def employee(client: Client, login: str = "ivanov", **fields: Any) -> dict[str, Any]:
    body = {"login": login, "password": "secret1", "firstName": "Ivan", "lastName": "Ivanov", **fields}
    return create(client, EMPLOYEES, body)


def service_account(client: Client, login: str = "crm", **fields: Any) -> dict[str, Any]:
    return create(client, SERVICE_ACCOUNTS, {"name": "CRM", "login": login, "password": "token1", **fields})


def error(response: Any, status: int) -> dict[str, Any]:
    """The error of an answer that must be ``status`` in the SPEC §7.1 envelope."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == status and body["error"]["status"] == status, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    inner: dict[str, Any] = body["error"]
    return inner


def invalid_fields(response: Any) -> list[str]:
    """The fields a 400 names in its details."""
    return [d["field"] for d in error(response, 400)["details"]]


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]
