"""Channel fallback end to end: the worker follows a failed SMS up by email; the API shows the link."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar.testing import TestClient

from tests.http.test_sends_api import EMAIL, SMS, a_client, department, send
from tests.http.test_twilio_webhooks import PUBLIC, live, signed, stub
from tests.http.test_unsubscribe_and_sandbox import live_client, wait_for
from tests.support.twilio_stub import TwilioStub

__all__ = ["live", "live_client", "stub"]


def test_a_failed_sms_is_followed_up_by_email_and_both_answers_show_the_link(
    live_client: TestClient[Any],
) -> None:
    client = live_client
    department_id = department(client)
    ivan = a_client(client, email="ivan@example.com", phones=["+79990000000"])
    answer = send(
        client,
        departmentId=department_id,
        subject="Hi",
        text="Hello",
        clientIds=[ivan],
        channels=[SMS, EMAIL],
    ).json()
    [accepted] = answer["accepted"]
    assert accepted["channelId"] == SMS
    sms = client.get(f"/api/v1/communications/{accepted['uuid']}").json()
    assert sms["fallbackOf"] is None

    def delivered_email() -> Any:
        items = client.get("/api/v1/communications", params={"clientId": ivan}).json()["items"]
        return next(
            (c for c in items if c["channelId"] == EMAIL and c["deliveryStatus"] == "delivered"), None
        )

    email = wait_for(delivered_email)
    assert email["fallbackOf"] == sms["id"]
    failed = client.get(f"/api/v1/communications/{sms['uuid']}").json()
    assert (failed["status"], failed["deliveryStatus"], failed["fallbackOf"]) == ("failed", "failed", None)
    notes = [
        h.get("note") or ""
        for h in client.get(f"/api/v1/communications/{sms['uuid']}/history").json()["items"]
    ]
    assert f"fallback: communication {email['id']} on channel {EMAIL}" in notes
    notes = [
        h.get("note") or ""
        for h in client.get(f"/api/v1/communications/{email['uuid']}/history").json()["items"]
    ]
    assert any(n.startswith(f"fallback of communication {sms['id']}") for n in notes)
    progress = client.get(f"/api/v1/sends/{answer['sendId']}").json()
    assert progress["delivery"] == {"failed": 1, "delivered": 1}


def test_an_undelivered_twilio_callback_is_followed_up_by_email(
    live: TestClient[Any], stub: TwilioStub
) -> None:
    ivan = a_client(live, email="ivan@example.com", phones=["+15551234567"])
    answer = send(
        live, departmentId=department(live), text="Hello", clientIds=[ivan], channels=[SMS, EMAIL]
    ).json()
    uuid = answer["accepted"][0]["uuid"]
    wait_for(lambda: live.get(f"/api/v1/communications/{uuid}").json()["deliveryStatus"] == "sent")
    [accepted] = stub.accepted
    callback = accepted.form["StatusCallback"]
    fields = {"MessageSid": accepted.sid, "MessageStatus": "undelivered", "ErrorCode": "30003"}
    for _ in range(2):  # Twilio may repeat a callback: still one follow-up
        posted = live.post(
            callback.removeprefix(PUBLIC), content=urlencode(fields), headers=signed(stub, callback, fields)
        )
        assert posted.status_code == 200, posted.text
    sms = live.get(f"/api/v1/communications/{uuid}").json()

    def emails() -> Any:
        items = live.get("/api/v1/communications", params={"clientId": ivan}).json()["items"]
        found = [c for c in items if c["channelId"] == EMAIL]
        return found if found and found[0]["deliveryStatus"] == "delivered" else None

    [email] = wait_for(emails)
    assert email["fallbackOf"] == sms["id"] and sms["deliveryStatus"] == "undelivered"
