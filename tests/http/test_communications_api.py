"""The canonical communication routes (/api/v1/communications): CRUD, actions, lists, history, bulk."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from tests.http.conftest import basic, create

BASE = "/api/v1/communications"
SMS, CALL = 1, 6  # default channels, in seeding order: sms, messenger, email, push, social, call, visit…
MASS, PERSONAL = 1, 2  # default communication types


def organisation(client: TestClient[Any]) -> dict[str, int]:
    """A company with two departments, an employee in the first, two clients and a group of one."""
    company = create(client, "/api/v1/companies", {"name": "Rolf", "code": "rolf"})
    departments = [
        create(client, "/api/v1/departments", {"companyId": company["id"], "name": f"D{i}", "code": f"d{i}"})[
            "id"
        ]
        for i in range(2)
    ]
    employee = create(
        client,
        "/api/v1/employees",
        {
            "login": "manager",
            "password": "secret1",
            "firstName": "Ivan",
            "lastName": "Petrov",
            "departmentId": departments[0],
        },
    )
    clients = [create(client, "/api/v1/clients", {"firstName": f"Client{i}"})["id"] for i in range(2)]
    group = create(client, "/api/v1/client-groups", {"name": "VIP"})["id"]
    added = client.post(f"/api/v1/client-groups/{group}/members", json={"clientIds": [clients[0]]})
    assert added.status_code == 200, added.text
    return {
        "department": departments[0],
        "other_department": departments[1],
        "employee": employee["id"],
        "client": clients[0],
        "other_client": clients[1],
        "group": group,
    }


def sender(client: TestClient[Any], *, type_ids: list[int], channel_ids: list[int]) -> dict[str, str]:
    """Credentials of a service account that may send only these types on these channels."""
    role = create(
        client,
        "/api/v1/roles",
        {
            "name": "Narrow sender",
            "permissions": [
                {
                    "permission": "send_communications",
                    "communicationTypeIds": type_ids,
                    "channelIds": channel_ids,
                }
            ],
        },
    )
    create(
        client,
        "/api/v1/service-accounts",
        {"name": "CRM", "login": "crm", "password": "secret1", "roleIds": [role["id"]]},
    )
    return basic("crm", "secret1")


def reader(client: TestClient[Any]) -> dict[str, str]:
    role = create(
        client, "/api/v1/roles", {"name": "Reader", "permissions": [{"permission": "read_statistics"}]}
    )
    create(
        client,
        "/api/v1/service-accounts",
        {"name": "BI", "login": "bi", "password": "secret1", "roleIds": [role["id"]]},
    )
    return basic("bi", "secret1")


def record(client: TestClient[Any], path: str = BASE, **fields: Any) -> dict[str, Any]:
    body = {
        "kind": "planned",
        "direction": "outbound",
        "communicationTypeId": MASS,
        "channelId": SMS,
        **fields,
    }
    return create(client, path, body)


@pytest.fixture
def org(client: TestClient[Any]) -> dict[str, int]:
    return organisation(client)


# --- create and read ------------------------------------------------------------------------


def test_create_answers_the_full_model_and_get_finds_it_by_id_and_uuid(
    client: TestClient[Any], org: dict[str, int]
) -> None:
    created = record(client, clientId=org["client"], subject="ТО", scheduledAt="2026-03-05T10:00:00+03:00")
    assert created["status"] == "created" and created["kind"] == "planned"
    assert created["scheduledAt"] == "2026-03-05T07:00:00.000+00:00"
    assert created["employeeId"] == 1  # the calling employee (Admin) is the sender
    assert (created["dateStart"], created["dateFinish"], created["isCancelled"], created["isFailed"]) == (
        None,
        None,
        False,
        False,
    )
    assert created["externalIds"] == []
    by_id = client.get(f"{BASE}/{created['id']}").json()
    by_uuid = client.get(f"{BASE}/{created['uuid'].upper()}").json()
    assert by_id == by_uuid == created


def test_a_fact_call_is_in_progress_from_the_start(client: TestClient[Any], org: dict[str, int]) -> None:
    call = record(client, kind="fact", direction="inbound", channelId=CALL, clientId=org["client"])
    assert call["status"] == "in_progress" and call["dateStart"] == call["createTime"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "sometimes"}, "kind"),
        ({"direction": None}, "direction"),
        ({"communicationTypeId": 0}, "communicationTypeId"),
        ({"channelId": "sms"}, "channelId"),
        ({"clientId": 2**40}, "clientId"),
        ({"scheduledAt": "tomorrow"}, "scheduledAt"),
        ({"uuid": "x"}, "uuid"),
        ({"status": "done"}, "status"),
    ],
)
def test_bad_create_bodies_name_the_field(client: TestClient[Any], body: dict[str, Any], field: str) -> None:
    full = {"kind": "planned", "direction": "outbound", "communicationTypeId": MASS, "channelId": SMS, **body}
    response = client.post(BASE, json=full)
    assert response.status_code == 400, response.text
    assert field in [d["field"] for d in response.json()["error"]["details"]]


def test_references_must_exist(client: TestClient[Any]) -> None:
    response = client.post(
        BASE,
        json={
            "kind": "fact",
            "direction": "inbound",
            "communicationTypeId": 99,
            "channelId": SMS,
            "clientId": 98,
        },
    )
    assert response.status_code == 400
    assert {d["field"] for d in response.json()["error"]["details"]} == {"communicationTypeId", "clientId"}


def test_a_repeated_uuid_is_a_conflict(client: TestClient[Any]) -> None:
    uuid = "6f1c2a7e-3b4d-4e5f-8a9b-0c1d2e3f4a5b"
    record(client, uuid=uuid)
    again = client.post(
        BASE,
        json={
            "kind": "planned",
            "direction": "outbound",
            "communicationTypeId": 1,
            "channelId": 1,
            "uuid": uuid,
        },
    )
    assert again.status_code == 409


def test_unknown_communications_answer_404_and_malformed_keys_400(client: TestClient[Any]) -> None:
    assert client.get(f"{BASE}/999").status_code == 404
    assert client.get(f"{BASE}/99999999999999999999999").status_code == 400
    assert client.get(f"{BASE}/0d7c3f6e-2b1a-4c5d-9e8f-7a6b5c4d3e2f").status_code == 404
    assert client.get(f"{BASE}/nonsense").status_code == 400
    assert client.post(f"{BASE}/999/start").status_code == 404


def test_reading_needs_a_login_and_writing_the_send_grant(
    client: TestClient[Any], org: dict[str, int]
) -> None:
    created = record(client)
    assert client.get(BASE, headers={"Authorization": ""}).status_code == 401
    assert client.post(BASE, json={}, headers=basic("Admin", "wrong")).status_code == 401
    bi = reader(client)
    assert client.get(f"{BASE}/{created['id']}", headers=bi).status_code == 200
    refused = client.post(
        BASE,
        headers=bi,
        json={"kind": "planned", "direction": "outbound", "communicationTypeId": MASS, "channelId": SMS},
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["permission"] == "send_communications"
    assert client.post(f"{BASE}/{created['id']}/start", headers=bi).status_code == 403
    assert client.delete(f"{BASE}/{created['id']}", headers=bi).status_code == 403


def test_the_send_grant_is_per_type_and_channel(client: TestClient[Any]) -> None:
    crm = sender(client, type_ids=[MASS], channel_ids=[SMS])
    body = {"kind": "planned", "direction": "outbound", "communicationTypeId": MASS, "channelId": SMS}
    mine = client.post(BASE, json=body, headers=crm)
    assert mine.status_code == 201 and mine.json()["employeeId"] is None
    assert client.post(BASE, json={**body, "channelId": CALL}, headers=crm).status_code == 403
    assert client.post(BASE, json={**body, "communicationTypeId": PERSONAL}, headers=crm).status_code == 403
    moved = client.patch(f"{BASE}/{mine.json()['id']}", json={"channelId": CALL}, headers=crm)
    assert moved.status_code == 403
    others = record(client, channelId=CALL)
    assert client.post(f"{BASE}/{others['id']}/cancel", headers=crm).status_code == 403


# --- actions --------------------------------------------------------------------------------


def test_start_close_and_the_history(client: TestClient[Any]) -> None:
    created = record(client)
    started = client.post(f"{BASE}/{created['id']}/start")
    assert started.status_code == 200 and started.json()["status"] == "in_progress"
    closed = client.post(f"{BASE}/{created['uuid']}/close", json={"result": "Записан на ТО"})
    assert closed.status_code == 200
    assert (closed.json()["status"], closed.json()["result"]) == ("done", "Записан на ТО")
    assert closed.json()["dateFinish"] is not None
    history = client.get(f"{BASE}/{created['id']}/history").json()
    assert history["uuid"] == created["uuid"]
    assert [(h["field"], h["from"], h["to"], h["actor"]) for h in history["items"]] == [
        ("status", None, "created", "employee:1"),
        ("status", "created", "in_progress", "employee:1"),
        ("status", "in_progress", "done", "employee:1"),
    ]
    assert client.get(f"{BASE}/999/history").status_code == 404


def test_an_illegal_move_is_a_409_naming_both_statuses(client: TestClient[Any]) -> None:
    fact = record(client, kind="fact")
    refused = client.post(f"{BASE}/{fact['id']}/cancel")
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert (error["currentStatus"], error["requestedStatus"]) == ("in_progress", "cancelled")
    assert "'in_progress'" in error["message"] and "'cancelled'" in error["message"]
    assert client.post(f"{BASE}/{fact['id']}/start").status_code == 409


def test_fail_needs_a_reason_and_cancel_takes_an_optional_one(client: TestClient[Any]) -> None:
    first, second = record(client), record(client)
    assert client.post(f"{BASE}/{first['id']}/fail").status_code == 400
    assert client.post(f"{BASE}/{first['id']}/fail", json={"reason": ""}).status_code == 400
    failed = client.post(f"{BASE}/{first['id']}/fail", json={"reason": "не дозвонились"})
    assert failed.status_code == 200
    assert (failed.json()["isFailed"], failed.json()["failureReason"]) == (True, "не дозвонились")
    cancelled = client.post(f"{BASE}/{second['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["isCancelled"] is True
    assert client.post(f"{BASE}/{second['id']}/close", json={"extra": 1}).status_code == 400


def test_patch_changes_given_fields_and_refuses_the_rest(
    client: TestClient[Any], org: dict[str, int]
) -> None:
    created = record(client)
    changed = client.patch(f"{BASE}/{created['id']}", json={"clientId": org["client"], "subject": "Новый"})
    assert changed.status_code == 200
    assert (changed.json()["clientId"], changed.json()["subject"]) == (org["client"], "Новый")
    assert client.patch(f"{BASE}/{created['id']}", json={"status": "done"}).status_code == 400
    assert client.patch(f"{BASE}/{created['id']}", json={"channelId": None}).status_code == 400
    assert client.patch(f"{BASE}/{created['id']}", json={"clientId": 999}).status_code == 400
    history = client.get(f"{BASE}/{created['id']}/history").json()["items"]
    assert (history[-1]["field"], history[-1]["note"]) == ("edit", "client_id, subject")
    client.post(f"{BASE}/{created['id']}/cancel")
    frozen = client.patch(f"{BASE}/{created['id']}", json={"subject": "late"})
    assert frozen.status_code == 409


def test_delete_removes_it_and_answers_204(client: TestClient[Any]) -> None:
    created = record(client)
    assert client.delete(f"{BASE}/{created['uuid']}").status_code == 204
    assert client.get(f"{BASE}/{created['id']}").status_code == 404
    assert client.delete(f"{BASE}/{created['id']}").status_code == 404


def test_what_communications_refer_to_cannot_be_deleted(client: TestClient[Any], org: dict[str, int]) -> None:
    record(client, employeeId=org["employee"], departmentId=org["other_department"])
    refused = client.delete(f"/api/v1/employees/{org['employee']}")
    assert refused.status_code == 409
    assert refused.json()["error"]["references"] == {"communications": 1}
    assert client.delete(f"/api/v1/departments/{org['other_department']}").status_code == 409


def test_clients_projects_documents_types_and_channels_in_use_cannot_be_deleted(
    client: TestClient[Any], org: dict[str, int]
) -> None:
    kind = create(client, "/api/v1/communication-types", {"name": "Reminder", "code": "reminder"})["id"]
    channel = create(client, "/api/v1/channels", {"name": "Viber", "code": "viber", "kind": "messenger"})[
        "id"
    ]
    document = create(client, "/api/v1/documents", {"name": "Greeting", "body": "Hello"})["id"]
    project = create(client, "/api/v1/projects", {"name": "OCM", "code": "ocm"})["id"]
    created = record(
        client,
        communicationTypeId=kind,
        channelId=channel,
        documentId=document,
        projectId=project,
        clientId=org["client"],
    )
    paths = [
        f"/api/v1/communication-types/{kind}",
        f"/api/v1/channels/{channel}",
        f"/api/v1/documents/{document}",
        f"/api/v1/projects/{project}",
        f"/api/v1/clients/{org['client']}",
    ]
    for path in paths:
        refused = client.delete(path)
        assert refused.status_code == 409, (path, refused.text)
        assert refused.json()["error"]["references"]["communications"] == 1
    assert client.delete(f"{BASE}/{created['id']}").status_code == 204
    for path in paths:
        assert client.delete(path).status_code == 204, path


# --- lists ----------------------------------------------------------------------------------


@pytest.fixture
def recorded(client: TestClient[Any], org: dict[str, int]) -> list[dict[str, Any]]:
    made = [
        record(client, kind="fact", clientId=org["client"], channelId=CALL),
        record(client, clientId=org["other_client"], departmentId=org["other_department"]),
        record(client, clientId=org["client"], communicationTypeId=PERSONAL, direction="inbound"),
        record(client),
    ]
    client.post(f"{BASE}/{made[0]['id']}/close", json={"result": "Клиент записан"})
    client.post(f"{BASE}/{made[1]['id']}/cancel")
    return made


def _ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def test_list_filters_combine(
    client: TestClient[Any], org: dict[str, int], recorded: list[dict[str, Any]]
) -> None:
    ids = [c["id"] for c in recorded]
    assert _ids(client.get(BASE)) == list(reversed(ids))  # newest first; same time, so by id
    assert _ids(client.get(BASE, params={"clientId": org["client"]})) == [ids[2], ids[0]]
    assert _ids(client.get(BASE, params={"clientGroupId": org["group"]})) == [ids[2], ids[0]]
    assert _ids(client.get(BASE, params={"status": ["done", "cancelled"]})) == [ids[1], ids[0]]
    assert _ids(client.get(BASE, params={"channelId": CALL})) == [ids[0]]
    assert _ids(client.get(BASE, params={"communicationTypeId": [PERSONAL], "direction": "inbound"})) == [
        ids[2]
    ]
    assert _ids(client.get(BASE, params={"departmentId": org["other_department"]})) == [ids[1]]
    assert _ids(client.get(BASE, params={"kind": "fact", "q": "ЗАПИСАН"})) == [ids[0]]
    assert _ids(client.get(BASE, params={"uuid": [recorded[3]["uuid"]]})) == [ids[3]]
    created = recorded[0]["createTime"]
    assert _ids(client.get(BASE, params={"to": created})) == []
    assert len(_ids(client.get(BASE, params={"from": created}))) == 4
    page = client.get(BASE, params={"limit": 2, "offset": 1, "sort": "id"}).json()
    assert ([i["id"] for i in page["items"]], page["total"], page["limit"], page["offset"]) == (
        ids[1:3],
        4,
        2,
        1,
    )


def test_a_cursor_walks_every_page(client: TestClient[Any], recorded: list[dict[str, Any]]) -> None:
    seen: list[int] = []
    params: dict[str, Any] = {"limit": 3, "withTotal": "false"}
    while True:
        page = client.get(BASE, params=params).json()
        assert page["total"] is None
        seen += [item["id"] for item in page["items"]]
        if page["nextCursor"] is None:
            break
        params["cursor"] = page["nextCursor"]
    assert seen == [c["id"] for c in reversed(recorded)]


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 1001},
        {"offset": -1},
        {"sort": "clientId"},
        {"status": "maybe"},
        {"from": "yesterday"},
        {"clientId": 0},
        {"cursor": "nonsense"},
        {"uuid": "x"},
        {"from": "2026-03-02T10:00:00Z", "to": "2026-03-02T09:00:00Z"},
        {"channelId": 2**40},
    ],
)
def test_bad_list_parameters_are_400(client: TestClient[Any], params: dict[str, Any]) -> None:
    response = client.get(BASE, params=params)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["status"] == 400


# --- bulk -----------------------------------------------------------------------------------


def test_bulk_status_answers_what_changed_and_what_was_refused(
    client: TestClient[Any], org: dict[str, int]
) -> None:
    planned = record(client, departmentId=org["department"])
    fact = record(client, kind="fact", departmentId=org["department"])
    elsewhere = record(client, departmentId=org["other_department"])
    response = client.post(
        f"{BASE}/bulk-status",
        json={"status": "cancelled", "departmentId": org["department"], "reason": "акция отменена"},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "matched": 2,
        "changed": 1,
        "unchanged": 0,
        "refused": [
            {
                "id": fact["id"],
                "uuid": fact["uuid"],
                "status": "in_progress",
                "reason": "communication: cannot move from 'in_progress' to 'cancelled'",
            }
        ],
    }
    assert client.get(f"{BASE}/{planned['id']}").json()["status"] == "cancelled"
    assert client.get(f"{BASE}/{elsewhere['id']}").json()["status"] == "created"


def test_bulk_status_by_client_group_uuid_and_all(client: TestClient[Any], org: dict[str, int]) -> None:
    a = record(client, clientId=org["client"])
    b = record(client, clientId=org["other_client"])
    group = client.post(f"{BASE}/bulk-status", json={"status": "in_progress", "clientGroupId": org["group"]})
    assert group.json()["changed"] == 1
    one = client.post(f"{BASE}/bulk-status", json={"status": "done", "uuid": b["uuid"], "result": "ok"})
    assert one.json()["changed"] == 1
    by_client = client.post(f"{BASE}/bulk-status", json={"status": "done", "clientId": org["client"]})
    assert by_client.json()["changed"] == 1
    everything = client.post(f"{BASE}/bulk-status", json={"status": "done", "all": True})
    assert (everything.json()["matched"], everything.json()["unchanged"]) == (2, 2)
    assert client.get(f"{BASE}/{a['id']}").json()["status"] == "done"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"status": "done"}, 400),
        ({"status": "done", "clientId": 1, "departmentId": 1}, 400),
        ({"status": "done", "communicationId": 1, "uuid": "0d7c3f6e-2b1a-4c5d-9e8f-7a6b5c4d3e2f"}, 400),
        ({"status": "created", "all": True}, 400),
        ({"status": "finished", "all": True}, 400),
        ({"status": "done", "clientGroupId": 999}, 404),
        ({"status": "done", "communicationId": 999}, 404),
    ],
)
def test_bad_bulk_requests(client: TestClient[Any], body: dict[str, Any], status: int) -> None:
    assert client.post(f"{BASE}/bulk-status", json=body).status_code == status


def test_bulk_refuses_per_communication_what_the_caller_may_not_send(client: TestClient[Any]) -> None:
    crm = sender(client, type_ids=[], channel_ids=[SMS])
    mine = record(client)
    call = record(client, channelId=CALL)
    outcome = client.post(
        f"{BASE}/bulk-status", json={"status": "cancelled", "all": True}, headers=crm
    ).json()
    assert outcome["changed"] == 1
    assert [(r["id"], "send_communications" in r["reason"]) for r in outcome["refused"]] == [
        (call["id"], True)
    ]
    assert client.get(f"{BASE}/{mine['id']}").json()["status"] == "cancelled"
