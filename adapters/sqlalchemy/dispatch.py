"""The dispatch queue in SQL: lease due rows in one statement, settle them in another.

``UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING`` claims a batch in a
single round trip. On PostgreSQL concurrent workers skip the rows another is claiming, and the
claim runs on the driver (SQLAlchemy's result rows cost more CPU than the claim itself); on SQLite
(one writer at a time, and no FOR UPDATE) the same statement simply runs alone. On PostgreSQL a
batch is settled by one ``UPDATE ... FROM unnest(arrays) ... RETURNING`` too: each queue row is
written once when claimed and once when settled, and the statement's text never changes.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy.bulk import among
from adapters.sqlalchemy.fastpath import driver_rows
from adapters.sqlalchemy.sending import dispatch_queue, queued_message, send_pending
from adapters.sqlalchemy.types import UtcDateTime
from application.sending.queue import Claimed, Settled

_q = dispatch_queue.c

# A row due again (retry_at given) stays pending with its error; one without is done. Only rows
# this owner still holds are written, and their ids come back.
_SETTLE = sa.text(
    "UPDATE dispatch_queue SET pending = given.retry_at IS NOT NULL, attempts = given.attempts, "
    "due_at = COALESCE(given.retry_at, dispatch_queue.due_at), "
    "last_error = CASE WHEN given.retry_at IS NULL THEN dispatch_queue.last_error ELSE given.error END, "
    "lease_until = NULL, lease_owner = NULL "
    "FROM unnest(CAST(:ids AS BIGINT[]), CAST(:attempts AS INTEGER[]), "
    "CAST(:retry_at AS TIMESTAMP WITH TIME ZONE[]), CAST(:errors AS TEXT[])) "
    "AS given(id, attempts, retry_at, error) "
    "WHERE dispatch_queue.communication_id = given.id AND dispatch_queue.lease_owner = :owner "
    "AND dispatch_queue.pending RETURNING dispatch_queue.communication_id"
).bindparams(
    sa.bindparam("ids", type_=postgresql.ARRAY(sa.BigInteger)),
    sa.bindparam("attempts", type_=postgresql.ARRAY(sa.Integer)),
    sa.bindparam("retry_at", type_=postgresql.ARRAY(UtcDateTime())),
    sa.bindparam("errors", type_=postgresql.ARRAY(sa.Text)),
)


def _claim_statement(
    now: Any, skip: sa.ColumnElement[bool] | None, limit: Any, lease: Any, owner: Any
) -> Any:
    """The claim: lease the oldest due rows nobody holds (a bound parameter or a value each)."""
    due = (
        sa.select(_q.communication_id)
        .where(
            _q.pending.is_(True),
            _q.due_at <= now,
            sa.or_(_q.lease_until.is_(None), _q.lease_until < now),
            *([] if skip is None else [skip]),
        )
        .order_by(_q.due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return (
        dispatch_queue.update()
        .where(_q.communication_id.in_(due.scalar_subquery()))
        .values(lease_until=lease, lease_owner=owner)
        .returning(*dispatch_queue.c)
    )


# PostgreSQL's claim, built once and run on the driver; every value passes its column's processors.
_CLAIM = _claim_statement(
    sa.bindparam("now", type_=UtcDateTime()),
    sa.not_(_q.communication_id == sa.any_(sa.bindparam("skip", type_=postgresql.ARRAY(sa.BigInteger)))),
    sa.bindparam("limit", type_=sa.Integer),
    sa.bindparam("lease", type_=UtcDateTime()),
    sa.bindparam("owner", type_=sa.String),
)


class _Named(dict[str, Any]):
    """A driver row read by attribute, as ``queued_message`` reads SQLAlchemy's rows."""

    __getattr__ = dict.__getitem__


class SqlDispatchQueue:
    def __init__(self, connection: AsyncConnection) -> None:
        self._conn = connection

    async def claim(
        self,
        *,
        now: datetime,
        lease_until: datetime,
        owner: str,
        limit: int,
        skip: Collection[int] = (),
    ) -> list[Claimed]:
        if self._conn.dialect.name == "postgresql":
            values = {"now": now, "skip": list(skip), "limit": limit, "lease": lease_until, "owner": owner}
            rows: Sequence[Any] = [_Named(r) for r in await driver_rows(self._conn, _CLAIM, values)]
        else:
            skipped = sa.not_(among(_q.communication_id, list(skip), self._conn.dialect)) if skip else None
            statement = _claim_statement(now, skipped, limit, lease_until, owner)
            rows = (await self._conn.execute(statement)).all()
        return [Claimed(message=queued_message(r), lease_until=lease_until, send_id=r.send_id) for r in rows]

    async def settle(self, owner: str, outcomes: Sequence[Settled]) -> list[int]:
        if not outcomes:
            return []
        ids = [o.communication_id for o in outcomes]
        if self._conn.dialect.name == "postgresql":
            arrays = {
                "ids": ids,
                "attempts": [o.attempts for o in outcomes],
                "retry_at": [o.retry_at for o in outcomes],
                "errors": [o.error for o in outcomes],
            }
            return sorted((await self._conn.execute(_SETTLE, {**arrays, "owner": owner})).scalars())
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
        queued = sa.select(sa.func.count()).select_from(dispatch_queue).where(_q.pending.is_(True))
        # A bulk send's recipients whose messages are not made yet wait to be sent too.
        waiting = sa.select(sa.func.count()).select_from(send_pending)
        statement = sa.select(queued.scalar_subquery() + waiting.scalar_subquery())
        return int((await self._conn.execute(statement)).scalar_one())
