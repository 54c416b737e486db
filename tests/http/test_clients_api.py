"""The canonical client-side API (/api/v1): projects, clients, groups, channel blocks, bookings."""

from __future__ import annotations

from typing import Any

import pytest
from dependency_injector import providers
from litestar.testing import TestClient

from tests.http.conftest import basic, create, user_with
from tests.support.clock import ManualClock

TOMORROW = "2026-03-03T09:00:00Z"  # the ManualClock starts at 2026-03-02 09:00 UTC
NEXT_WEEK = "2026-03-09T09:00:00Z"


@pytest.fixture
def api(client: TestClient[Any], clock: ManualClock) -> TestClient[Any]:
    """The Admin client with time in the test's hands."""
    client.app.state.container.core.clock.override(providers.Object(clock))
    return client


def reader(api: TestClient[Any]) -> dict[str, str]:
    """Credentials of an employee who may read statistics but not manage clients."""
    return user_with(api, "reader", "read_statistics")


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


def channel_id(api: TestClient[Any], code: str = "sms") -> int:
    channel = api.get(f"/api/v1/channels/{code}")
    assert channel.status_code == 200, channel.text
    return int(channel.json()["id"])


# -- projects ------------------------------------------------------------------------------


def test_projects_are_created_found_by_id_or_code_changed_and_deleted(api: TestClient[Any]) -> None:
    project = create(api, "/api/v1/projects", {"name": "OCM", "code": "010"})
    assert set(project) == {"id", "name", "code", "createTime", "updateTime"}
    assert api.get("/api/v1/projects/010").json()["id"] == project["id"]
    assert api.get(f"/api/v1/projects/{project['id']}").json()["code"] == "010"
    assert api.patch(f"/api/v1/projects/{project['id']}", json={"name": "ОСМ"}).json()["name"] == "ОСМ"
    assert api.get("/api/v1/projects", params={"q": "осм"}).json()["total"] == 1
    assert api.delete(f"/api/v1/projects/{project['id']}").status_code == 204
    assert api.get("/api/v1/projects/010").status_code == 404


def test_project_input_errors(api: TestClient[Any]) -> None:
    create(api, "/api/v1/projects", {"name": "OCM", "code": "010"})
    duplicate = api.post("/api/v1/projects", json={"name": "Other", "code": "010"})
    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["status"] == 409
    assert details(api.post("/api/v1/projects", json={"name": "X"})) == ["code"]
    assert details(api.post("/api/v1/projects", json={"name": 5, "code": "x"})) == ["name"]
    assert api.post("/api/v1/projects", json={"name": "X", "code": "x", "owner": 1}).status_code == 400
    assert api.patch("/api/v1/projects/999", json={"name": "X"}).status_code == 404


def test_a_project_with_clients_is_not_deleted(api: TestClient[Any]) -> None:
    project = create(api, "/api/v1/projects", {"name": "OCM", "code": "010"})
    create(api, "/api/v1/clients", {"projectId": project["id"], "guid": "g"})
    refused = api.delete("/api/v1/projects/010")
    assert refused.status_code == 409
    assert refused.json()["error"]["references"] == {"clients": 1}


# -- clients -------------------------------------------------------------------------------


def test_a_client_round_trips_in_camel_case_with_phones_in_e164(api: TestClient[Any]) -> None:
    project = create(api, "/api/v1/projects", {"name": "OCM", "code": "010"})
    body = {
        "firstName": "Иван",
        "lastName": "Петров",
        "middleName": "Иванович",
        "birthDate": "1990-05-17",
        "phones": ["8 (495) 123-45-67"],
        "email": "Ivan@Example.com",
        "socialMedia": {"telegram": "@ivan"},
        "language": "ru",
        "timeZone": "Europe/Moscow",
        "available": True,
        "projectId": project["id"],
        "guid": "abc",
        "tags": ["vip"],
    }
    created = create(api, "/api/v1/clients", body)
    assert created == {
        **body,
        "id": created["id"],
        "phones": ["+74951234567"],
        "email": "ivan@example.com",
        "createTime": "2026-03-02T09:00:00.000+00:00",
        "updateTime": "2026-03-02T09:00:00.000+00:00",
    }
    # One client's answer adds its Telegram link state, null here with no bot configured
    # (tests/http/test_telegram.py has one).
    one = api.get(f"/api/v1/clients/{created['id']}").json()
    assert one.pop("telegram") is None
    assert one == created


