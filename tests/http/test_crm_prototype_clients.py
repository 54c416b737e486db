"""Seed 000's client examples 3–8, exactly as the seed shows them, on memory, SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from dependency_injector import providers
from litestar.testing import TestClient

from tests.http.conftest import basic, create
from tests.support.clock import ManualClock

SEED_CLIENT_FIELDS = [
    "clientId",
    "firstName",
    "lastName",
    "birthDate",
    "createTime",
    "updateTime",
    "available",
    "socialMedia",
    "communication",
    "booking",
]


def with_clock(client: TestClient[Any], clock: ManualClock) -> TestClient[Any]:
    client.app.state.container.core.clock.override(providers.Object(clock))
    return client


@pytest.fixture
def api(client: TestClient[Any], clock: ManualClock) -> TestClient[Any]:
    return with_clock(client, clock)


def employee(api: TestClient[Any], login: str, *permissions: str) -> tuple[int, dict[str, str]]:
    role = create(
        api, "/api/v1/roles", {"name": login, "permissions": [{"permission": p} for p in permissions]}
    )
    body = {
        "login": login,
        "password": "secret1",
        "firstName": login,
        "lastName": "E",
        "roleIds": [role["id"]],
    }
    return create(api, "/api/v1/employees", body)["id"], basic(login, "secret1")


def details(response: Any) -> list[str]:
    return [d["field"] for d in response.json()["error"]["details"]]


def seed_flow(api: TestClient[Any], clock: ManualClock) -> None:
    """Examples 3 to 8 in order, each answer compared with the seed's whole example."""
    # 3. POST /clients/add
    added = api.post(
        "/clients/add",
        json={"firstName": "Michael", "lastName": "Jordan", "birthDate": "1995-06-02T00:00:00Z"},
    )
    assert added.status_code == 201, added.text
    jordan = added.json()
    assert list(jordan) == SEED_CLIENT_FIELDS
    assert jordan == {
        "clientId": jordan["clientId"],
        "firstName": "Michael",
        "lastName": "Jordan",
        "birthDate": "1995-06-02T00:00:00.000+00:00",
        "createTime": "2026-03-02T09:00:00.000+00:00",
        "updateTime": "2026-03-02T09:00:00.000+00:00",
        "available": True,
        "socialMedia": None,
        "communication": None,
        "booking": None,
    }
    other = api.post("/clients/add", json={"firstName": "Michael", "lastName": "Tyson"}).json()

    # 4. PUT /clients/edit/{id}
    clock.advance(minutes=41)
    edited = api.put(
        f"/clients/edit/{other['clientId']}",
        json={
            "firstName": "Michael",
            "lastName": "Tyson",
            "birthDate": "1992-03-02T00:00:00Z",
            "available": False,
        },
    )
    assert edited.status_code == 200, edited.text
    tyson = edited.json()
    assert tyson == {
        **other,
        "birthDate": "1992-03-02T00:00:00.000+00:00",
        "updateTime": "2026-03-02T09:41:00.000+00:00",
        "available": False,
    }

    # 5. GET /clients: a bare array
    everyone = api.get("/clients")
    assert everyone.status_code == 200
    assert everyone.json() == [jordan, tyson]
    assert everyone.headers["x-total-count"] == "2"

    # 6. GET /clients/available: a bare array of those who may be contacted
    assert api.get("/clients/available").json() == [jordan]

    # 7. GET /clients/{id}/availability: strings, as the seed shows
    answer = api.get(f"/clients/{jordan['clientId']}/availability").json()
    assert answer == {"clientId": str(jordan["clientId"]), "available": "true", "reasons": []}
    refused = api.get(f"/clients/{tyson['clientId']}/availability").json()
    assert (refused["clientId"], refused["available"]) == (str(tyson["clientId"]), "false")
    assert refused["reasons"] == ["the client has opted out of communications (available is false)"]

    # 8. PUT /clients/{id}/bookings
    clock.advance(minutes=2)
    booked = api.put(
        f"/clients/{jordan['clientId']}/bookings",
        json={"beforeDate": "2026-06-02T00:00:00Z", "status": {"name": "Забронирован"}},
    )
    assert booked.status_code == 200, booked.text
    body = booked.json()
    assert list(body) == SEED_CLIENT_FIELDS
    assert body == {
        **jordan,
        "booking": {
            "bookingId": body["booking"]["bookingId"],
            "beforeDate": "2026-06-02T00:00:00.000+00:00",
            "status": {
                "bookingStatusTypeId": body["booking"]["status"]["bookingStatusTypeId"],
                "name": "Забронирован",
                "description": "Забронирован на весь лимит времени.",
            },
        },
    }
    assert api.get("/clients").json()[0]["booking"] == body["booking"]


