"""The dispatch queue in SQL: lease due rows in one statement, settle them in another.

``UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING`` claims a batch in a
single round trip. On PostgreSQL concurrent workers skip the rows another is claiming; on SQLite
(one writer at a time, and no FOR UPDATE) the same statement simply runs alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy.sending import dispatch_queue, queued_message
from application.sending.queue import Claimed, Settled

_q = dispatch_queue.c


class SqlDispatchQueue:
    def __init__(self, connection: AsyncConnection) -> None:
        self._conn = connection

    async def claim(self, *, now: datetime, lease_until: datetime, owner: str, limit: int) -> list[Claimed]:
        due = (
            sa.select(_q.communication_id)
            .where(
                _q.pending.is_(True),
                _q.due_at <= now,
                sa.or_(_q.lease_until.is_(None), _q.lease_until < now),
            )
            .order_by(_q.due_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        statement = (
            dispatch_queue.update()
            .where(_q.communication_id.in_(due.scalar_subquery()))
            .values(lease_until=lease_until, lease_owner=owner)
            .returning(*dispatch_queue.c)
        )
        rows = (await self._conn.execute(statement)).all()
        return [Claimed(message=queued_message(r), lease_until=lease_until) for r in rows]

    async def settle(self, owner: str, outcomes: Sequence[Settled]) -> list[int]:
        if not outcomes:
            return []
        ids = [o.communication_id for o in outcomes]
        held_query = (
            sa.select(_q.communication_id)
            .where(_q.communication_id.in_(ids), _q.lease_owner == owner, _q.pending.is_(True))
            .with_for_update()
        )
        held = set((await self._conn.execute(held_query)).scalars())
        done = [
            {"key": o.communication_id, "attempts": o.attempts}
            for o in outcomes
            if o.communication_id in held and o.retry_at is None
        ]
        again = [
            {"key": o.communication_id, "attempts": o.attempts, "retry_at": o.retry_at, "error": o.error}
            for o in outcomes
            if o.communication_id in held and o.retry_at is not None
        ]
        key: sa.BindParameter[int] = sa.bindparam("key")
        if done:
            await self._conn.execute(
                dispatch_queue.update()
                .where(_q.communication_id == key)
                .values(pending=False, attempts=sa.bindparam("attempts"), lease_until=None, lease_owner=None),
                done,
            )
        if again:
            await self._conn.execute(
                dispatch_queue.update()
                .where(_q.communication_id == key)
                .values(
                    attempts=sa.bindparam("attempts"),
                    due_at=sa.bindparam("retry_at"),
                    last_error=sa.bindparam("error"),
                    lease_until=None,
                    lease_owner=None,
                ),
                again,
            )
        return sorted(held)

    async def pending_count(self) -> int:
        statement = sa.select(sa.func.count()).select_from(dispatch_queue).where(_q.pending.is_(True))
        return int((await self._conn.execute(statement)).scalar_one())