def test_a_client_is_fetched_by_id_phone_or_email(api: TestClient[Any]) -> None:
    created = create(api, "/api/v1/clients", {"phones": ["+74951234567"], "email": "ivan@example.com"})
    for key in (str(created["id"]), "84951234567", "+74951234567", "ivan@example.com"):
        assert api.get(f"/api/v1/clients/{key}").json()["id"] == created["id"], key
    for key in ("²", "nobody@example.com", "+79990000000"):
        assert api.get(f"/api/v1/clients/{key}").status_code == 404, key
    assert api.get("/api/v1/clients/99999999999999999999").status_code == 400  # no id is that large
    missing = api.get("/api/v1/clients/999")
    assert missing.status_code == 404
    assert missing.json() == {"code": 404, "error": {"message": "client 999 not found", "status": 404}}


def test_client_changes_apply_only_the_given_fields(api: TestClient[Any]) -> None:
    created = create(api, "/api/v1/clients", {"firstName": "Ivan", "phones": ["+74951234567"]})
    changed = api.patch(
        f"/api/v1/clients/{created['id']}",
        json={"phones": ["8 916 123 45 67"], "birthDate": "1995-06-02T00:00:00Z"},
    ).json()
    assert (changed["firstName"], changed["phones"], changed["birthDate"]) == (
        "Ivan",
        ["+79161234567"],
        "1995-06-02",
    )
    replaced = api.put(f"/api/v1/clients/{created['id']}", json={"available": False}).json()
    assert (replaced["available"], replaced["firstName"]) == (False, "Ivan")


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"phones": ["+74951234567", "call me"]}, ["phones[1]"]),
        ({"phones": "+74951234567"}, ["phones"]),
        ({"email": "not-an-email"}, ["email"]),
        ({"birthDate": "17.05.1990"}, ["birthDate"]),
        ({"timeZone": "Mars/Olympus"}, ["timeZone"]),
        ({"available": "yes"}, ["available"]),
        ({"projectId": 999}, ["projectId"]),
        ({"guid": "g"}, ["guid"]),
        ({"tags": [""]}, ["tags[0]"]),
        ({"socialMedia": ["@ivan"]}, ["socialMedia"]),
    ],
)
def test_bad_client_input_names_the_field(
    api: TestClient[Any], body: dict[str, Any], fields: list[str]
) -> None:
    response = api.post("/api/v1/clients", json=body)
    assert response.status_code == 400, response.text
    assert details(response) == fields


def test_unknown_client_fields_are_refused(api: TestClient[Any]) -> None:
    response = api.post("/api/v1/clients", json={"firstName": "Ivan", "nickname": "Vanya"})
    assert response.status_code == 400
    assert "nickname" in response.text
    created = create(api, "/api/v1/clients", {"firstName": "Ivan"})
    assert api.patch(f"/api/v1/clients/{created['id']}", json={"id": 5}).status_code == 400


def test_a_guid_is_unique_within_its_project(api: TestClient[Any]) -> None:
    project = create(api, "/api/v1/projects", {"name": "OCM", "code": "010"})
    create(api, "/api/v1/clients", {"projectId": project["id"], "guid": "g"})
    duplicate = api.post("/api/v1/clients", json={"projectId": project["id"], "guid": "g"})
    assert duplicate.status_code == 409
    assert "guid 'g'" in duplicate.json()["error"]["message"]


