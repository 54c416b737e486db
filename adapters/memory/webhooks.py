"""The webhook outbox's leases in memory: the same rules as SQL, one transaction at a time."""

from __future__ import annotations

from datetime import datetime

from adapters.memory.repositories import Table
from domain.webhooks import DeliveryState, WebhookDelivery

Leases = dict[int, tuple[datetime, str]]
"""By delivery id: until when, and to whom."""


class MemoryWebhookClaims:
    def __init__(self, deliveries: Table[WebhookDelivery], leases: Leases) -> None:
        self._deliveries = deliveries
        self._leases = leases

    async def claim(self, *, now: datetime, lease_until: datetime, owner: str, limit: int) -> list[int]:
        due = sorted(
            (
                (d.next_attempt_at, i)
                for i, d in self._deliveries.rows.items()
                if d.state is DeliveryState.PENDING
                and d.next_attempt_at is not None
                and d.next_attempt_at <= now
                and (i not in self._leases or self._leases[i][0] < now)
            )
        )[:limit]
        for _, i in due:
            self._leases[i] = (lease_until, owner)
        return sorted(i for _, i in due)

    async def release(self, delivery_id: int, owner: str) -> bool:
        delivery = self._deliveries.rows.get(delivery_id)
        lease = self._leases.get(delivery_id)
        if delivery is None or delivery.state is not DeliveryState.PENDING:
            return False
        if lease is None or lease[1] != owner:
            return False
        del self._leases[delivery_id]
        return True
