"""Twilio end to end: a send goes out through the worker to a local Twilio stub; signed callbacks
move its status; unsigned or forged ones answer 403 and change nothing; replies are recorded."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from litestar.testing import TestClient
from twilio.request_validator import RequestValidator

from adapters.security import Argon2PasswordHasher
from entrypoints.provider_settings import ProviderSettings
from entrypoints.settings import Settings
from tests.http.conftest import make_client
from tests.http.test_sends_api import SMS, a_client, department, send
from tests.http.test_unsubscribe_and_sandbox import wait_for
from tests.support.twilio_stub import TwilioStub, twilio_stub

PUBLIC = "https://switchboard.example"
FORM = {"content-type": "application/x-www-form-urlencoded", "Authorization": ""}


@pytest.fixture
def stub() -> Iterator[TwilioStub]:
    with twilio_stub() as running:
        yield running


@pytest.fixture
def live(stub: TwilioStub, hasher: Argon2PasswordHasher) -> Iterator[TestClient[Any]]:
    settings = Settings(
        storage="memory",
        in_process_worker=True,
        public_url=PUBLIC,
        providers=ProviderSettings(
            twilio_account_sid=stub.account_sid,
            twilio_auth_token=stub.auth_token,
            twilio_from="+15550006666",
            twilio_api_url=stub.url,
            sms_providers=("twilio",),
        ),
    )
    yield from make_client(settings, hasher)


def signed(stub: TwilioStub, url: str, fields: dict[str, str]) -> dict[str, str]:
    """What Twilio sends: the signature over the full URL and the sorted fields, with the auth token."""
    signature = RequestValidator(stub.auth_token).compute_signature(url, fields)
    return {**FORM, "X-Twilio-Signature": signature}


def sent_sms(client: TestClient[Any], stub: TwilioStub) -> tuple[str, int, str]:
    ivan = a_client(client, phones=["+15551234567"])
    answer = send(
        client,
        departmentId=department(client),
        text="Hi {{ client.firstName }}",
        clientIds=[ivan],
        channels=[SMS],
    )
    uuid = answer.json()["accepted"][0]["uuid"]
    wait_for(lambda: client.get(f"/api/v1/communications/{uuid}").json()["deliveryStatus"] == "sent")
    [accepted] = stub.accepted
    assert (accepted.form["To"], accepted.form["Body"]) == ("+15551234567", "Hi Ivan")
    return uuid, ivan, accepted.sid


def test_a_signed_status_callback_moves_the_delivery_status(live: TestClient[Any], stub: TwilioStub) -> None:
    uuid, _, sid = sent_sms(live, stub)
    [accepted] = stub.accepted
    callback = accepted.form["StatusCallback"]
    assert callback == f"{PUBLIC}/webhooks/twilio/status?uuid={uuid}"
    fields = {"MessageSid": sid, "MessageStatus": "delivered", "To": "+15551234567", "From": "+15550006666"}
    path = callback.removeprefix(PUBLIC)
    answer = live.post(path, content=urlencode(fields), headers=signed(stub, callback, fields))
    assert answer.status_code == 200, answer.text
    stored = live.get(f"/api/v1/communications/{uuid}").json()
    assert (stored["deliveryStatus"], stored["status"]) == ("delivered", "done")


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(FORM, id="unsigned"),
        pytest.param({**FORM, "X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"}, id="forged"),
    ],
)
def test_unsigned_or_forged_status_callbacks_are_403_and_change_nothing(
    live: TestClient[Any], stub: TwilioStub, headers: dict[str, str]
) -> None:
    uuid, _, sid = sent_sms(live, stub)
    fields = {"MessageSid": sid, "MessageStatus": "failed", "ErrorCode": "30003"}
    answer = live.post(f"/webhooks/twilio/status?uuid={uuid}", content=urlencode(fields), headers=headers)
    assert answer.status_code == 403
    assert answer.json()["code"] == 403
    assert live.get(f"/api/v1/communications/{uuid}").json()["deliveryStatus"] == "sent"


def test_a_signature_for_another_communication_does_not_carry_over(
    live: TestClient[Any], stub: TwilioStub
) -> None:
    uuid, _, sid = sent_sms(live, stub)
    fields = {"MessageSid": sid, "MessageStatus": "failed"}
    other = f"{PUBLIC}/webhooks/twilio/status?uuid=00000000-0000-4000-8000-000000000001"
    answer = live.post(
        f"/webhooks/twilio/status?uuid={uuid}", content=urlencode(fields), headers=signed(stub, other, fields)
    )
    assert answer.status_code == 403
    assert live.get(f"/api/v1/communications/{uuid}").json()["deliveryStatus"] == "sent"


def test_a_failed_status_fails_the_communication_with_twilio_code(
    live: TestClient[Any], stub: TwilioStub
) -> None:
    uuid, _, sid = sent_sms(live, stub)
    callback = stub.accepted[0].form["StatusCallback"]
    fields = {"MessageSid": sid, "MessageStatus": "undelivered", "ErrorCode": "30003", "From": "+15550006666"}
    live.post(
        callback.removeprefix(PUBLIC), content=urlencode(fields), headers=signed(stub, callback, fields)
    )
    stored = live.get(f"/api/v1/communications/{uuid}").json()
    assert (stored["deliveryStatus"], stored["status"]) == ("undelivered", "failed")
    assert "30003" in stored["failureReason"]


def test_an_inbound_reply_is_recorded_and_marks_the_sms_responded(
    live: TestClient[Any], stub: TwilioStub
) -> None:
    uuid, ivan, _ = sent_sms(live, stub)
    fields = {
        "MessageSid": "SM" + "f" * 32,
        "From": "+1 (555) 123-4567",
        "To": "+15550006666",
        "Body": "Yes, see you on Monday",
    }
    url = f"{PUBLIC}/webhooks/twilio/inbound"
    answer = live.post(
        "/webhooks/twilio/inbound", content=urlencode(fields), headers=signed(stub, url, fields)
    )
    assert answer.status_code == 200 and "<Response>" in answer.text
    answered = live.get(f"/api/v1/communications/{uuid}").json()
    assert answered["deliveryStatus"] == "responded"
    assert answered["result"] == "Yes, see you on Monday"
    listed = live.get("/api/v1/communications", params={"clientId": ivan, "direction": "inbound"}).json()
    [reply] = listed["items"]
    assert (reply["channelId"], reply["content"], reply["status"]) == (SMS, "Yes, see you on Monday", "done")


def test_an_unsigned_inbound_message_records_nothing(live: TestClient[Any], stub: TwilioStub) -> None:
    _, ivan, _ = sent_sms(live, stub)
    fields = {"From": "+15551234567", "Body": "spoofed"}
    assert live.post("/webhooks/twilio/inbound", content=urlencode(fields), headers=FORM).status_code == 403
    listed = live.get("/api/v1/communications", params={"clientId": ivan, "direction": "inbound"}).json()
    assert listed["items"] == []