def test_client_filters(api: TestClient[Any]) -> None:
    project = create(api, "/api/v1/projects", {"name": "OCM", "code": "010"})
    ivan = create(
        api,
        "/api/v1/clients",
        {
            "firstName": "Ivan",
            "phones": ["+74951234567"],
            "email": "ivan@example.com",
            "projectId": project["id"],
            "guid": "a1",
            "tags": ["vip"],
        },
    )
    anna = create(api, "/api/v1/clients", {"firstName": "Anna", "available": False, "tags": ["new"]})
    group = create(api, "/api/v1/client-groups", {"name": "Loyal"})
    api.post(f"/api/v1/client-groups/{group['id']}/members", json={"clientIds": [anna["id"]]})

    def ids(**params: Any) -> list[int]:
        response = api.get("/api/v1/clients", params=params)
        assert response.status_code == 200, response.text
        return [c["id"] for c in response.json()["items"]]

    assert ids(phone="8 (495) 123-45-67") == [ivan["id"]]
    assert ids(email="IVAN@example.com") == [ivan["id"]]
    assert ids(project="010", guid="a1") == [ivan["id"]]
    assert ids(project=str(project["id"])) == [ivan["id"]]
    assert ids(project="unknown") == []
    assert ids(groupId=group["id"]) == [anna["id"]]
    assert ids(available="false") == [anna["id"]]
    assert ids(tag="vip") == [ivan["id"]]
    assert ids(q="ann") == [anna["id"]]
    assert ids(sort="-firstName") == [ivan["id"], anna["id"]]
    assert details(api.get("/api/v1/clients", params={"phone": "call me"})) == ["phone"]
    assert api.get("/api/v1/clients", params={"groupId": "x"}).status_code == 400
    assert api.get("/api/v1/clients", params={"sort": "phones"}).status_code == 400
    assert api.get("/api/v1/clients", params={"limit": 0}).status_code == 400


def test_a_booked_client_is_not_deleted_and_a_free_one_is(api: TestClient[Any]) -> None:
    booked = create(api, "/api/v1/clients", {"firstName": "Booked"})
    free = create(api, "/api/v1/clients", {"firstName": "Free"})
    create(api, "/api/v1/bookings", {"clientId": booked["id"], "beforeDate": TOMORROW, "employeeId": 1})
    refused = api.delete(f"/api/v1/clients/{booked['id']}")
    assert refused.status_code == 409
    assert refused.json()["error"]["references"] == {"bookings": 1}
    assert api.delete(f"/api/v1/clients/{free['id']}").status_code == 204
    assert api.delete(f"/api/v1/clients/{free['id']}").status_code == 404


# -- groups and members --------------------------------------------------------------------


def test_group_members_are_added_listed_and_removed(api: TestClient[Any]) -> None:
    a, b, c = (create(api, "/api/v1/clients", {"firstName": n})["id"] for n in "ABC")
    group = create(api, "/api/v1/client-groups", {"name": "VIP", "description": "the best"})
    added = api.post("/api/v1/client-groups/VIP/members", json={"clientIds": [a, b, c]})
    assert (added.status_code, added.json()) == (200, {"groupId": group["id"], "changed": 3, "members": 3})
    page = api.get("/api/v1/client-groups/VIP/members", params={"limit": 2}).json()
    assert ([m["id"] for m in page["items"]], page["total"]) == ([a, b], 3)
    by_body = api.request("DELETE", "/api/v1/client-groups/VIP/members", json={"clientIds": [a]})
    assert by_body.json() == {"groupId": group["id"], "changed": 1, "members": 2}
    by_query = api.delete(f"/api/v1/client-groups/{group['id']}/members", params={"clientIds": [b, c]})
    assert by_query.json()["members"] == 0
    assert api.get(f"/api/v1/clients/{a}/groups").json()["total"] == 0


def test_member_input_errors(api: TestClient[Any]) -> None:
    a = create(api, "/api/v1/clients", {"firstName": "A"})["id"]
    create(api, "/api/v1/client-groups", {"name": "VIP"})
    missing = api.post("/api/v1/client-groups/VIP/members", json={"clientIds": [a, 998, 999]})
    assert missing.status_code == 400
    assert missing.json()["error"]["details"] == [
        {"field": "clientIds", "message": "no client with id 998, 999"}
    ]
    assert api.post("/api/v1/client-groups/VIP/members", json={"clientIds": []}).status_code == 400
    assert api.post("/api/v1/client-groups/VIP/members", json={"clientIds": ["a"]}).status_code == 400
    assert api.post("/api/v1/client-groups/VIP/members", json={"ids": [a]}).status_code == 400
    assert api.post("/api/v1/client-groups/nope/members", json={"clientIds": [a]}).status_code == 404
    assert details(api.delete("/api/v1/client-groups/VIP/members")) == ["clientIds"]
    assert api.get("/api/v1/client-groups/nope/members").status_code == 404
    assert api.post("/api/v1/client-groups", json={"name": "VIP"}).status_code == 409