def test_the_seed_examples_on_memory(api: TestClient[Any], clock: ManualClock) -> None:
    seed_flow(api, clock)


def test_the_seed_examples_on_sql(sql_client: TestClient[Any], clock: ManualClock) -> None:
    seed_flow(with_clock(sql_client, clock), clock)


# -- POST /clients/add and PUT /clients/edit/{id} -------------------------------------------


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("1995-06-02", "1995-06-02T00:00:00.000+00:00"),
        ("1995-06-02T00:00:00Z", "1995-06-02T00:00:00.000+00:00"),
        ("1995-06-02T00:00:00.000+00:00", "1995-06-02T00:00:00.000+00:00"),
        ("1995-06-02T23:30:00+03:00", "1995-06-02T00:00:00.000+00:00"),
    ],
)
def test_birth_date_is_a_date_or_a_date_time(api: TestClient[Any], given: str, shown: str) -> None:
    assert create(api, "/clients/add", {"firstName": "M", "birthDate": given})["birthDate"] == shown


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"firstName": "M", "birthDate": "02.06.1995"}, ["birthDate"]),
        ({"firstName": 23}, ["firstName"]),
        ({"available": "maybe"}, ["available"]),
        ({"socialMedia": "@mj"}, ["socialMedia"]),
        ({"phones": ["nope"]}, ["phones[0]"]),
    ],
)
def test_bad_client_input_names_the_field(
    api: TestClient[Any], body: dict[str, Any], fields: list[str]
) -> None:
    client_id = create(api, "/clients/add", {"firstName": "M"})["clientId"]
    for response in (api.post("/clients/add", json=body), api.put(f"/clients/edit/{client_id}", json=body)):
        assert response.status_code == 400, response.text
        assert details(response) == fields


def test_unknown_fields_and_ids(api: TestClient[Any]) -> None:
    added = create(api, "/clients/add", {"firstName": "M", "socialMedia": {"instagram": "@mj"}})
    assert added["socialMedia"] == {"instagram": "@mj"}
    assert api.post("/clients/add", json={"firstName": "M", "clientId": 5}).status_code == 400
    assert api.put(f"/clients/edit/{added['clientId']}", json={"nickname": "MJ"}).status_code == 400
    missing = api.put("/clients/edit/999", json={"firstName": "X"})
    assert missing.status_code == 404
    assert missing.json()["error"] == {"message": "client 999 not found", "status": 404}
    assert api.put("/clients/edit/abc", json={"firstName": "X"}).status_code == 400
    assert (
        api.post(
            "/clients/add", content=b"{not json", headers={"Content-Type": "application/json"}
        ).status_code
        == 400
    )


def test_editing_changes_only_the_fields_given(api: TestClient[Any]) -> None:
    added = create(
        api, "/clients/add", {"firstName": "Michael", "lastName": "Jordan", "birthDate": "1995-06-02"}
    )
    edited = api.put(f"/clients/edit/{added['clientId']}", json={"available": False}).json()
    assert (edited["firstName"], edited["lastName"], edited["birthDate"], edited["available"]) == (
        "Michael",
        "Jordan",
        "1995-06-02T00:00:00.000+00:00",
        False,
    )
    cleared = api.put(f"/clients/edit/{added['clientId']}", json={"birthDate": None}).json()
    assert cleared["birthDate"] is None


