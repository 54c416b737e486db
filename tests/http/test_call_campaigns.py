"""Call-center campaigns (seed 003): our API towards a stub CCS, and the CCS's callbacks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from adapters.security import Argon2PasswordHasher
from entrypoints.settings import Settings, TelephonySettings
from tests.http.conftest import create, make_client
from tests.support.stub_http import Recorded, Reply, StubServer, stub_server

DATA = Path(__file__).parents[1] / "data" / "telephony"
UPDATE = json.loads((DATA / "crm_updateCampaign_callback.json").read_text())
FINISH = json.loads((DATA / "crm_finishCampaign_callback.json").read_text())
CAMPAIGNS = "/api/v1/call-campaigns"
SECRET = {"X-Callback-Token": "ccs-secret"}


def fake_ccs(request: Recorded) -> Reply:
    if request.path == "/api/sendCampaign":
        body = request.json()
        return Reply(200, {"campaignid": body["campaignid"], "status": 1})
    if request.path.startswith("/api/closeCampaign/"):
        return Reply(200, {"campaignid": int(request.path.rsplit("/", 1)[1]), "status": 1})
    return Reply(404, {})


@pytest.fixture
def ccs() -> Iterator[StubServer]:
    with stub_server() as stub:
        stub.handler = fake_ccs
        yield stub


@pytest.fixture
def api(hasher: Argon2PasswordHasher, ccs: StubServer) -> Iterator[TestClient[Any]]:
    telephony = TelephonySettings(
        ccs_api_url=ccs.url, ccs_callback_token="ccs-secret", ccs_time_zone="Asia/Ho_Chi_Minh"
    )
    yield from make_client(Settings(storage="memory", telephony=telephony), hasher)


def campaign(api: TestClient[Any]) -> tuple[dict[str, Any], list[int]]:
    clients = [
        create(
            api, "/api/v1/clients", {"firstName": f"C{i}", "lastName": "L", "phones": [f"+7495000000{i}"]}
        )["id"]
        for i in range(3)
    ]
    create(api, "/api/v1/clients", {"firstName": "No", "lastName": "Phone"})
    body = {
        "name": "Service reminder",
        "startAt": "2018-07-10T00:24:00+07:00",
        "endAt": "2018-07-20T23:40:00+07:00",
        "typeId": 2,
        "clientIds": clients,
    }
    return create(api, CAMPAIGNS, body), clients


def contact_ids(ccs: StubServer) -> list[int]:
    return [c["id"] for c in ccs.requests[-1].json()["contact"]]


def test_create_send_and_read_progress(api: TestClient[Any], ccs: StubServer) -> None:
    created, _ = campaign(api)
    assert (created["status"], created["contactsTotal"], created["contactsCalled"]) == ("draft", 3, 0)
    sent = api.post(f"{CAMPAIGNS}/{created['id']}/send")
    assert sent.status_code == 200 and sent.json()["status"] == "sent"
    body = ccs.requests[-1].json()
    assert (body["campaignid"], body["starttime"], body["endtime"], body["typeid"]) == (
        created["id"],
        "2018-07-10 00:24:00",
        "2018-07-20 23:40:00",
        2,
    )
    assert [c["phonenumber"] for c in body["contact"]] == ["+74950000000", "+74950000001", "+74950000002"]
    assert all(set(c) == {"id", "phonenumber", "linkedit"} for c in body["contact"])
    assert api.post(f"{CAMPAIGNS}/{created['id']}/send").status_code == 409
    closed = api.post(f"{CAMPAIGNS}/{created['id']}/close")
    assert (
        closed.json()["status"] == "closed" and ccs.requests[-1].path == f"/api/closeCampaign/{created['id']}"
    )
    assert api.get(CAMPAIGNS).json()["total"] == 1


def update(campaign_id: int, contact_id: int, **fields: Any) -> dict[str, Any]:
    return {**UPDATE, "campaignid": campaign_id, "contact_id": contact_id, **fields}


def test_updates_become_call_communications_and_repeat_harmlessly(
    api: TestClient[Any], ccs: StubServer
) -> None:
    created, clients = campaign(api)
    api.post(f"{CAMPAIGNS}/{created['id']}/send")
    first, second = contact_ids(ccs)[:2]
    answered = update(created["id"], first)
    for _ in range(2):  # the same update twice changes nothing
        response = api.post("/api/updateCampaign", json=answered, headers=SECRET)
        assert response.status_code == 200 and response.json() == {"campaignid": created["id"], "status": 1}
    no_answer = update(created["id"], second, status="NO ANSWER", answertime=None, duration=0, callid="2.1")
    assert api.post("/api/updateCampaign", json=no_answer, params={"token": "ccs-secret"}).status_code == 200
    progress = api.get(f"{CAMPAIGNS}/{created['id']}").json()
    assert (progress["contactsCalled"], progress["contactsSuccessful"]) == (2, 1)
    calls = api.get("/api/v1/communications", params={"sort": "id"}).json()["items"]
    assert [(c["clientId"], c["status"], c["direction"]) for c in calls] == [
        (clients[0], "done", "outbound"),
        (clients[1], "failed", "outbound"),
    ]
    assert calls[1]["failureReason"] == "NO ANSWER"
    content = calls[0]["content"]
    assert (
        "2018-07-05T09:24:00+07:00" in content and "duration 162 s" in content and "ringing 10 s" in content
    )
    assert "agent Agent/9999" in content and "http://recording.com/path_to_file" in content


def test_finish_closes_with_the_totals(api: TestClient[Any], ccs: StubServer) -> None:
    created, _ = campaign(api)
    api.post(f"{CAMPAIGNS}/{created['id']}/send")
    finished = api.post("/api/finishCampaign", json={**FINISH, "campaignid": created["id"]}, headers=SECRET)
    assert finished.status_code == 200
    shown = api.get(f"{CAMPAIGNS}/{created['id']}").json()
    assert (shown["status"], shown["finishStatus"], shown["reportedTotal"], shown["reportedSuccessful"]) == (
        "closed",
        "completed",
        10,
        7,
    )


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/finishCampaign", {**FINISH, "campaignid": 999}),
        ("/api/updateCampaign", {**UPDATE, "campaignid": 999}),
        ("/api/updateCampaign", {**UPDATE, "starttime": "05/07/2018 09:24"}),
        ("/api/updateCampaign", {**UPDATE, "duration": "long"}),
        ("/api/updateCampaign", {"campaignid": 1}),
        ("/api/finishCampaign", "not json"),
    ],
    ids=["unknown-finish", "unknown-update", "bad-time", "bad-type", "missing-fields", "not-json"],
)
def test_bad_callbacks_are_400_with_error_msg(api: TestClient[Any], path: str, body: Any) -> None:
    content = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    response = api.post(path, content=content, headers={**SECRET, "Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.json()["status"] == 0 and response.json()["error_msg"]


def test_callbacks_need_the_token(api: TestClient[Any]) -> None:
    for headers in ({}, {"X-Callback-Token": "wrong"}):
        response = api.post("/api/finishCampaign", json=FINISH, headers={**headers, "Authorization": ""})
        assert response.status_code == 401 and response.json()["status"] == 0