def test_a_clients_groups(api: TestClient[Any]) -> None:
    a = create(api, "/api/v1/clients", {"firstName": "A", "email": "a@example.com"})["id"]
    for name in ("One", "Two", "Three"):
        create(api, "/api/v1/client-groups", {"name": name})
        api.post(f"/api/v1/client-groups/{name}/members", json={"clientIds": [a]})
    groups = api.get("/api/v1/clients/a@example.com/groups", params={"sort": "name"}).json()
    assert [g["name"] for g in groups["items"]] == ["One", "Three", "Two"]
    assert api.get("/api/v1/clients/999/groups").status_code == 404
    group = api.get("/api/v1/client-groups/One").json()
    assert api.delete(f"/api/v1/client-groups/{group['id']}").status_code == 204
    assert api.get(f"/api/v1/clients/{a}/groups").json()["total"] == 2


# -- channel blocks ------------------------------------------------------------------------


def test_a_channel_is_blocked_and_unblocked(api: TestClient[Any], clock: ManualClock) -> None:
    client_id = create(api, "/api/v1/clients", {"firstName": "A"})["id"]
    sms, email = channel_id(api, "sms"), channel_id(api, "email")
    forever = create(
        api, "/api/v1/channel-blocks", {"clientId": client_id, "channelId": sms, "reason": "asked"}
    )
    assert (forever["permanent"], forever["until"], forever["reason"]) == (True, None, "asked")
    day = create(
        api, "/api/v1/channel-blocks", {"clientId": client_id, "channelId": email, "until": TOMORROW}
    )
    assert (day["permanent"], day["until"]) == (False, "2026-03-03T09:00:00.000+00:00")
    again = create(
        api, "/api/v1/channel-blocks", {"clientId": client_id, "channelId": sms, "until": NEXT_WEEK}
    )
    assert again["id"] == forever["id"] and not again["permanent"]

    def ids(**params: Any) -> list[int]:
        return [b["id"] for b in api.get("/api/v1/channel-blocks", params=params).json()["items"]]

    assert ids(clientId=client_id) == [forever["id"], day["id"]]
    assert ids(channelId=email) == [day["id"]]
    clock.advance(days=1)
    assert ids(active="true") == [forever["id"]]
    assert ids(active="false") == [day["id"]]
    assert api.delete(f"/api/v1/channel-blocks/{day['id']}").status_code == 204
    assert api.get(f"/api/v1/channel-blocks/{day['id']}").status_code == 404


def test_channel_block_input_errors(api: TestClient[Any]) -> None:
    client_id = create(api, "/api/v1/clients", {"firstName": "A"})["id"]
    sms = channel_id(api)
    assert details(api.post("/api/v1/channel-blocks", json={"clientId": 998, "channelId": 999})) == [
        "clientId",
        "channelId",
    ]
    past = {"clientId": client_id, "channelId": sms, "until": "2026-03-01T00:00:00Z"}
    assert details(api.post("/api/v1/channel-blocks", json=past)) == ["until"]
    assert details(api.post("/api/v1/channel-blocks", json={"clientId": client_id})) == ["channelId"]
    assert api.post("/api/v1/channel-blocks", json={"clientId": "a", "channelId": sms}).status_code == 400
    block = create(api, "/api/v1/channel-blocks", {"clientId": client_id, "channelId": sms})
    assert api.patch(f"/api/v1/channel-blocks/{block['id']}", json={"clientId": 2}).status_code == 400
    changed = api.patch(
        f"/api/v1/channel-blocks/{block['id']}", json={"until": NEXT_WEEK, "reason": "holiday"}
    )
    assert (changed.json()["until"], changed.json()["reason"]) == ("2026-03-09T09:00:00.000+00:00", "holiday")
    assert api.delete("/api/v1/channel-blocks/999").status_code == 404
    assert api.get("/api/v1/channel-blocks/sms").status_code == 404


# -- bookings and availability -------------------------------------------------------------


