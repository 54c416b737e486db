"""Mailings in memory: the fake twin of adapters/sqlalchemy/mailings.py."""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

from adapters.memory.repositories import MemoryRepository, Table
from domain.mailings import Mailing, MailingRun, RunState


class MailingTables:
    def __init__(self) -> None:
        self.mailings: Table[Mailing] = Table()
        self.runs: Table[MailingRun] = Table()

    def copy(self) -> MailingTables:
        clone = MailingTables()
        clone.mailings = self.mailings.copy()
        clone.runs = self.runs.copy()
        return clone


class MemoryMailings(MemoryRepository[Mailing]):
    def __init__(self, tables: MailingTables) -> None:
        super().__init__(tables.mailings, "mailing")
        self._runs = tables.runs

    async def page(self, limit: int, offset: int) -> list[Mailing]:
        rows = sorted(self._table.rows.values(), key=lambda m: m.id or 0)
        return [copy.deepcopy(m) for m in rows[offset : offset + limit]]

    async def total(self) -> int:
        return len(self._table.rows)

    async def claim_due(self, now: datetime, limit: int) -> list[Mailing]:
        # The store's lock makes the fake's transactions serial: the claim is atomic here.
        due = sorted(
            (m for m in self._table.rows.values() if m.is_due(now)),
            key=lambda m: (m.next_run_at or now, m.id or 0),
        )[:limit]
        claimed = []
        for stored in due:
            mailing = copy.deepcopy(stored)
            mailing.claim(now)
            self._table.rows[mailing.id or 0] = copy.deepcopy(mailing)
            claimed.append(mailing)
        return claimed

    async def delete(self, entity_id: int) -> None:
        for run_id in [r.id for r in self._runs.rows.values() if r.mailing_id == entity_id]:
            self._runs.rows.pop(run_id or 0, None)
        await super().delete(entity_id)


class MemoryMailingRuns(MemoryRepository[MailingRun]):
    def __init__(self, tables: MailingTables) -> None:
        super().__init__(tables.runs, "mailing run")

    async def of_mailing(self, mailing_id: int) -> list[MailingRun]:
        runs = (r for r in self._table.rows.values() if r.mailing_id == mailing_id)
        return [copy.deepcopy(r) for r in sorted(runs, key=lambda r: r.id or 0)]

    async def open_run(self, mailing_id: int) -> MailingRun | None:
        runs = await self.of_mailing(mailing_id)
        return next((r for r in reversed(runs) if r.state is RunState.STARTING), None)

    async def mailings_of_sends(self, send_ids: Collection[int]) -> Mapping[int, int]:
        wanted = set(send_ids)
        return {r.send_id: r.mailing_id for r in self._table.rows.values() if r.send_id in wanted}

    async def sends_of(self, mailing_id: int) -> Sequence[int]:
        return [r.send_id for r in await self.of_mailing(mailing_id) if r.send_id is not None]
