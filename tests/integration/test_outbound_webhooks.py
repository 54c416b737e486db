"""Outbound webhooks end to end: status changes write the outbox in their own transaction; the worker
delivers each event, signed by the Standard Webhooks scheme, to a local receiver that verifies the
signature and fails on purpose; retries follow the schedule; sustained failure disables the endpoint."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from adapters.sandbox.sender import SandboxSender
from adapters.system import SystemClock
from adapters.webhooks.poster import HttpWebhookPoster
from application.queries import Query
from application.sending.reports import DeliveryReports
from application.webhooks.delivery import WebhookDeliverer
from application.webhooks.subscriptions import WebhookSubscriptions, new_secret
from domain.webhooks import RETRY_SCHEDULE, DeliveryState, EventType
from tests.contract.test_dispatch import dispatcher
from tests.support.clock import ManualClock
from tests.support.sending import SENDER, arrange, command, sending
from tests.support.stub_http import Recorded, Reply, StubServer, stub_server


class Receiver:
    """A front system's endpoint: verifies every request's signature, fails the first ``failures``."""

    def __init__(self, secret: str, failures: int = 0) -> None:
        self.webhook = Webhook(secret)
        self.failures = failures
        self.verified: list[tuple[str, dict[str, Any]]] = []
        self.refused = 0

    def __call__(self, request: Recorded) -> Reply:
        try:
            body = self.webhook.verify(request.body, request.headers)
        except WebhookVerificationError:
            self.refused += 1
            return Reply(401, {"error": "bad signature"})
        if self.failures > 0:
            self.failures -= 1
            return Reply(500, {"error": "down on purpose"})
        self.verified.append((request.headers["webhook-id"], body))
        return Reply(204, b"")


@pytest.fixture
def server() -> Iterator[StubServer]:
    with stub_server() as running:
        yield running


async def deliveries(uow_factory: Any) -> list[Any]:
    async with uow_factory(read_only=True) as uow:
        return await uow.webhook_deliveries.find(Query(order_by=("id",), limit=1000))


async def test_status_changes_are_delivered_signed_and_retried_until_accepted(
    uow_factory: Any, clock: ManualClock, hasher: Any, server: StubServer
) -> None:
    secret = new_secret()
    receiver = Receiver(secret, failures=2)
    server.handler = receiver
    subscriptions = WebhookSubscriptions(uow_factory, clock)
    department_id, ids = await arrange(uow_factory, clock, hasher, ["reply@example.com"])
    subscription = await subscriptions.create(
        WebhookSubscriptions.command(
            **{
                "url": f"{server.url}/crm/hooks",
                "event_types": [EventType.COMMUNICATION_STATUS_CHANGED, EventType.COMMUNICATION_RESPONDED],
                "secret": secret,
            }
        )
    )
    answer = await sending(uow_factory, clock)(SENDER, command(department_id, ids))
    [uuid] = [a.uuid for a in answer.accepted or ()]
    sandbox = SandboxSender(clock, delay=timedelta(seconds=1))
    assert await dispatcher(uow_factory, clock, sandbox).run_once() == 1
    queued = await deliveries(uow_factory)
    assert [(d.event_type, json.loads(d.payload)["data"]["deliveryStatus"]) for d in queued] == [
        (EventType.COMMUNICATION_STATUS_CHANGED, "sent")
    ]
    clock.advance(seconds=5)
    # Delivered, then responded, in one batch: one status change (to the latest) and the reply.
    await DeliveryReports(uow_factory, clock, [sandbox]).run_once()
    assert len(await deliveries(uow_factory)) == 3

    poster = HttpWebhookPoster(SystemClock())  # receivers check the timestamp against real time
    worker = WebhookDeliverer(uow_factory, clock, poster)
    try:
        assert await worker.run_once() == 3  # the first two tries fail on purpose
        assert await worker.run_once() == 0  # nothing due before the backoff
        clock.advance(seconds=RETRY_SCHEDULE[0].total_seconds())
        assert await worker.run_once() == 2
    finally:
        await poster.close()
    final = await deliveries(uow_factory)
    assert {d.state for d in final} == {DeliveryState.DELIVERED}
    assert sorted(d.attempts for d in final) == [1, 2, 2]
    assert receiver.refused == 0 and len(receiver.verified) == 3
    assert {webhook_id for webhook_id, _ in receiver.verified} == {d.message_id for d in final}
    kinds = [(body["type"], body["data"]["deliveryStatus"]) for _, body in receiver.verified]
    assert sorted(kinds) == sorted(
        [
            ("communication.status_changed", "sent"),
            ("communication.status_changed", "responded"),
            ("communication.responded", "responded"),
        ]
    )
    assert all(body["data"]["uuid"] == uuid for _, body in receiver.verified)
    [request] = server.requests[:1]
    assert request.path == "/crm/hooks" and request.headers["webhook-signature"].startswith("v1,")
    assert (await subscriptions.get(subscription.id or 0)).active


async def test_a_wrong_secret_is_refused_by_the_receiver_and_the_delivery_stays_pending(
    uow_factory: Any, clock: ManualClock, hasher: Any, server: StubServer
) -> None:
    receiver = Receiver(new_secret())
    server.handler = receiver
    subscriptions = WebhookSubscriptions(uow_factory, clock)
    await arrange(uow_factory, clock, hasher, [])
    await subscriptions.create(
        WebhookSubscriptions.command(
            **{
                "url": server.url,
                "event_types": [EventType.COMMUNICATION_STATUS_CHANGED],
                "secret": new_secret(),
            }
        )
    )
    from application.webhooks.outbox import publish

    async with uow_factory() as uow:
        await publish(uow, EventType.COMMUNICATION_STATUS_CHANGED, {"uuid": "x"}, clock.now())
        await uow.commit()
    poster = HttpWebhookPoster(SystemClock())
    try:
        await WebhookDeliverer(uow_factory, clock, poster).run_once()
    finally:
        await poster.close()
    [delivery] = await deliveries(uow_factory)
    assert receiver.refused == 1 and receiver.verified == []
    assert (delivery.state, delivery.last_status) == (DeliveryState.PENDING, 401)


async def test_sustained_failure_fails_the_delivery_disables_the_endpoint_and_redelivery_revives_it(
    uow_factory: Any, clock: ManualClock, hasher: Any, server: StubServer
) -> None:
    secret = new_secret()
    receiver = Receiver(secret, failures=10_000)
    server.handler = receiver
    subscriptions = WebhookSubscriptions(uow_factory, clock)
    await arrange(uow_factory, clock, hasher, [])
    subscription = await subscriptions.create(
        WebhookSubscriptions.command(
            **{"url": server.url, "event_types": [EventType.SEND_COMPLETED], "secret": secret}
        )
    )
    from application.webhooks.outbox import publish

    async with uow_factory() as uow:
        assert await publish(uow, EventType.SEND_COMPLETED, {"sendId": 1}, clock.now()) == 1
        assert await publish(uow, EventType.COMMUNICATION_RESPONDED, {"uuid": "x"}, clock.now()) == 0
        await uow.commit()
    poster = HttpWebhookPoster(SystemClock())
    started = clock.now()
    try:
        worker = WebhookDeliverer(uow_factory, clock, poster)
        for wait in (timedelta(0), *RETRY_SCHEDULE):
            clock.advance(seconds=wait.total_seconds())
            assert await worker.run_once() == 1
        assert await worker.run_once() == 0
        assert clock.now() - started > timedelta(hours=24)
        [failed] = await deliveries(uow_factory)
        assert (failed.state, failed.attempts, failed.last_status) == (
            DeliveryState.FAILED,
            len(RETRY_SCHEDULE) + 1,
            500,
        )
        disabled = await subscriptions.get(subscription.id or 0)
        assert not disabled.active and disabled.disabled_reason and "HTTP 500" in disabled.disabled_reason
        # Nothing new is queued for a disabled endpoint.
        async with uow_factory() as uow:
            assert await publish(uow, EventType.SEND_COMPLETED, {"sendId": 2}, clock.now()) == 0

        receiver.failures = 0
        enabled = await subscriptions.change(subscription.id or 0, subscriptions.patch(active=True))
        assert enabled.active and enabled.disabled_reason is None
        again = await subscriptions.redeliver(failed.id or 0)
        assert (again.state, again.attempts) == (DeliveryState.PENDING, 0)
        assert await worker.run_once() == 1
    finally:
        await poster.close()
    [delivered] = await deliveries(uow_factory)
    assert delivered.state is DeliveryState.DELIVERED
    assert [webhook_id for webhook_id, _ in receiver.verified] == [delivered.message_id]