def test_bookings_lifecycle_through_the_api(api: TestClient[Any], clock: ManualClock) -> None:
    client_id = create(api, "/api/v1/clients", {"firstName": "A"})["id"]
    booking = create(
        api,
        "/api/v1/bookings",
        {"clientId": client_id, "beforeDate": TOMORROW, "employeeId": 1, "name": "Spring"},
    )
    assert (booking["status"], booking["employeeId"], booking["name"]) == ("booked", 1, "Spring")
    assert api.get("/api/v1/bookings/Spring").json()["id"] == booking["id"]
    extended = api.patch(f"/api/v1/bookings/{booking['id']}", json={"beforeDate": NEXT_WEEK}).json()
    assert extended["beforeDate"] == "2026-03-09T09:00:00.000+00:00"
    released = api.post(f"/api/v1/bookings/{booking['id']}/release")
    assert (released.status_code, released.json()["status"]) == (200, "released")
    assert api.post(f"/api/v1/bookings/{booking['id']}/release").status_code == 409
    assert api.get("/api/v1/bookings", params={"status": "released"}).json()["total"] == 1
    again = api.patch(f"/api/v1/bookings/{booking['id']}", json={"status": "booked"}).json()
    assert again["status"] == "booked"
    assert api.get("/api/v1/bookings", params={"active": "true", "clientId": client_id}).json()["total"] == 1
    clock.advance(days=7)
    assert api.get("/api/v1/bookings", params={"active": "true"}).json()["total"] == 0
    expired = api.post("/api/v1/bookings/expire-due")
    assert (expired.status_code, expired.json()) == (200, {"expired": 1})
    assert api.get(f"/api/v1/bookings/{booking['id']}").json()["status"] == "expired"
    assert api.delete(f"/api/v1/bookings/{booking['id']}").status_code == 204
    assert api.delete(f"/api/v1/clients/{client_id}").status_code == 204


def test_booking_input_errors(api: TestClient[Any]) -> None:
    client_id = create(api, "/api/v1/clients", {"firstName": "A"})["id"]
    good = {"clientId": client_id, "beforeDate": TOMORROW, "employeeId": 1}
    assert details(api.post("/api/v1/bookings", json={**good, "beforeDate": "2026-03-01T00:00:00Z"})) == [
        "beforeDate"
    ]
    assert details(api.post("/api/v1/bookings", json={"clientId": client_id, "beforeDate": TOMORROW})) == [
        "departmentId"
    ]
    assert details(api.post("/api/v1/bookings", json={**good, "clientId": 999})) == ["clientId"]
    assert details(api.post("/api/v1/bookings", json={**good, "departmentId": 999})) == ["departmentId"]
    assert details(api.post("/api/v1/bookings", json={**good, "beforeDate": "soon"})) == ["beforeDate"]
    assert api.post("/api/v1/bookings", json={**good, "status": "booked"}).status_code == 400
    booking = create(api, "/api/v1/bookings", good)
    assert details(api.patch(f"/api/v1/bookings/{booking['id']}", json={"status": "expired"})) == ["status"]
    assert details(api.patch(f"/api/v1/bookings/{booking['id']}", json={"status": "lost"})) == ["status"]
    assert api.get("/api/v1/bookings/999").status_code == 404
    assert api.post("/api/v1/bookings/999/release").status_code == 404


def test_a_client_booked_by_one_employee_is_unavailable_to_another(api: TestClient[Any]) -> None:
    client_id = create(api, "/api/v1/clients", {"firstName": "A"})["id"]
    other_id, other = employee(api, "other", "manage_clients")
    assert api.get(f"/api/v1/clients/{client_id}/availability").json() == {
        "clientId": client_id,
        "available": True,
        "reasons": [],
    }
    create(api, "/api/v1/bookings", {"clientId": client_id, "beforeDate": TOMORROW, "employeeId": other_id})
    mine = api.get(f"/api/v1/clients/{client_id}/availability", headers=other).json()
    assert mine["available"] is True
    theirs = api.get(f"/api/v1/clients/{client_id}/availability").json()
    assert theirs["available"] is False
    assert theirs["reasons"] == [f"booked by employee {other_id} until 2026-03-03T09:00:00+00:00 (booking 1)"]
    on_behalf = api.get(f"/api/v1/clients/{client_id}/availability", params={"employeeId": other_id})
    assert on_behalf.json()["available"] is True
    taken = api.post(
        "/api/v1/bookings", json={"clientId": client_id, "beforeDate": NEXT_WEEK, "employeeId": 1}
    )
    assert taken.status_code == 409
    assert f"booked by employee {other_id}" in taken.json()["error"]["message"]
    assert api.get("/api/v1/clients/999/availability").status_code == 404


# -- access --------------------------------------------------------------------------------

