"""Seed 002's call-phone: the checks in order, then a call through a stub PBX or Asterisk."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from adapters.beeline.api import TOKEN_HEADER
from adapters.security import Argon2PasswordHasher
from entrypoints.settings import Settings, TelephonySettings
from tests.http.conftest import create, make_client
from tests.support.stub_http import Recorded, Reply, StubServer, stub_server

V2 = "/v2/communications"
ARI_AUTH = "Basic " + base64.b64encode(b"ari:pw").decode()


def pbx_or_ari(request: Recorded) -> Reply:
    if (
        request.path.startswith("/apis/portal/abonents/")
        and request.headers.get(TOKEN_HEADER.lower()) == "tok"
    ):
        return Reply(200, {"callId": "beeline-1"})
    if request.path == "/ari/channels" and request.headers.get("authorization") == ARI_AUTH:
        return Reply(200, {"id": "asterisk-1"})
    return Reply(401, {"message": "no"})


@pytest.fixture
def stub() -> Iterator[StubServer]:
    with stub_server() as server:
        server.handler = pbx_or_ari
        yield server


def api(hasher: Argon2PasswordHasher, **telephony: Any) -> Iterator[TestClient[Any]]:
    yield from make_client(Settings(storage="memory", telephony=TelephonySettings(**telephony)), hasher)


def arrange(client: TestClient[Any], *, phones: list[str], extension: str | None) -> tuple[str, int]:
    person = create(client, "/api/v1/clients", {"firstName": "Ivan", "lastName": "Petrov", "phones": phones})
    employee = create(
        client,
        "/api/v1/employees",
        {"login": "oper", "password": "secret1", "firstName": "O", "lastName": "P", "extension": extension},
    )
    types = client.get("/api/v1/communication-types", params={"limit": 100}).json()["items"]
    channels = client.get("/api/v1/channels", params={"limit": 100}).json()["items"]
    body = {
        "kind": "planned",
        "direction": "outbound",
        "communicationTypeId": next(t["id"] for t in types if t["code"] == "personal"),
        "channelId": next(c["id"] for c in channels if c["code"] == "call"),
        "clientId": person["id"],
    }
    return create(client, V2, body)["uuid"], employee["id"]


def test_checks_run_in_order_each_naming_what_is_missing(hasher: Argon2PasswordHasher) -> None:
    for client in api(hasher):
        uuid, employee = arrange(client, phones=[], extension=None)
        no_phone = client.post(f"{V2}/{uuid}/call-phone", json={"employeeId": employee})
        assert no_phone.status_code == 409 and "phone" in no_phone.json()["error"]["message"]
        with_phone = client.patch(f"/api/v1/clients/{1}", json={"phones": ["+74951234567"]})
        assert with_phone.status_code == 200, with_phone.text
        no_extension = client.post(f"{V2}/{uuid}/call-phone", json={"employeeId": employee})
        assert no_extension.status_code == 409 and "extension" in no_extension.json()["error"]["message"]
        assert client.patch(f"/api/v1/employees/{employee}", json={"extension": "101"}).status_code == 200
        no_adapter = client.post(f"{V2}/{uuid}/call-phone", json={"employeeId": employee})
        assert no_adapter.status_code == 409 and "telephony" in no_adapter.json()["error"]["message"]
        assert client.post(f"{V2}/00000000-0000-0000-0000-000000000000/call-phone").status_code == 404


def test_beeline_click_to_call_rings_the_extension_and_logs_it(
    hasher: Argon2PasswordHasher, stub: StubServer
) -> None:
    for client in api(hasher, beeline_api_token="tok", beeline_api_url=f"{stub.url}/apis/portal"):
        uuid, employee = arrange(
            client, phones=["8 (495) 123-45-67"], extension="SIP00SLQU00A0J@ip.beeline.ru"
        )
        placed = client.post(f"{V2}/{uuid}/call-phone", json={"employeeId": employee})
        assert placed.status_code == 200, placed.text
        assert placed.json() == {
            "communicationUuid": uuid,
            "employeeId": employee,
            "extension": "SIP00SLQU00A0J@ip.beeline.ru",
            "phone": "+74951234567",
            "adapter": "beeline",
            "callId": "beeline-1",
        }
        request = stub.requests[-1]
        assert request.path == "/apis/portal/abonents/SIP00SLQU00A0J@ip.beeline.ru/call"
        assert request.query == {"phoneNumber": ["+74951234567"]}
        history = client.get(f"/api/v1/communications/{uuid}/history").json()
        notes = [entry.get("note") for entry in (history["items"] if isinstance(history, dict) else history)]
        assert any(note and "call-phone: beeline called +74951234567" in note for note in notes)


def test_asterisk_and_the_default_caller(hasher: Argon2PasswordHasher, stub: StubServer) -> None:
    settings = {"asterisk_ari_url": stub.url, "asterisk_ari_user": "ari", "asterisk_ari_password": "pw"}
    for client in api(hasher, **settings):
        uuid, _ = arrange(client, phones=["+74951234567"], extension=None)
        admin = client.get("/api/v1/employees", params={"login": "Admin"}).json()["items"][0]
        assert client.patch(f"/api/v1/employees/{admin['id']}", json={"extension": "200"}).status_code == 200
        placed = client.post(f"{V2}/{uuid}/call-phone")  # no body: the caller's extension
        assert placed.status_code == 200, placed.text
        assert (placed.json()["adapter"], placed.json()["extension"], placed.json()["callId"]) == (
            "asterisk",
            "200",
            "asterisk-1",
        )
        assert stub.requests[-1].query["endpoint"] == ["PJSIP/200"]


def test_a_refusing_pbx_is_a_502_saying_so(hasher: Argon2PasswordHasher, stub: StubServer) -> None:
    for client in api(hasher, beeline_api_token="wrong", beeline_api_url=f"{stub.url}/apis/portal"):
        uuid, employee = arrange(client, phones=["+74951234567"], extension="101")
        refused = client.post(f"{V2}/{uuid}/call-phone", json={"employeeId": employee})
        assert refused.status_code == 502 and "401" in refused.json()["error"]["message"]
