"""Channel fallback of an auto send: the next of its decision's ranked channels, logged and announced.

Over a served app with the in-process worker and the sandbox, on memory, SQLite and PostgreSQL:
a phone ending in 0000 makes the sandbox refuse the SMS finally.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from tests.http.conftest import ADMIN
from tests.http.test_events_api import Listener, api, live
from tests.http.test_events_api import arrange as organisation

__all__ = ["live"]

SMS, EMAIL = 1, 3
MASS = 1


def wait_for(check: Any, seconds: float = 20.0) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.05)
    raise AssertionError("the worker did not get there in time")


def arrange(url: str) -> tuple[int, int]:
    """A department and a client who answers SMS always and email mostly: auto ranks SMS, then email."""
    department_id, _ = organisation(url)
    ivan = api(
        url,
        "POST",
        "/api/v1/clients",
        {"firstName": "Ivan", "email": "ivan@example.com", "phones": ["+79990000000"]},
    )["id"]
    rows = [
        {
            "clientId": ivan,
            "communicationTypeId": MASS,
            "direction": "outbound",
            "startedAt": f"2026-11-{day:02d}T10:00:00+00:00",
            "channelId": channel,
            "status": "done",
            "deliveryStatus": "responded" if channel == SMS or day <= 16 else "delivered",
        }
        for day in range(1, 21)
        for channel in (SMS, EMAIL)
    ]
    imported = api(url, "POST", "/api/v1/communications/import", rows)
    assert imported["rejected"] == [] and imported["imported"] == len(rows)
    return department_id, ivan


def test_an_auto_send_falls_back_to_its_next_ranked_channel_with_a_log_entry_and_events(live: str) -> None:
    url = live
    department_id, ivan = arrange(url)
    hook = api(
        url,
        "POST",
        "/api/v1/webhook-subscriptions/new",
        {"url": "http://127.0.0.1:9/hooks", "eventTypes": ["communication.status_changed"]},
    )
    body = {
        "communicationTypeId": MASS,
        "departmentId": department_id,
        "subject": "Hi",
        "text": "Hello",
        "clientIds": [ivan],
        "channels": "auto",
    }
    answer = api(url, "POST", "/api/v1/sends", body)
    [accepted] = answer["accepted"]
    assert accepted["channelId"] == SMS
    sms = api(url, "GET", f"/api/v1/communications/{accepted['uuid']}")
    assert api(url, "GET", f"/api/v1/communications/{sms['uuid']}/decision")["mode"] == "greedy"

    def delivered_email() -> Any:
        items = api(url, "GET", "/api/v1/communications", params={"clientId": ivan, "limit": 100})["items"]
        return next(
            (
                c
                for c in items
                if c["channelId"] == EMAIL
                and c["fallbackOf"] is not None
                and c["deliveryStatus"] == "delivered"
            ),
            None,
        )

    email = wait_for(delivered_email)
    assert email["fallbackOf"] == sms["id"]
    failed = api(url, "GET", f"/api/v1/communications/{sms['uuid']}")
    assert (failed["status"], failed["deliveryStatus"]) == ("failed", "failed")
    notes = [
        h.get("note") or "" for h in api(url, "GET", f"/api/v1/communications/{sms['uuid']}/history")["items"]
    ]
    assert f"fallback: communication {email['id']} on channel {EMAIL}" in notes

    # The follow-up keeps its original's decision, marked as a fallback, which the lift leaves out.
    carried = api(url, "GET", f"/api/v1/communications/{email['uuid']}/decision")
    assert carried["mode"] == "fallback"
    assert carried["explanation"].startswith(
        f"fallback of communication {sms['id']}, which failed on channel {SMS}"
    )
    lift = api(url, "GET", "/api/v1/stats/auto")
    assert lift["decisions"] == 1 and lift["greedy"] == 1

    # Its creation is an event like every later change: on the events log and in the webhook outbox.
    events = Listener(url, headers={"Last-Event-ID": "0"}, sendId=answer["sendId"], maxEvents=4).join()
    steps = {(e["data"]["uuid"], e["data"]["status"], e["data"]["deliveryStatus"]) for e in events}
    assert steps == {
        (sms["uuid"], "failed", "failed"),
        (email["uuid"], "created", None),
        (email["uuid"], "in_progress", "sent"),
        (email["uuid"], "done", "delivered"),
    }
    outbox = api(url, "GET", f"/api/v1/webhook-subscriptions/{hook['id']}/deliveries", params={"limit": 100})
    payloads = [d["payload"] for d in outbox["items"]]
    assert any(email["uuid"] in p and '"status":"created"' in p for p in payloads), payloads


def test_an_explicit_priority_list_still_falls_back_by_the_send_s_own_list(live: str) -> None:
    url = live
    department_id, ivan = arrange(url)
    body = {
        "communicationTypeId": MASS,
        "departmentId": department_id,
        "text": "Hello",
        "clientIds": [ivan],
        "channels": [SMS, EMAIL],
    }
    answer = api(url, "POST", "/api/v1/sends", body)
    [accepted] = answer["accepted"]
    events = Listener(url, headers={"Last-Event-ID": "0"}, sendId=answer["sendId"], maxEvents=2).join()
    first = {e["data"]["status"]: e["data"] for e in events}
    assert first["failed"]["uuid"] == accepted["uuid"]
    follow = first["created"]
    assert follow["channelId"] == EMAIL
    # No decision was logged for either: the send named its channels.
    for uuid in (accepted["uuid"], follow["uuid"]):
        assert httpx.get(f"{url}/api/v1/communications/{uuid}/decision", headers=ADMIN).status_code == 404