WRITES = [
    ("POST", "/api/v1/projects", {"name": "P", "code": "p"}),
    ("PATCH", "/api/v1/projects/1", {"name": "P"}),
    ("PUT", "/api/v1/projects/1", {"name": "P"}),
    ("DELETE", "/api/v1/projects/1", None),
    ("POST", "/api/v1/clients", {"firstName": "A"}),
    ("PATCH", "/api/v1/clients/1", {"firstName": "A"}),
    ("PUT", "/api/v1/clients/1", {"firstName": "A"}),
    ("DELETE", "/api/v1/clients/1", None),
    ("POST", "/api/v1/client-groups", {"name": "G"}),
    ("PATCH", "/api/v1/client-groups/1", {"name": "G"}),
    ("PUT", "/api/v1/client-groups/1", {"name": "G"}),
    ("DELETE", "/api/v1/client-groups/1", None),
    ("POST", "/api/v1/client-groups/1/members", {"clientIds": [1]}),
    ("DELETE", "/api/v1/client-groups/1/members", {"clientIds": [1]}),
    ("POST", "/api/v1/channel-blocks", {"clientId": 1, "channelId": 1}),
    ("PATCH", "/api/v1/channel-blocks/1", {"reason": "r"}),
    ("PUT", "/api/v1/channel-blocks/1", {"reason": "r"}),
    ("DELETE", "/api/v1/channel-blocks/1", None),
    ("POST", "/api/v1/bookings", {"clientId": 1, "beforeDate": TOMORROW, "employeeId": 1}),
    ("PATCH", "/api/v1/bookings/1", {"name": "B"}),
    ("PUT", "/api/v1/bookings/1", {"name": "B"}),
    ("DELETE", "/api/v1/bookings/1", None),
    ("POST", "/api/v1/bookings/1/release", None),
    ("POST", "/api/v1/bookings/expire-due", None),
]

READS = [
    "/api/v1/projects",
    "/api/v1/projects/1",
    "/api/v1/clients",
    "/api/v1/clients/1",
    "/api/v1/clients/1/groups",
    "/api/v1/clients/1/availability",
    "/api/v1/client-groups",
    "/api/v1/client-groups/1",
    "/api/v1/client-groups/1/members",
    "/api/v1/channel-blocks",
    "/api/v1/channel-blocks/1",
    "/api/v1/bookings",
    "/api/v1/bookings/1",
]


@pytest.fixture
def world(api: TestClient[Any]) -> TestClient[Any]:
    """One of everything, so that a refused write is refused for its permission, not a missing id."""
    create(api, "/api/v1/projects", {"name": "P", "code": "p"})
    create(api, "/api/v1/clients", {"firstName": "A"})
    create(api, "/api/v1/client-groups", {"name": "G"})
    create(api, "/api/v1/channel-blocks", {"clientId": 1, "channelId": channel_id(api)})
    create(api, "/api/v1/bookings", {"clientId": 1, "beforeDate": TOMORROW, "employeeId": 1, "name": "B"})
    return api


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_writes_need_manage_clients(
    world: TestClient[Any], method: str, path: str, body: dict[str, Any] | None
) -> None:
    headers = reader(world)
    response = world.request(method, path, json=body, headers=headers)
    assert response.status_code == 403, response.text
    assert response.json()["error"]["permission"] == "manage_clients"
    assert "manage_clients" in response.json()["error"]["message"]


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_writes_need_credentials(
    world: TestClient[Any], method: str, path: str, body: dict[str, Any] | None
) -> None:
    assert world.request(method, path, json=body, headers={"Authorization": ""}).status_code == 401
    wrong = world.request(method, path, json=body, headers=basic("Admin", "wrong"))
    assert wrong.status_code == 401
    assert wrong.json()["error"]["status"] == 401


@pytest.mark.parametrize("path", READS)
def test_reads_need_credentials_but_no_permission(world: TestClient[Any], path: str) -> None:
    headers = reader(world)
    assert world.get(path, headers=headers).status_code == 200
    assert world.get(path, headers={"Authorization": ""}).status_code == 401


def test_manage_clients_alone_is_enough_to_write(api: TestClient[Any]) -> None:
    _, manager = employee(api, "manager", "manage_clients")
    assert api.post("/api/v1/clients", json={"firstName": "A"}, headers=manager).status_code == 201
    assert api.post("/api/v1/companies", json={"name": "X", "code": "x"}, headers=manager).status_code == 403
