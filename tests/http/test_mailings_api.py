"""Mailings over HTTP: seed 001's POST /mailing/create and /api/v1/mailings (CRUD, actions, progress)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from adapters.security import Argon2PasswordHasher
from entrypoints.settings import Settings
from tests.http.conftest import basic, create, make_client
from tests.http.test_sends_api import EMAIL, MASS, SMS, a_client, department
from tests.http.test_unsubscribe_and_sandbox import wait_for

OK = {"status": 201, "message": "Ok"}


def mailer(client: TestClient[Any], department_id: int, login: str = "mailer") -> dict[str, str]:
    """An employee of the department who may send."""
    role = create(
        client,
        "/api/v1/roles",
        {"name": f"role of {login}", "permissions": [{"permission": "send_communications"}]},
    )
    body = {
        "login": login,
        "password": "secret1",
        "firstName": login,
        "lastName": login,
        "roleIds": [role["id"]],
        "departmentId": department_id,
    }
    create(client, "/api/v1/employees", body)
    return basic(login, "secret1")


def template(client: TestClient[Any]) -> int:
    body = {"name": "Offer", "kind": "text", "subject": "Offer", "body": "Hello {{ client.firstName }}"}
    return int(create(client, "/api/v1/documents", body)["id"])


def run_scheduler(client: TestClient[Any]) -> int:
    """One round of the worker's mailing job, on the app's own storage."""
    job = client.app.state.container.use_cases.mailing_scheduler()
    with client.portal() as portal:
        return int(portal.call(job.run_once))


def seed_mailing(**changes: Any) -> dict[str, Any]:
    return {
        "name": "SMSMailing",
        "project_id": "010",
        "template_id": 0,
        "status": 1,
        "channels": [SMS],
        "event": "2020-08-02",
        **changes,
    }


def errors(response: Any) -> list[str]:
    body = response.json()
    assert body["code"] == response.status_code == body["error"]["status"], response.text
    return [d["field"] for d in body["error"].get("details", [])]


# -- seed 001 -------------------------------------------------------------------------------------


def seed_flow(client: TestClient[Any]) -> None:
    department_id = department(client)
    headers = mailer(client, department_id)
    assert client.post("/project/create", json={"name": "OCM", "code": "010"}).status_code == 201
    project = client.get("/api/v1/projects/010").json()
    client.post(
        "/client/create",
        json={"project": "010", "guid": "g-1", "first_name": "Иван", "last_name": "И", "middle_name": "И"},
    )
    document_id = template(client)
    created = client.post("/mailing/create", json=seed_mailing(template_id=str(document_id)), headers=headers)
    assert (created.status_code, created.json()) == (201, OK)
    [mailing] = client.get("/api/v1/mailings").json()["items"]
    assert (mailing["name"], mailing["projectId"], mailing["documentId"], mailing["channels"]) == (
        "SMSMailing",
        project["id"],
        document_id,
        [SMS],
    )
    assert (mailing["status"], mailing["at"], mailing["nextRunAt"]) == (
        "scheduled",
        "2020-08-02T00:00:00.000+00:00",
        "2020-08-02T00:00:00.000+00:00",
    )
    assert mailing["departmentId"] == department_id and mailing["createdBy"].startswith("employee:")
    draft = client.post(
        "/mailing/create",
        json=seed_mailing(project_id=project["id"], template_id=document_id, status="0", channels=["1"]),
        headers=headers,
    )
    assert draft.status_code == 201
    assert client.get("/api/v1/mailings").json()["items"][1]["status"] == "draft"


def test_the_seed_request_on_memory(client: TestClient[Any]) -> None:
    seed_flow(client)


def test_the_seed_request_on_sql(sql_client: TestClient[Any]) -> None:
    seed_flow(sql_client)


def test_seed_errors_come_in_the_mailing_service_envelope_with_snake_case_fields(
    client: TestClient[Any],
) -> None:
    headers = mailer(client, department(client))
    client.post("/project/create", json={"name": "OCM", "code": "010"})
    document_id = template(client)
    missing = client.post("/mailing/create", json={"name": "x"}, headers=headers)
    assert missing.status_code == 400 and errors(missing)
    unknown = client.post("/mailing/create", json=seed_mailing(templateId=1), headers=headers)
    assert unknown.status_code == 400 and "templateId" in unknown.text
    bad_status = client.post(
        "/mailing/create", json=seed_mailing(template_id=document_id, status=7), headers=headers
    )
    assert (bad_status.status_code, errors(bad_status)) == (400, ["status"])
    bad_event = client.post(
        "/mailing/create", json=seed_mailing(template_id=document_id, event="2 Aug"), headers=headers
    )
    assert (bad_event.status_code, errors(bad_event)) == (400, ["event"])
    no_template = client.post("/mailing/create", json=seed_mailing(template_id=999), headers=headers)
    assert no_template.status_code == 404 and errors(no_template) == []
    no_project = client.post(
        "/mailing/create", json=seed_mailing(template_id=document_id, project_id="777"), headers=headers
    )
    assert no_project.status_code == 404
    no_department = client.post("/mailing/create", json=seed_mailing(template_id=document_id))  # Admin
    assert (no_department.status_code, errors(no_department)) == (400, ["department_id"])
    anonymous = client.post("/mailing/create", json=seed_mailing(), headers={"Authorization": ""})
    assert anonymous.status_code == 401 and anonymous.json()["code"] == 401


# -- /api/v1/mailings -----------------------------------------------------------------------------


def weekly(**changes: Any) -> dict[str, Any]:
    return {
        "name": "Monday news",
        "communicationTypeId": MASS,
        "channels": [EMAIL],
        "subject": "News",
        "text": "Hello, {{ client.firstName }}! {{ headline }}",
        "variables": {"headline": "We opened"},
        "cron": "0 9 * * 1",
        "timeZone": "Europe/Moscow",
        **changes,
    }


def test_crud_and_actions(client: TestClient[Any]) -> None:
    department_id = department(client)
    headers = mailer(client, department_id)
    ivan = a_client(client, email="ivan@example.com")
    created = client.post("/api/v1/mailings", json=weekly(clientIds=[ivan]), headers=headers)
    assert created.status_code == 201, created.text
    mailing = created.json()
    assert (mailing["status"], mailing["nextRunAt"], mailing["clientIds"]) == ("draft", None, [ivan])
    path = f"/api/v1/mailings/{mailing['id']}"
    assert client.get(path).json() == mailing

    started = client.post(f"{path}/start", headers=headers)
    assert started.status_code == 200
    # 2026-12-07 is a Monday; 09:00 in Moscow is 06:00 UTC.
    assert started.json()["status"] == "scheduled" and started.json()["nextRunAt"].endswith(
        "T06:00:00.000+00:00"
    )
    again = client.post(f"{path}/start", headers=headers)
    assert again.status_code == 409 and "scheduled" in again.json()["error"]["message"]
    assert client.post(f"{path}/pause").json()["status"] == "paused"
    assert client.post(f"{path}/resume").json()["status"] == "scheduled"

    replaced = client.put(path, json=weekly(name="Tuesday news", cron="0 9 * * 2", clientIds=[ivan]))
    assert replaced.status_code == 200, replaced.text
    assert (replaced.json()["name"], replaced.json()["status"], replaced.json()["cron"]) == (
        "Tuesday news",
        "scheduled",
        "0 9 * * 2",
    )
    listed = client.get("/api/v1/mailings", params={"limit": 10}).json()
    assert listed["total"] == 1 and [m["id"] for m in listed["items"]] == [mailing["id"]]

    assert client.post(f"{path}/cancel").json()["status"] == "cancelled"
    for action in ("start", "pause", "resume", "cancel"):
        refused = client.post(f"{path}/{action}")
        assert refused.status_code == 409 and refused.json()["code"] == 409
    assert client.delete(path).status_code == 204
    assert client.get(path).status_code == 404
    assert client.post(f"{path}/start").status_code == 404


def test_bad_input_is_a_400_naming_the_field(client: TestClient[Any]) -> None:
    headers = mailer(client, department(client))
    ivan = a_client(client, email="ivan@example.com")
    cases = [
        (weekly(clientIds=[ivan], cron="every monday"), ["cron"]),
        (weekly(clientIds=[ivan], timeZone="Mars/Base"), ["timeZone"]),
        (weekly(clientIds=[ivan], at="2026-12-01T10:00:00+03:00"), ["cron"]),
        (weekly(), ["audience"]),
        (weekly(clientIds=[ivan], groupId=3), ["audience"]),
        (weekly(clientIds=[ivan], channels=[]), ["channels"]),
        (weekly(clientIds=[ivan], channels=[999]), ["channels"]),
        (weekly(clientIds=[ivan], text=None), ["text"]),
        (weekly(clientIds=[ivan], at="2026-12-01T10:00:00"), ["at"]),
        (weekly(clientIds=[ivan], bogus=1), ["bogus"]),
        (weekly(clientIds=[ivan + 100]), ["clientIds"]),
    ]
    for body, fields in cases:
        response = client.post("/api/v1/mailings", json=body, headers=headers)
        assert response.status_code == 400, (body, response.text)
        assert errors(response) == fields, (body, response.text)


def test_mailings_need_the_send_permission(client: TestClient[Any]) -> None:
    role = create(
        client, "/api/v1/roles", {"name": "viewer", "permissions": [{"permission": "manage_clients"}]}
    )
    body = {
        "login": "viewer",
        "password": "secret1",
        "firstName": "V",
        "lastName": "V",
        "roleIds": [role["id"]],
    }
    create(client, "/api/v1/employees", body)
    headers = basic("viewer", "secret1")
    assert client.get("/api/v1/mailings", headers=headers).status_code == 403
    assert client.post("/mailing/create", json=seed_mailing(), headers=headers).status_code == 403


def test_a_started_mailing_is_sent_by_the_worker_job_and_reports_progress(client: TestClient[Any]) -> None:
    department_id = department(client)
    headers = mailer(client, department_id)
    ivan = a_client(client, email="ivan@example.com")
    olga = a_client(client, email="olga@example.com")
    group = create(client, "/api/v1/client-groups", {"name": "VIP"})
    client.post(f"/api/v1/client-groups/{group['id']}/members", json={"clientIds": [ivan, olga]})
    body = {
        "name": "Now",
        "communicationTypeId": MASS,
        "channels": [EMAIL],
        "text": "Hi {{ client.firstName }}",
        "groupId": group["id"],
        "start": True,
    }
    mailing = client.post("/api/v1/mailings", json=body, headers=headers).json()
    assert mailing["status"] == "scheduled"
    assert run_scheduler(client) == 1
    progress = client.get(f"/api/v1/mailings/{mailing['id']}/progress").json()
    assert (progress["status"], progress["runCount"], progress["nextRunAt"]) == ("completed", 1, None)
    [run] = progress["runs"]
    assert (run["state"], run["acceptedCount"], run["refusedCount"], run["error"]) == ("sent", 2, 0, None)
    assert run["lifecycle"] == {"created": 2} and progress["lifecycle"] == {"created": 2}
    send = client.get(f"/api/v1/sends/{run['sendId']}").json()
    assert send["acceptedCount"] == 2


def test_a_path_key_that_is_not_an_id_is_a_400_naming_it(client: TestClient[Any]) -> None:
    for path in (
        "/api/v1/mailings/abc",
        "/api/v1/mailings/١٢/progress",
        f"/api/v1/mailings/{'9' * 30}/start",
    ):
        response = client.get(path) if "start" not in path else client.post(path)
        assert (response.status_code, errors(response)) == (400, ["mailingId"]), response.text
    assert client.get(f"/api/v1/mailings/{2**40}").status_code == 404


@pytest.fixture
def embedded(hasher: Argon2PasswordHasher) -> Iterator[TestClient[Any]]:
    """The embedded default: memory storage, the sandbox, and the worker inside the API process."""
    yield from make_client(Settings(storage="memory", in_process_worker=True), hasher)


def test_the_in_process_worker_runs_a_started_mailing_through_the_sandbox(
    embedded: TestClient[Any],
) -> None:
    client = embedded
    headers = mailer(client, department(client))
    ivan = a_client(client, email="ivan@example.com")
    body = {
        "name": "Now",
        "communicationTypeId": MASS,
        "channels": [EMAIL],
        "subject": "Hi",
        "text": "Hi {{ client.firstName }}",
        "clientIds": [ivan],
        "start": True,
    }
    mailing = client.post("/api/v1/mailings", json=body, headers=headers).json()
    [message] = wait_for(
        lambda: client.get("/api/v1/sandbox/messages", params={"clientId": ivan}).json()["items"]
    )
    assert (message["to"], message["text"]) == ("ivan@example.com", "Hi Ivan")
    progress = wait_for(
        lambda: (
            (p := client.get(f"/api/v1/mailings/{mailing['id']}/progress").json())["delivery"].get(
                "delivered"
            )
            and p
        )
    )
    assert progress["status"] == "completed" and progress["runs"][0]["lifecycle"] == {"done": 1}


def test_a_mailings_status_changes_are_streamed_under_its_id(embedded: TestClient[Any]) -> None:
    client = embedded
    headers = mailer(client, department(client))
    ivan = a_client(client, email="ivan@example.com")
    body = {
        "name": "Now",
        "communicationTypeId": MASS,
        "channels": [EMAIL],
        "subject": "Hi",
        "text": "Hi {{ client.firstName }}",
        "clientIds": [ivan],
        "start": True,
    }
    mailing = client.post("/api/v1/mailings", json=body, headers=headers).json()
    wait_for(
        lambda: client.get(f"/api/v1/mailings/{mailing['id']}/progress").json()["delivery"].get("delivered")
    )
    params = {"mailingId": mailing["id"], "maxEvents": 2}
    stream = client.get("/api/v1/events", params=params, headers={"Last-Event-ID": "0"})
    data = [json.loads(line[6:]) for line in stream.text.splitlines() if line.startswith("data: ")]
    assert [(d["mailingId"], d["clientId"], d["deliveryStatus"]) for d in data] == [
        (mailing["id"], ivan, "sent"),
        (mailing["id"], ivan, "delivered"),
    ]
