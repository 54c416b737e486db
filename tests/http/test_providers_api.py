"""/api/v1/providers: several providers per channel, secrets write-only, a test message, circuits."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from adapters.security import Argon2PasswordHasher
from entrypoints.settings import Settings
from tests.http.conftest import create, make_client, user_with
from tests.http.test_sends_api import SMS, a_client, department, send
from tests.http.test_unsubscribe_and_sandbox import wait_for
from tests.support.twilio_stub import TwilioStub, twilio_stub

TOKEN = "secret-token-0123456789abcd"


@pytest.fixture
def stub() -> Iterator[TwilioStub]:
    with twilio_stub(auth_token=TOKEN) as running:
        yield running


def twilio_body(stub: TwilioStub, **changes: Any) -> dict[str, Any]:
    return {
        "name": "twilio-main",
        "kind": "twilio",
        "channelKind": "sms",
        "settings": {"accountSid": stub.account_sid, "fromNumber": "+15550006666", "apiUrl": stub.url},
        "secrets": {"authToken": TOKEN},
        "priority": 0,
        "rateLimit": 50,
        **changes,
    }


def test_secrets_are_write_only_and_shown_masked(
    client: TestClient[Any], stub: TwilioStub, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    created = create(client, "/api/v1/providers", twilio_body(stub))
    assert created["secrets"] == {"authToken": "****abcd"}
    assert created["settings"]["accountSid"] == stub.account_sid
    assert (created["kind"], created["channelKind"], created["priority"], created["rateLimit"]) == (
        "twilio",
        "sms",
        0,
        50.0,
    )
    for answer in (
        client.get(f"/api/v1/providers/{created['id']}"),
        client.get("/api/v1/providers/twilio-main"),
        client.get("/api/v1/providers"),
        client.patch(f"/api/v1/providers/{created['id']}", json={"priority": 3}),
    ):
        assert answer.status_code == 200, answer.text
        assert TOKEN not in answer.text and "****abcd" in answer.text
    assert TOKEN not in caplog.text
    # A change that leaves the secret out keeps it: the test message still authenticates.
    tested = client.post(f"/api/v1/providers/{created['id']}/test", json={"to": "+15551234567"})
    assert tested.status_code == 200, tested.text
    assert tested.json()["outcome"] == "sent" and tested.json()["providerMessageId"].startswith("SM")
    [accepted] = stub.accepted
    assert (accepted.form["To"], accepted.form["Body"]) == ("+15551234567", "Switchboard test message")


def test_a_new_secret_replaces_the_old_one(client: TestClient[Any], stub: TwilioStub) -> None:
    created = create(client, "/api/v1/providers", twilio_body(stub))
    changed = client.patch(
        f"/api/v1/providers/{created['id']}", json={"secrets": {"authToken": "wrong-token-99999999"}}
    )
    assert changed.json()["secrets"] == {"authToken": "****9999"}
    tested = client.post(f"/api/v1/providers/{created['id']}/test", json={"to": "+15551234567"}).json()
    assert tested["outcome"] == "retry" and "20003" in tested["reason"]
    assert stub.accepted == []


def test_the_test_message_reports_a_permanent_refusal(client: TestClient[Any], stub: TwilioStub) -> None:
    created = create(client, "/api/v1/providers", twilio_body(stub))
    tested = client.post(f"/api/v1/providers/{created['id']}/test", json={"to": "+15005550001"}).json()
    assert tested["outcome"] == "rejected" and "21211" in tested["reason"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"channelKind": "email"}, "channelKind"),
        ({"settings": {"accountSid": "AC1"}}, "settings.fromNumber"),
        ({"secrets": {}}, "secrets.authToken"),
        ({"settings": {"accountSid": "AC1", "fromNumber": "+1", "colour": "red"}}, "settings.colour"),
        ({"priority": -1}, "priority"),
        ({"rateLimit": 0}, "rateLimit"),
        ({"kind": "pigeon"}, "kind"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_configurations_are_400_naming_the_field(
    client: TestClient[Any], stub: TwilioStub, changes: dict[str, Any], field: str
) -> None:
    answer = client.post("/api/v1/providers", json=twilio_body(stub, **changes))
    assert answer.status_code == 400, answer.text
    assert field in [d["field"] for d in answer.json()["error"]["details"]], answer.text


def test_names_are_unique_and_providers_can_be_deleted(client: TestClient[Any], stub: TwilioStub) -> None:
    created = create(client, "/api/v1/providers", twilio_body(stub))
    assert client.post("/api/v1/providers", json=twilio_body(stub)).status_code == 409
    assert client.delete(f"/api/v1/providers/{created['id']}").status_code == 204
    assert client.get(f"/api/v1/providers/{created['id']}").status_code == 404


def test_providers_need_the_manage_system_permission(client: TestClient[Any], stub: TwilioStub) -> None:
    reader = user_with(client, "reader", "read_statistics")
    assert client.get("/api/v1/providers", headers=reader).status_code == 403
    assert client.post("/api/v1/providers", json=twilio_body(stub), headers=reader).status_code == 403
    assert client.get("/api/v1/provider-circuits", headers=reader).status_code == 403


def test_providers_are_stored_on_sql(sql_client: TestClient[Any], stub: TwilioStub) -> None:
    created = create(sql_client, "/api/v1/providers", twilio_body(stub))
    create(
        sql_client,
        "/api/v1/providers",
        {"name": "fallback", "kind": "sandbox", "channelKind": "sms", "priority": 5},
    )
    listed = sql_client.get("/api/v1/providers", params={"sort": "priority"}).json()
    assert [p["name"] for p in listed["items"]] == ["twilio-main", "fallback"]
    again = sql_client.get(f"/api/v1/providers/{created['id']}").json()
    assert again["secrets"] == {"authToken": "****abcd"} and again["settings"]["apiUrl"] == stub.url


@pytest.fixture
def live(hasher: Argon2PasswordHasher) -> Iterator[TestClient[Any]]:
    yield from make_client(Settings(storage="memory", in_process_worker=True), hasher)


def test_configured_providers_take_over_the_channel_and_fail_over(
    live: TestClient[Any], stub: TwilioStub
) -> None:
    """A primary that answers 500 gives way to the backup; the circuits show it."""
    with twilio_stub(account_sid="AC" + "9" * 32, auth_token=TOKEN) as backup:
        stub.faults = lambda form: "500"
        create(live, "/api/v1/providers", twilio_body(stub))
        create(
            live,
            "/api/v1/providers",
            twilio_body(
                backup,
                name="twilio-backup",
                priority=1,
                settings={
                    "accountSid": backup.account_sid,
                    "fromNumber": "+15550006666",
                    "apiUrl": backup.url,
                },
            ),
        )
        refresh = live.app.state.container.delivery.refresh()
        asyncio.run(refresh.refresh())  # what the worker does every few seconds
        ivan = a_client(live, phones=["+15551234567"])
        answer = send(live, departmentId=department(live), text="Hi", clientIds=[ivan], channels=[SMS]).json()
        uuid = answer["accepted"][0]["uuid"]
        done = wait_for(
            lambda: (c := live.get(f"/api/v1/communications/{uuid}").json())["deliveryStatus"] == "sent" and c
        )
        assert done["provider"] == "twilio-backup"
        assert stub.answered == {"20500": 1} and len(backup.accepted) == 1
        circuits = {c["provider"]: c for c in live.get("/api/v1/provider-circuits").json()["items"]}
        assert circuits["twilio-main"]["failed"] == 1 and circuits["twilio-main"]["circuit"] == "closed"
        assert circuits["twilio-backup"]["sent"] == 1
        assert circuits["sandbox"]["channelKind"] != "sms" or circuits["sandbox"]["sent"] == 0


def test_callbacks_of_a_configured_twilio_account_are_checked_with_its_own_token(
    live: TestClient[Any], stub: TwilioStub
) -> None:
    from urllib.parse import urlencode

    from twilio.request_validator import RequestValidator

    create(live, "/api/v1/providers", twilio_body(stub))
    asyncio.run(live.app.state.container.delivery.refresh().refresh())
    ivan = a_client(live, phones=["+15551234567"])
    answer = send(live, departmentId=department(live), text="Hi", clientIds=[ivan], channels=[SMS]).json()
    uuid = answer["accepted"][0]["uuid"]
    wait_for(lambda: live.get(f"/api/v1/communications/{uuid}").json()["deliveryStatus"] == "sent")
    [accepted] = stub.accepted
    callback = accepted.form["StatusCallback"]
    assert callback == f"http://localhost:8181/webhooks/twilio/status?provider=twilio-main&uuid={uuid}"
    fields = {"MessageSid": accepted.sid, "MessageStatus": "delivered", "From": "+15550006666"}
    path = callback.removeprefix("http://localhost:8181")
    form = {"content-type": "application/x-www-form-urlencoded", "Authorization": ""}
    forged = RequestValidator("another-token").compute_signature(callback, fields)
    refused = live.post(path, content=urlencode(fields), headers={**form, "X-Twilio-Signature": forged})
    assert refused.status_code == 403
    assert live.get(f"/api/v1/communications/{uuid}").json()["deliveryStatus"] == "sent"
    signature = RequestValidator(TOKEN).compute_signature(callback, fields)
    taken = live.post(path, content=urlencode(fields), headers={**form, "X-Twilio-Signature": signature})
    assert taken.status_code == 200, taken.text
    assert live.get(f"/api/v1/communications/{uuid}").json()["deliveryStatus"] == "delivered"
    unknown = live.post(
        "/webhooks/twilio/status?provider=nobody&uuid=" + uuid,
        content=urlencode(fields),
        headers={**form, "X-Twilio-Signature": signature},
    )
    assert unknown.status_code == 403
