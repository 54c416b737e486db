"""Delivering the outbox from the worker: sign, POST, record; retry on the schedule; disable at last.

The HTTP call happens outside any transaction: lease the due rows in a short transaction (other
deliverers, in this process or another, skip them while the lease lasts), send, then record each
outcome in a short transaction of its own, only while the lease is still this deliverer's. A
deliverer that dies mid-batch loses nothing: its leases end and another posts those deliveries
(the receiver drops a repeat by its ``webhook-id``).
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from application.ports import Clock, UnitOfWorkFactory
from domain.webhooks import DeliveryState, WebhookDelivery, WebhookSubscription

LEASE = timedelta(seconds=60)
"""Longer than a batch's posts can take (the poster's timeout is 10 s)."""


@dataclass(frozen=True, kw_only=True)
class PostResult:
    status: int | None
    """The HTTP status; None when no answer came (refused, dropped, timed out)."""
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class WebhookPoster(Protocol):
    async def post(self, subscription: WebhookSubscription, delivery: WebhookDelivery) -> PostResult:
        """POST the delivery's payload to the subscription's URL, signed with its secret."""


class WebhookDeliverer:
    """A worker job: sends the due deliveries; ``run_once`` handles one batch."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        poster: WebhookPoster,
        *,
        batch: int = 50,
        lease: timedelta = LEASE,
        owner: str | None = None,
    ) -> None:
        self._uow = uow_factory
        self._clock = clock
        self._poster = poster
        self._batch = batch
        self._lease = lease
        self._owner = owner or f"webhooks:{uuid.uuid4().hex}"

    @property
    def name(self) -> str:
        return "webhooks"

    async def run_once(self) -> int:
        now = self._clock.now()
        async with self._uow() as uow:
            ids = await uow.webhook_claims.claim(
                now=now, lease_until=now + self._lease, owner=self._owner, limit=self._batch
            )
            if not ids:
                return 0
            leased = await uow.webhook_deliveries.get_many(ids)
            due = [leased[i] for i in ids if i in leased]
            subscriptions = await uow.webhook_subscriptions.get_many({d.subscription_id for d in due})
            await uow.commit()
        sendable = [d for d in due if d.subscription_id in subscriptions]
        results = await asyncio.gather(
            *(self._poster.post(subscriptions[d.subscription_id], d) for d in sendable)
        )
        for delivery, result in zip(sendable, results, strict=True):
            await self._record(delivery.id or 0, result)
        return len(due)

    async def _record(self, delivery_id: int, result: PostResult) -> None:
        now = self._clock.now()
        async with self._uow() as uow:
            # The lease ended and another deliverer took it: that one records the delivery.
            if not await uow.webhook_claims.release(delivery_id, self._owner):
                return
            delivery = await uow.webhook_deliveries.get(delivery_id)
            if delivery is None or delivery.state is not DeliveryState.PENDING:
                return
            if result.ok:
                delivery.succeeded(result.status or 200, now)
            else:
                error = result.error or f"HTTP {result.status}"
                if delivery.failed(result.status, error, now):
                    subscription = await uow.webhook_subscriptions.get(delivery.subscription_id)
                    if subscription is not None and subscription.active:
                        subscription.disable(
                            f"disabled at {now.isoformat(timespec='seconds')}: a delivery failed "
                            f"{delivery.attempts} times over 24 h; last: {error}",
                            now,
                        )
                        await uow.webhook_subscriptions.update(subscription)
            await uow.webhook_deliveries.update(delivery)
            await uow.commit()
