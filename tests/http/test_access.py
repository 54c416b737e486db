"""Basic Auth, permissions, throttling and the error envelope, through the real app."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient

from tests.http.conftest import basic, create, user_with


def test_every_api_route_needs_credentials(client: TestClient[Any]) -> None:
    response = client.get("/api/v1/companies", headers={"Authorization": ""})
    assert response.status_code == 401
    assert response.json() == {
        "code": 401,
        "error": {"message": "Basic Auth credentials are required", "status": 401},
    }
    assert response.headers["www-authenticate"].startswith("Basic")


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(client: TestClient[Any]) -> None:
    wrong_password = client.get("/api/v1/companies", headers=basic("Admin", "nope"))
    unknown_login = client.get("/api/v1/companies", headers=basic("nobody", "admin"))
    assert wrong_password.status_code == unknown_login.status_code == 401
    assert wrong_password.json() == unknown_login.json()


def test_malformed_credentials_are_refused(client: TestClient[Any]) -> None:
    for header in ("Basic !!!", "Basic " + "YWJj", "Bearer abc"):
        assert client.get("/api/v1/companies", headers={"Authorization": header}).status_code == 401


def test_health_and_api_documents_need_no_credentials(client: TestClient[Any]) -> None:
    client.headers.pop("Authorization")
    assert client.get("/health").json() == {"status": "ok", "storage": "ok"}
    assert client.get("/swagger-ui/index.html").status_code == 200
    schema = client.get("/openapi.json").json()
    assert schema["openapi"].startswith("3.1")
    assert "/api/v1/companies" in schema["paths"]


def test_a_burst_of_failed_logins_from_one_source_is_throttled(client: TestClient[Any]) -> None:
    assert client.get("/api/v1/companies").status_code == 200
    statuses = [
        client.get("/api/v1/companies", headers=basic("Admin", f"bad{i}")).status_code for i in range(12)
    ]
    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429, 429]
    throttled = client.get("/api/v1/companies", headers=basic("Admin", "bad"))
    assert int(throttled.headers["retry-after"]) >= 1
    assert throttled.json()["error"]["status"] == 429
    # Credentials already proven keep working: the throttle guards guessing, not the owner.
    assert client.get("/api/v1/companies").status_code == 200


def test_a_missing_permission_is_named_in_the_403(client: TestClient[Any]) -> None:
    user_with(client, "reader", "read_statistics")
    response = client.post(
        "/api/v1/companies", json={"name": "X", "code": "x"}, headers=basic("reader", "secret1")
    )
    assert response.status_code == 403
    assert response.json()["error"]["permission"] == "manage_system"
    assert "manage_system" in response.json()["error"]["message"]
    assert client.get("/api/v1/companies", headers=basic("reader", "secret1")).status_code == 200


def test_an_inactive_employee_cannot_log_in(client: TestClient[Any]) -> None:
    employee = create(
        client,
        "/api/v1/employees",
        {
            "login": "temp",
            "password": "secret1",
            "firstName": "T",
            "lastName": "T",
        },
    )
    assert client.get("/api/v1/companies", headers=basic("temp", "secret1")).status_code == 200
    client.patch(f"/api/v1/employees/{employee['id']}", json={"active": False})
    assert client.get("/api/v1/companies", headers=basic("temp", "secret1")).status_code == 401


def test_unknown_routes_and_wrong_methods_answer_in_the_envelope(client: TestClient[Any]) -> None:
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.json()["error"]["status"] == 404
    wrong = client.delete("/health")
    assert wrong.status_code == 405
    assert wrong.json()["code"] == 405
