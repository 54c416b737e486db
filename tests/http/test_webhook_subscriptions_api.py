"""/api/v1/webhook-subscriptions: URL, event types, a write-only secret; the log and redelivery."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar.testing import TestClient

from application.webhooks.outbox import publish
from domain.webhooks import EventType
from tests.http.conftest import create, user_with

BODY = {"url": "https://crm.example/hooks", "eventTypes": ["communication.status_changed", "send.completed"]}


def test_a_generated_secret_is_shown_once_then_masked(client: TestClient[Any]) -> None:
    made = create(client, "/api/v1/webhook-subscriptions/new", BODY)
    secret = made["secret"]
    assert secret.startswith("whsec_") and len(secret) > 30
    shown = client.get(f"/api/v1/webhook-subscriptions/{made['id']}").json()
    assert (
        shown["secret"] == "****" + secret[-4:]
        and secret not in client.get("/api/v1/webhook-subscriptions").text
    )
    assert shown["eventTypes"] == ["communication.status_changed", "send.completed"] and shown["active"]


def test_a_given_secret_is_never_echoed(client: TestClient[Any]) -> None:
    secret = "whsec_" + "A" * 32
    made = create(client, "/api/v1/webhook-subscriptions", {**BODY, "secret": secret})
    changed = client.patch(
        f"/api/v1/webhook-subscriptions/{made['id']}", json={"url": "https://crm.example/v2"}
    )
    assert changed.status_code == 200
    for answer in (made, changed.json()):
        assert secret not in str(answer)


def test_bad_subscriptions_are_400_naming_the_field(client: TestClient[Any]) -> None:
    for body, field in (
        ({**BODY, "url": "ftp://crm.example"}, "url"),
        ({**BODY, "eventTypes": []}, "eventTypes"),
        ({**BODY, "eventTypes": ["nope"]}, "eventTypes[0]"),
        ({**BODY, "secret": "short"}, "secret"),
    ):
        answer = client.post("/api/v1/webhook-subscriptions", json=body)
        assert answer.status_code == 400, answer.text
        assert field in [d["field"] for d in answer.json()["error"]["details"]], answer.text


def test_the_delivery_log_and_redelivery(client: TestClient[Any]) -> None:
    made = create(client, "/api/v1/webhook-subscriptions/new", BODY)
    uow_factory = client.app.state.container.storage.uow_factory()
    clock = client.app.state.container.core.clock()

    async def queue() -> None:
        async with uow_factory() as uow:
            await publish(uow, EventType.SEND_COMPLETED, {"sendId": 7}, clock.now())
            await uow.commit()

    asyncio.run(queue())
    log = client.get(f"/api/v1/webhook-subscriptions/{made['id']}/deliveries").json()
    [delivery] = log["items"]
    assert (log["total"], delivery["eventType"], delivery["state"]) == (1, "send.completed", "pending")
    assert '"sendId":7' in delivery["payload"] and delivery["messageId"].startswith("msg_")
    again = client.post(f"/api/v1/webhook-deliveries/{delivery['id']}/redeliver")
    assert again.status_code == 200 and again.json()["attempts"] == 0
    assert client.post("/api/v1/webhook-deliveries/999/redeliver").status_code == 404


def test_subscriptions_need_manage_system(client: TestClient[Any]) -> None:
    reader = user_with(client, "reader", "read_statistics")
    assert client.get("/api/v1/webhook-subscriptions", headers=reader).status_code == 403
    assert client.post("/api/v1/webhook-subscriptions/new", json=BODY, headers=reader).status_code == 403