# -- GET /clients and /clients/available ----------------------------------------------------


def test_all_clients_come_in_pages_that_stay_bare_arrays(api: TestClient[Any]) -> None:
    ids = [create(api, "/clients/add", {"firstName": f"C{i}"})["clientId"] for i in range(5)]
    page = api.get("/clients", params={"limit": 2, "offset": 1})
    assert [c["clientId"] for c in page.json()] == ids[1:3]
    assert page.headers["x-total-count"] == "5"
    assert api.get("/clients", params={"offset": 5}).json() == []
    for params in ({"limit": 0}, {"limit": 1001}, {"offset": -1}, {"limit": "many"}):
        assert api.get("/clients", params=params).status_code == 400, params


def test_available_clients_leave_out_those_booked_by_someone_else(api: TestClient[Any]) -> None:
    mine = create(api, "/clients/add", {"firstName": "Mine"})["clientId"]
    theirs = create(api, "/clients/add", {"firstName": "Theirs"})["clientId"]
    free = create(api, "/clients/add", {"firstName": "Free"})["clientId"]
    other_id, other = employee(api, "other", "manage_clients")
    assert (
        api.put(f"/clients/{mine}/bookings", json={"beforeDate": "2026-04-01T00:00:00Z"}).status_code == 200
    )
    taken = api.put(f"/clients/{theirs}/bookings", json={"beforeDate": "2026-04-01T00:00:00Z"}, headers=other)
    assert taken.status_code == 200
    for_admin = api.get("/clients/available")
    assert [c["clientId"] for c in for_admin.json()] == [mine, free]
    assert for_admin.headers["x-total-count"] == "2"
    assert [c["clientId"] for c in api.get("/clients/available", headers=other).json()] == [theirs, free]
    assert [
        c["clientId"] for c in api.get("/clients/available", params={"limit": 1, "offset": 1}).json()
    ] == [free]
    reasons = api.get(f"/clients/{theirs}/availability").json()
    assert reasons["available"] == "false"
    assert reasons["reasons"] == [
        f"booked by employee {other_id} until 2026-04-01T00:00:00+00:00 (booking 2)"
    ]


def test_availability_of_an_unknown_client(api: TestClient[Any]) -> None:
    assert api.get("/clients/999/availability").status_code == 404
    # Only an id can name a client on these routes: anything else is bad input, not a missing client.
    assert api.get("/clients/abc/availability").status_code == 400


# -- PUT /clients/{id}/bookings -----------------------------------------------------------


def test_booking_again_extends_and_released_releases(api: TestClient[Any]) -> None:
    client_id = create(api, "/clients/add", {"firstName": "M"})["clientId"]
    first = api.put(f"/clients/{client_id}/bookings", json={"beforeDate": "2026-04-01T00:00:00Z"}).json()
    again = api.put(f"/clients/{client_id}/bookings", json={"beforeDate": "2026-05-01T00:00:00Z"}).json()
    assert again["booking"]["bookingId"] == first["booking"]["bookingId"]
    assert again["booking"]["beforeDate"] == "2026-05-01T00:00:00.000+00:00"
    released = api.put(
        f"/clients/{client_id}/bookings",
        json={"beforeDate": "2026-05-01T00:00:00Z", "status": {"name": "Освобождён"}},
    )
    assert (released.status_code, released.json()["booking"]) == (200, None)
    assert api.get("/api/v1/bookings", params={"status": "released"}).json()["total"] == 1


