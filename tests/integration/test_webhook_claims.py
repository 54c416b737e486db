"""Webhook deliveries are leased before they are posted: two deliverers never post one twice.

On PostgreSQL two deliverers, each with its own engine (as two worker processes would be), race
over one outbox against a local receiver that counts every request: each delivery arrives once.
On every storage: a deliverer that died after its claim loses nothing (its lease ends and another
posts the delivery), and its late outcome is not recorded over the other's.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from adapters.sqlalchemy.engine import create_engine
from adapters.sqlalchemy.unit_of_work import SqlUnitOfWorkFactory
from adapters.system import SystemClock
from adapters.webhooks.poster import HttpWebhookPoster
from application.queries import Query
from application.webhooks.delivery import PostResult, WebhookDeliverer
from application.webhooks.outbox import publish
from application.webhooks.subscriptions import new_secret
from domain.webhooks import DeliveryState, EventType, WebhookDelivery, WebhookSubscription
from tests.support.clock import ManualClock
from tests.support.stub_http import Recorded, Reply, StubServer, stub_server


class CountingReceiver:
    """Counts the requests per ``webhook-id``; a little slow, so two deliverers overlap."""

    def __init__(self) -> None:
        self.seen: Counter[str] = Counter()

    def __call__(self, request: Recorded) -> Reply:
        time.sleep(0.002)
        self.seen[request.headers["webhook-id"]] += 1
        return Reply(204, b"")


@pytest.fixture
def server() -> Iterator[StubServer]:
    with stub_server() as running:
        yield running


async def outbox_of(uow_factory: Any, url: str, events: int, at: Any) -> None:
    async with uow_factory() as uow:
        await uow.webhook_subscriptions.add(
            WebhookSubscription(
                url=url,
                event_types=[EventType.SEND_COMPLETED],
                secret=new_secret(),
                create_time=at,
                update_time=at,
            )
        )
        for n in range(events):
            await publish(uow, EventType.SEND_COMPLETED, {"sendId": n}, at)
        await uow.commit()


async def deliveries(uow_factory: Any) -> list[WebhookDelivery]:
    async with uow_factory(read_only=True) as uow:
        return await uow.webhook_deliveries.find(Query(order_by=("id",), limit=10_000))


@pytest.mark.postgres
@pytest.mark.concurrency
async def test_two_deliverers_racing_on_postgres_post_each_delivery_once(
    postgres_uow_factory: Any, postgres_url: str, server: StubServer
) -> None:
    receiver = CountingReceiver()
    server.handler = receiver
    clock = SystemClock()
    await outbox_of(postgres_uow_factory, f"{server.url}/hooks", 300, clock.now())
    second_engine = create_engine(postgres_url)  # another process: its own pool and connections
    posters = [HttpWebhookPoster(clock), HttpWebhookPoster(clock)]
    racers = [
        WebhookDeliverer(postgres_uow_factory, clock, posters[0], batch=20, owner="worker-a"),
        WebhookDeliverer(
            SqlUnitOfWorkFactory(second_engine, sealer=postgres_uow_factory.sealer),
            clock,
            posters[1],
            batch=20,
            owner="worker-b",
        ),
    ]

    async def drain(deliverer: WebhookDeliverer) -> int:
        taken = 0
        while handled := await deliverer.run_once():
            taken += handled
        return taken

    try:
        taken = await asyncio.gather(*(drain(d) for d in racers))
    finally:
        for poster in posters:
            await poster.close()
        await second_engine.dispose()
    assert sum(taken) == 300
    assert all(n > 0 for n in taken), f"both deliverers should have taken a share: {taken}"
    assert len(receiver.seen) == 300
    assert set(receiver.seen.values()) == {1}, "a delivery arrived more than once"
    stored = await deliveries(postgres_uow_factory)
    assert {(d.state, d.attempts) for d in stored} == {(DeliveryState.DELIVERED, 1)}


class Recording:
    """A poster that answers at once and remembers what it was asked to post."""

    def __init__(self, status: int = 204) -> None:
        self.status = status
        self.posted: list[str] = []

    async def post(self, subscription: WebhookSubscription, delivery: WebhookDelivery) -> PostResult:
        self.posted.append(delivery.message_id)
        return PostResult(status=self.status)


async def test_a_lease_keeps_others_off_until_it_ends_and_a_late_outcome_is_dropped(
    uow_factory: Any, clock: ManualClock
) -> None:
    await outbox_of(uow_factory, "http://crm.example/hooks", 2, clock.now())
    lease = timedelta(seconds=60)
    dead, alive = Recording(status=500), Recording()
    first = WebhookDeliverer(uow_factory, clock, dead, lease=lease, owner="dead")
    second = WebhookDeliverer(uow_factory, clock, alive, lease=lease, owner="alive")
    async with uow_factory() as uow:  # the first claims, then dies before it posts
        claimed = await uow.webhook_claims.claim(
            now=clock.now(), lease_until=clock.now() + lease, owner="dead", limit=10
        )
        await uow.commit()
    assert len(claimed) == 2
    assert await second.run_once() == 0  # leased: not due for anyone else
    clock.advance(seconds=61)
    assert await second.run_once() == 2
    assert len(alive.posted) == 2
    # The first comes back with its stale outcome: its lease is gone, nothing is recorded.
    await first._record(claimed[0], PostResult(status=500, error="too late"))
    stored = await deliveries(uow_factory)
    assert [(d.state, d.attempts, d.last_error) for d in stored] == [(DeliveryState.DELIVERED, 1, None)] * 2


async def test_a_failed_try_is_due_again_on_its_schedule_not_held_by_its_lease(
    uow_factory: Any, clock: ManualClock
) -> None:
    await outbox_of(uow_factory, "http://crm.example/hooks", 1, clock.now())
    poster = Recording(status=503)
    deliverer = WebhookDeliverer(uow_factory, clock, poster, lease=timedelta(minutes=10))
    assert await deliverer.run_once() == 1
    clock.advance(seconds=6)  # the first retry waits 5 s, far less than the lease
    assert await deliverer.run_once() == 1
    (stored,) = await deliveries(uow_factory)
    assert (stored.state, stored.attempts) == (DeliveryState.PENDING, 2)
