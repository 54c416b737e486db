"""Mailings in SQL. A due run is claimed by one conditional UPDATE (with ``FOR UPDATE SKIP LOCKED``
on PostgreSQL), so concurrent workers never start the same run twice."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy import tables as t
from adapters.sqlalchemy.repository import SqlRepository
from domain.mailings import RUN_LEASE, Mailing, MailingRun, MailingStatus, RunState


def _due(now: datetime) -> sa.ColumnElement[bool]:
    """``Mailing.is_due`` in SQL: scheduled and due, or running with an expired lease."""
    m = t.mailings.c
    return sa.or_(
        sa.and_(m.status == MailingStatus.SCHEDULED, m.next_run_at.is_not(None), m.next_run_at <= now),
        sa.and_(m.status == MailingStatus.RUNNING, m.lease_until.is_not(None), m.lease_until <= now),
    )


class SqlMailings(SqlRepository[Mailing]):
    def __init__(self, conn: AsyncConnection) -> None:
        super().__init__(conn, t.mailings, Mailing, "mailing")

    async def page(self, limit: int, offset: int) -> list[Mailing]:
        return await self._load(sa.select(t.mailings).order_by(t.mailings.c.id).limit(limit).offset(offset))

    async def total(self) -> int:
        statement = sa.select(sa.func.count()).select_from(t.mailings)
        return int((await self._conn.execute(statement)).scalar_one())

    async def claim_due(self, now: datetime, limit: int) -> list[Mailing]:
        m = t.mailings
        candidates = sa.select(m.c.id).where(_due(now)).order_by(m.c.next_run_at, m.c.id).limit(limit)
        if self._conn.dialect.name == "postgresql":
            # Rows another worker is claiming are skipped, not waited for.
            candidates = candidates.with_for_update(skip_locked=True)
        ids = list((await self._conn.execute(candidates)).scalars())
        if not ids:
            return []
        # The condition is repeated: whatever another transaction did meanwhile, only a row that is
        # still due is taken (SQLite has no row locks; the UPDATE itself is the claim there).
        claim = (
            m.update()
            .where(m.c.id.in_(ids), _due(now))
            .values(status=MailingStatus.RUNNING, lease_until=now + RUN_LEASE, update_time=now)
            .returning(m.c.id)
        )
        claimed = list((await self._conn.execute(claim)).scalars())
        if not claimed:
            return []
        found = await self._load(sa.select(m).where(m.c.id.in_(claimed)).order_by(m.c.next_run_at, m.c.id))
        return found

    async def delete(self, entity_id: int) -> None:
        await self._conn.execute(t.mailing_runs.delete().where(t.mailing_runs.c.mailing_id == entity_id))
        await super().delete(entity_id)


class SqlMailingRuns(SqlRepository[MailingRun]):
    def __init__(self, conn: AsyncConnection) -> None:
        super().__init__(conn, t.mailing_runs, MailingRun, "mailing run")

    async def of_mailing(self, mailing_id: int) -> list[MailingRun]:
        r = t.mailing_runs
        return await self._load(sa.select(r).where(r.c.mailing_id == mailing_id).order_by(r.c.id))

    async def open_run(self, mailing_id: int) -> MailingRun | None:
        r = t.mailing_runs
        statement = (
            sa.select(r)
            .where(r.c.mailing_id == mailing_id, r.c.state == RunState.STARTING)
            .order_by(r.c.id.desc())
            .limit(1)
        )
        found = await self._load(statement)
        return found[0] if found else None

    async def mailings_of_sends(self, send_ids: Collection[int]) -> Mapping[int, int]:
        if not send_ids:
            return {}
        r = t.mailing_runs
        statement = sa.select(r.c.send_id, r.c.mailing_id).where(r.c.send_id.in_(list(send_ids)))
        return {int(send): int(mailing) for send, mailing in await self._conn.execute(statement)}

    async def sends_of(self, mailing_id: int) -> Sequence[int]:
        r = t.mailing_runs
        statement = (
            sa.select(r.c.send_id)
            .where(r.c.mailing_id == mailing_id, r.c.send_id.is_not(None))
            .order_by(r.c.id)
        )
        return [int(s) for s in (await self._conn.execute(statement)).scalars()]
