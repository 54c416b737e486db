"""The webhook outbox's leases in SQL, claimed as the dispatch queue claims (see ``dispatch.py``).

``UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING id`` leases a batch in one
statement: on PostgreSQL concurrent deliverers skip the rows another is claiming, and a leased row
is not due for anyone else until its lease ends. On SQLite (one writer at a time, no FOR UPDATE)
the same conditional update runs alone. The HTTP calls happen after the claim's commit.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy.tables import webhook_deliveries
from domain.webhooks import DeliveryState

_d = webhook_deliveries.c


class SqlWebhookClaims:
    def __init__(self, connection: AsyncConnection) -> None:
        self._conn = connection

    async def claim(self, *, now: datetime, lease_until: datetime, owner: str, limit: int) -> list[int]:
        due = (
            sa.select(_d.id)
            .where(
                _d.state == DeliveryState.PENDING,
                _d.next_attempt_at <= now,
                sa.or_(_d.lease_until.is_(None), _d.lease_until < now),
            )
            .order_by(_d.next_attempt_at, _d.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        statement = (
            webhook_deliveries.update()
            .where(_d.id.in_(due.scalar_subquery()))
            .values(lease_until=lease_until, lease_owner=owner)
            .returning(_d.id)
        )
        return sorted((await self._conn.execute(statement)).scalars())

    async def release(self, delivery_id: int, owner: str) -> bool:
        statement = (
            webhook_deliveries.update()
            .where(_d.id == delivery_id, _d.lease_owner == owner, _d.state == DeliveryState.PENDING)
            .values(lease_until=None, lease_owner=None)
            .returning(_d.id)
        )
        return (await self._conn.execute(statement)).first() is not None
