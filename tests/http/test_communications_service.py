"""Seed 002's routes exactly as it names them, on memory storage and (one flow) on SQL."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from tests.http.conftest import create
from tests.http.test_communications_api import CALL, MASS, SMS, organisation, reader, sender

V2 = "/v2/communications"
UNKNOWN = "0d7c3f6e-2b1a-4c5d-9e8f-7a6b5c4d3e2f"


def record(client: TestClient[Any], **fields: Any) -> dict[str, Any]:
    body = {
        "kind": "planned",
        "direction": "outbound",
        "communicationTypeId": MASS,
        "channelId": SMS,
        **fields,
    }
    return create(client, V2, body)


def test_the_seed_002_flow_create_read_change_close(client: TestClient[Any]) -> None:
    org = organisation(client)
    created = record(client, clientId=org["client"], employeeId=org["employee"], subject="Запись на ТО")
    uuid = created["uuid"]
    full = client.get(f"{V2}/{uuid}")
    assert full.status_code == 200 and full.json() == created
    short = client.get(f"{V2}/{uuid}", params={"model": "short"}).json()
    assert short == {
        "id": created["id"],
        "uuid": uuid,
        "kind": "planned",
        "direction": "outbound",
        "status": "created",
        "communicationTypeId": MASS,
        "channelId": SMS,
        "clientId": org["client"],
        "createTime": created["createTime"],
    }
    info = client.get(f"{V2}/{uuid}/primary-info").json()
    assert (info["status"], info["statusName"]) == ("created", "Создана")
    assert (info["type"]["code"], info["method"]["code"], info["method"]["name"]) == ("mass", "sms", "SMS")
    assert info["client"] == {"id": org["client"], "code": None, "name": "Client0"}
    assert info["employee"]["name"] == "Petrov Ivan" and info["employee"]["code"] == "manager"
    changed = client.patch(f"{V2}/{uuid}", json={"scheduledAt": "2026-03-05T10:00:00Z", "subject": "ТО-2"})
    assert changed.status_code == 200 and changed.json()["scheduledAt"] == "2026-03-05T10:00:00.000+00:00"
    closed = client.patch(f"{V2}/{uuid}/close", json={"result": "Клиент приехал"})
    assert closed.status_code == 200
    assert (closed.json()["status"], closed.json()["result"]) == ("done", "Клиент приехал")
    assert client.get(f"{V2}/{uuid}/primary-info").json()["statusName"] == "Выполнена"
    assert client.delete(f"{V2}/{uuid}").status_code == 204
    assert client.get(f"{V2}/{uuid}").status_code == 404


def test_close_without_a_body_failed_with_a_reason_and_cancel(client: TestClient[Any]) -> None:
    call = record(client, kind="fact", direction="inbound", channelId=CALL)
    assert client.patch(f"{V2}/{call['uuid']}/close").json()["dateFinish"] is not None
    planned, other = record(client), record(client)
    assert client.patch(f"{V2}/{planned['uuid']}/failed", json={}).status_code == 400
    failed = client.patch(f"{V2}/{planned['uuid']}/failed", json={"reason": "Звонили 3 раза"})
    assert failed.status_code == 200 and failed.json()["isFailed"] is True
    cancelled = client.post(f"{V2}/{other['uuid']}/cancel", json={"reason": "Клиент отказался"})
    assert cancelled.status_code == 200 and cancelled.json()["isCancelled"] is True


def test_illegal_moves_answer_409_with_both_statuses(client: TestClient[Any]) -> None:
    fact = record(client, kind="fact")
    cancel = client.post(f"{V2}/{fact['uuid']}/cancel")
    assert cancel.status_code == 409
    assert cancel.json()["error"]["currentStatus"] == "in_progress"
    assert cancel.json()["error"]["requestedStatus"] == "cancelled"
    client.patch(f"{V2}/{fact['uuid']}/failed", json={"reason": "сорвался"})
    again = client.patch(f"{V2}/{fact['uuid']}/close")
    assert again.status_code == 409
    assert (again.json()["error"]["currentStatus"], again.json()["error"]["requestedStatus"]) == (
        "failed",
        "done",
    )


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("GET", "", None),
        ("GET", "/primary-info", None),
        ("PATCH", "", {"subject": "x"}),
        ("PATCH", "/close", None),
        ("PATCH", "/failed", {"reason": "x"}),
        ("POST", "/cancel", None),
        ("DELETE", "", None),
    ],
)
def test_every_uuid_route_answers_404_for_an_unknown_and_400_for_a_malformed_uuid(
    client: TestClient[Any], method: str, suffix: str, body: Any
) -> None:
    unknown = client.request(method, f"{V2}/{UNKNOWN}{suffix}", json=body)
    assert unknown.status_code == 404, unknown.text
    malformed = client.request(method, f"{V2}/not-a-uuid{suffix}", json=body)
    assert malformed.status_code == 400, malformed.text
    assert malformed.json()["error"]["details"][0]["field"] == "uuid"
    assert (
        client.request(
            method, f"{V2}/{UNKNOWN}{suffix}", json=body, headers={"Authorization": ""}
        ).status_code
        == 401
    )


def test_writes_need_the_send_grant_reads_a_login(client: TestClient[Any]) -> None:
    bi = reader(client)
    created = record(client)
    uuid = created["uuid"]
    assert client.get(f"{V2}/{uuid}", headers=bi).status_code == 200
    assert client.get(f"{V2}/{uuid}/primary-info", headers=bi).status_code == 200
    assert client.get("/v3/communications", headers=bi).status_code == 200
    body = {"kind": "planned", "direction": "outbound", "communicationTypeId": MASS, "channelId": SMS}
    for method, path, payload in [
        ("POST", V2, body),
        ("PATCH", f"{V2}/{uuid}", {"subject": "x"}),
        ("PATCH", f"{V2}/{uuid}/close", None),
        ("PATCH", f"{V2}/{uuid}/failed", {"reason": "x"}),
        ("POST", f"{V2}/{uuid}/cancel", None),
        ("DELETE", f"{V2}/{uuid}", None),
        ("POST", "/v1/communications/id-translations", {"uuid": uuid, "system": "oracle", "externalId": "1"}),
    ]:
        response = client.request(method, path, json=payload, headers=bi)
        assert response.status_code == 403, (method, path, response.text)
    assert client.get(f"{V2}/{uuid}").json()["status"] == "created"


def test_v3_lists_take_filters_as_query_parameters(client: TestClient[Any]) -> None:
    org = organisation(client)
    a = record(client, clientId=org["client"])
    b = record(client, clientId=org["other_client"], kind="fact", channelId=CALL)
    c = record(client, clientId=org["client"], departmentId=org["other_department"])
    client.post(f"{V2}/{c['uuid']}/cancel")

    def ids(**params: Any) -> list[int]:
        response = client.get("/v3/communications", params=params)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert ids() == [c["id"], b["id"], a["id"]]
    assert ids(clientId=org["client"], status="created") == [a["id"]]
    assert ids(kind="fact", channelId=CALL) == [b["id"]]
    assert ids(clientGroupId=org["group"], departmentId=org["other_department"]) == [c["id"]]
    assert ids(sort="createTime") == [a["id"], b["id"], c["id"]]
    assert client.get("/v3/communications", params={"kind": "future"}).status_code == 400


def test_collections_take_the_same_filters_and_uuids_in_the_body(client: TestClient[Any]) -> None:
    org = organisation(client)
    a = record(client, clientId=org["client"])
    b = record(client, clientId=org["client"], kind="fact")
    c = record(client, clientId=org["other_client"])

    def ids(body: dict[str, Any]) -> list[int]:
        response = client.post("/v3/collections/communications", json=body)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert ids({}) == [c["id"], b["id"], a["id"]]
    assert ids({"uuids": [a["uuid"], c["uuid"]]}) == [c["id"], a["id"]]
    assert ids({"uuids": [a["uuid"], c["uuid"]], "clientId": org["client"]}) == [a["id"]]
    assert ids({"status": ["in_progress"], "channelId": [SMS], "sort": "id"}) == [b["id"]]
    assert ids({"clientGroupId": org["group"], "kind": "planned", "direction": "outbound"}) == [a["id"]]
    assert ids({"from": a["createTime"], "to": "2100-01-01T00:00:00Z", "limit": 1, "offset": 2}) == [a["id"]]
    page = client.post("/v3/collections/communications", json={"limit": 2, "withTotal": False}).json()
    rest = client.post(
        "/v3/collections/communications", json={"limit": 2, "cursor": page["nextCursor"]}
    ).json()
    assert [i["id"] for i in page["items"] + rest["items"]] == [c["id"], b["id"], a["id"]]
    assert rest["nextCursor"] is None and rest["total"] == 3
    for bad in ({"uuids": ["x"]}, {"status": ["later"]}, {"limit": 0}, {"unknown": 1}, {"clientId": "one"}):
        response = client.post("/v3/collections/communications", json=bad)
        assert response.status_code == 400, (bad, response.text)


def test_the_methods_dictionary_lists_every_channel_with_calls_and_visits(client: TestClient[Any]) -> None:
    response = client.get("/v2/dicts/communications-methods")
    assert response.status_code == 200
    methods = response.json()
    codes = [m["code"] for m in methods["items"]]
    assert {"sms", "email", "push", "messenger", "call", "visit", "website_request"} <= set(codes)
    assert methods["total"] == len(codes)
    call = next(m for m in methods["items"] if m["code"] == "call")
    assert (call["kind"], call["dispatchable"], call["active"]) == ("call", False, True)


def test_id_translations_link_and_look_up_both_ways(client: TestClient[Any]) -> None:
    a, b = record(client), record(client)
    path = "/v1/communications/id-translations"
    linked = client.post(path, json={"uuid": a["uuid"], "system": "oracle", "externalId": "1-ABC"})
    assert linked.status_code == 201, linked.text
    assert {k: linked.json()[k] for k in ("communicationId", "uuid", "system", "externalId")} == {
        "communicationId": a["id"],
        "uuid": a["uuid"],
        "system": "oracle",
        "externalId": "1-ABC",
    }
    assert create(client, path, {"communicationId": b["id"], "system": "oracle", "externalId": "1-ABD"})
    create(client, path, {"uuid": a["uuid"], "system": "flora", "externalId": "F-7"})

    found = client.get(path, params={"system": "oracle", "externalId": "1-ABD"}).json()
    assert [(t["uuid"], t["communicationId"]) for t in found["items"]] == [(b["uuid"], b["id"])]
    of_a = client.get(path, params={"uuid": a["uuid"]}).json()
    assert sorted((t["system"], t["externalId"]) for t in of_a["items"]) == [
        ("flora", "F-7"),
        ("oracle", "1-ABC"),
    ]
    assert client.get(path, params={"communicationId": b["id"]}).json()["total"] == 1
    assert client.get(f"{V2}/{a['uuid']}").json()["externalIds"] == [
        {"system": "flora", "externalId": "F-7"},
        {"system": "oracle", "externalId": "1-ABC"},
    ]

    taken = client.post(path, json={"uuid": b["uuid"], "system": "oracle", "externalId": "1-ABC"})
    assert taken.status_code == 409 and a["uuid"] in taken.json()["error"]["message"]
    second = client.post(path, json={"uuid": a["uuid"], "system": "oracle", "externalId": "2"})
    assert second.status_code == 409
    for bad in (
        {"system": "oracle", "externalId": "x"},
        {"uuid": a["uuid"], "communicationId": a["id"], "system": "oracle", "externalId": "x"},
        {"uuid": a["uuid"], "system": "", "externalId": "x"},
        {"uuid": a["uuid"], "system": " oracle", "externalId": "x"},
    ):
        assert client.post(path, json=bad).status_code == 400, bad
    assert client.post(path, json={"uuid": UNKNOWN, "system": "s", "externalId": "x"}).status_code == 404
    assert client.get(path, params={"externalId": "1-ABC"}).status_code == 400
    assert client.get(path, params={"uuid": UNKNOWN}).status_code == 404
    assert client.get(path, params={"uuid": "bad"}).status_code == 400


def test_a_narrow_sender_works_its_own_communications_through_v2(client: TestClient[Any]) -> None:
    crm = sender(client, type_ids=[MASS], channel_ids=[SMS])
    body = {"kind": "planned", "direction": "outbound", "communicationTypeId": MASS, "channelId": SMS}
    created = client.post(V2, json=body, headers=crm)
    assert created.status_code == 201
    uuid = created.json()["uuid"]
    assert client.patch(f"{V2}/{uuid}", json={"channelId": CALL}, headers=crm).status_code == 403
    assert client.patch(f"{V2}/{uuid}/close", headers=crm).status_code == 200
    history = client.get(f"/api/v1/communications/{uuid}/history").json()["items"]
    crm_id = client.get("/api/v1/service-accounts/crm").json()["id"]
    assert [h["actor"] for h in history] == [f"service_account:{crm_id}"] * 2


def test_the_seed_002_flow_on_sql_storage(sql_client: TestClient[Any]) -> None:
    client = sql_client
    org = organisation(client)
    a = record(client, clientId=org["client"], departmentId=org["department"])
    b = record(client, kind="fact", clientId=org["client"], channelId=CALL)
    c = record(client, clientId=org["other_client"], departmentId=org["department"])
    assert client.get(f"{V2}/{a['uuid']}").json() == a
    assert client.patch(f"{V2}/{a['uuid']}", json={"subject": "ТО"}).json()["subject"] == "ТО"
    assert client.patch(f"{V2}/{b['uuid']}/close", json={"result": "ok"}).json()["status"] == "done"
    assert client.post(f"{V2}/{b['uuid']}/cancel").status_code == 409
    assert (
        client.patch(f"{V2}/{c['uuid']}/failed", json={"reason": "нет ответа"}).json()["status"] == "failed"
    )
    listed = client.get(
        "/v3/communications", params={"clientId": org["client"], "from": a["createTime"]}
    ).json()
    assert [i["id"] for i in listed["items"]] == [b["id"], a["id"]] and listed["total"] == 2
    by_group = client.post(
        "/v3/collections/communications", json={"clientGroupId": org["group"], "status": ["done"]}
    )
    assert [i["id"] for i in by_group.json()["items"]] == [b["id"]]
    path = "/v1/communications/id-translations"
    create(client, path, {"uuid": a["uuid"], "system": "oracle", "externalId": "42"})
    assert (
        client.post(path, json={"uuid": c["uuid"], "system": "oracle", "externalId": "42"}).status_code == 409
    )
    assert (
        client.get(path, params={"system": "oracle", "externalId": "42"}).json()["items"][0]["uuid"]
        == a["uuid"]
    )
    bulk = client.post(
        "/api/v1/communications/bulk-status",
        json={"status": "cancelled", "departmentId": org["department"], "reason": "закрыто"},
    ).json()
    assert (bulk["matched"], bulk["changed"], [r["id"] for r in bulk["refused"]]) == (2, 1, [c["id"]])
    history = client.get(f"/api/v1/communications/{a['id']}/history").json()["items"]
    assert [(h["field"], h["to"]) for h in history] == [
        ("status", "created"),
        ("edit", "created"),
        ("status", "cancelled"),
    ]
    refused = client.delete(f"/api/v1/clients/{org['client']}")
    assert refused.status_code == 409
    assert client.delete(f"{V2}/{a['uuid']}").status_code == 204
    assert client.get(path, params={"system": "oracle"}).json()["total"] == 0