def test_booking_input_errors(api: TestClient[Any]) -> None:
    client_id = create(api, "/clients/add", {"firstName": "M"})["clientId"]
    path = f"/clients/{client_id}/bookings"
    assert details(api.put(path, json={"beforeDate": "2026-03-01T00:00:00Z"})) == ["beforeDate"]
    assert details(
        api.put(path, json={"beforeDate": "2026-04-01T00:00:00Z", "status": {"name": "Maybe"}})
    ) == ["status.name"]
    expired = {"beforeDate": "2026-04-01T00:00:00Z", "status": {"name": "Истёк"}}
    assert details(api.put(path, json=expired)) == ["status.name"]
    assert details(api.put(path, json={"status": {"name": "Забронирован"}})) == ["beforeDate"]
    assert api.put(path, json={"beforeDate": 5}).status_code == 400
    assert api.put(path, json={"beforeDate": "2026-04-01T00:00:00Z", "status": "booked"}).status_code == 400
    assert api.put(path, json={"beforeDate": "2026-04-01T00:00:00Z", "owner": 1}).status_code == 400
    assert api.put("/clients/999/bookings", json={"beforeDate": "2026-04-01T00:00:00Z"}).status_code == 404
    release_nothing = {"beforeDate": "2026-04-01T00:00:00Z", "status": {"name": "released"}}
    assert api.put(path, json=release_nothing).status_code == 404


def test_a_client_booked_by_someone_else_cannot_be_booked(api: TestClient[Any]) -> None:
    client_id = create(api, "/clients/add", {"firstName": "M"})["clientId"]
    _, other = employee(api, "other", "manage_clients")
    api.put(f"/clients/{client_id}/bookings", json={"beforeDate": "2026-04-01T00:00:00Z"}, headers=other)
    taken = api.put(f"/clients/{client_id}/bookings", json={"beforeDate": "2026-04-02T00:00:00Z"})
    assert taken.status_code == 409
    assert "is booked by employee" in taken.json()["error"]["message"]


def test_a_front_system_books_for_a_department_it_names(api: TestClient[Any]) -> None:
    role = create(api, "/api/v1/roles", {"name": "Portal", "permissions": [{"permission": "manage_clients"}]})
    create(
        api,
        "/api/v1/service-accounts",
        {"name": "Portal", "login": "portal", "password": "secret1", "roleIds": [role["id"]]},
    )
    portal = basic("portal", "secret1")
    company = create(api, "/api/v1/companies", {"name": "Acme", "code": "acme"})
    department = create(
        api, "/api/v1/departments", {"companyId": company["id"], "name": "Sales", "code": "sales"}
    )
    client_id = create(api, "/clients/add", {"firstName": "M"})["clientId"]
    path = f"/clients/{client_id}/bookings"
    nobody = api.put(path, json={"beforeDate": "2026-04-01T00:00:00Z"}, headers=portal)
    assert (nobody.status_code, details(nobody)) == (400, ["departmentId"])
    booked = api.put(
        path, json={"beforeDate": "2026-04-01T00:00:00Z", "departmentId": department["id"]}, headers=portal
    )
    assert booked.status_code == 200
    booking = api.get(f"/api/v1/bookings/{booked.json()['booking']['bookingId']}").json()
    assert (booking["departmentId"], booking["employeeId"]) == (department["id"], None)


# -- access --------------------------------------------------------------------------------

SEED_ROUTES = [
    ("POST", "/clients/add", {"firstName": "M"}, True),
    ("PUT", "/clients/edit/1", {"firstName": "M"}, True),
    ("PUT", "/clients/1/bookings", {"beforeDate": "2026-04-01T00:00:00Z"}, True),
    ("GET", "/clients", None, False),
    ("GET", "/clients/available", None, False),
    ("GET", "/clients/1/availability", None, False),
]


@pytest.mark.parametrize(("method", "path", "body", "writes"), SEED_ROUTES)
def test_every_seed_route_needs_credentials_and_writes_need_manage_clients(
    api: TestClient[Any], method: str, path: str, body: dict[str, Any] | None, writes: bool
) -> None:
    create(api, "/clients/add", {"firstName": "M"})
    _, reader = employee(api, "reader", "read_statistics")
    assert api.request(method, path, json=body, headers={"Authorization": ""}).status_code == 401
    assert api.request(method, path, json=body, headers=basic("Admin", "wrong")).status_code == 401
    response = api.request(method, path, json=body, headers=reader)
    if writes:
        assert response.status_code == 403
        assert response.json()["error"]["permission"] == "manage_clients"
    else:
        assert response.status_code == 200
