"""The webhook outbox's lease: each due delivery is handed to one deliverer at a time."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class WebhookClaims(Protocol):
    """Leases on the outbox's due deliveries, so that two worker processes never post one twice."""

    async def claim(self, *, now: datetime, lease_until: datetime, owner: str, limit: int) -> list[int]:
        """Lease up to ``limit`` due pending deliveries to ``owner``, oldest first; their ids.

        Others skip a leased delivery until ``lease_until``; rows another transaction is claiming
        are skipped, not waited for.
        """

    async def release(self, delivery_id: int, owner: str) -> bool:
        """End ``owner``'s lease on the delivery, keeping its row locked to this transaction;
        False when the lease is no longer ``owner``'s (expired and taken) or it is not pending."""
