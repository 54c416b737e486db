"""Channel fallback end to end: the worker follows a failed SMS up by email; the API shows the link."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient

from tests.http.test_sends_api import EMAIL, SMS, a_client, department, send
from tests.http.test_unsubscribe_and_sandbox import live_client, wait_for

__all__ = ["live_client"]


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
