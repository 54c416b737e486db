"""The dispatch queue in memory: the same leases as SQL, one transaction at a time."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import datetime

from adapters.memory.sends import SendTables
from application.sending.queue import Claimed, Settled


class MemoryDispatchQueue:
    def __init__(self, tables: SendTables) -> None:
        self._t = tables

    async def claim(
        self,
        *,
        now: datetime,
        lease_until: datetime,
        owner: str,
        limit: int,
        skip: Collection[int] = (),
    ) -> list[Claimed]:
        skipped = set(skip)
        due = sorted(
            (
                e
                for e in self._t.queue.values()
                if e.pending
                and e.message.due_at <= now
                and (e.lease_until is None or e.lease_until < now)
                and e.message.communication_id not in skipped
            ),
            key=lambda e: (e.message.due_at, e.message.communication_id),
        )[:limit]
        claimed = []
        for entry in due:
            key = entry.message.communication_id
            self._t.queue[key] = replace(entry, lease_until=lease_until, lease_owner=owner)
            claimed.append(Claimed(message=entry.message, lease_until=lease_until, send_id=entry.send_id))
        return claimed

    async def settle(self, owner: str, outcomes: Sequence[Settled]) -> list[int]:
        held = []
        for outcome in outcomes:
            entry = self._t.queue.get(outcome.communication_id)
            if entry is None or not entry.pending or entry.lease_owner != owner:
                continue
            held.append(outcome.communication_id)
            message = replace(entry.message, attempts=outcome.attempts)
            if outcome.retry_at is None:
                self._t.queue[outcome.communication_id] = replace(
                    entry, message=message, pending=False, lease_until=None, lease_owner=None
                )
            else:
                message = replace(message, due_at=outcome.retry_at)
                self._t.queue[outcome.communication_id] = replace(
                    entry, message=message, lease_until=None, lease_owner=None, last_error=outcome.error
                )
        return sorted(held)

    async def pending_count(self) -> int:
        # A bulk send's recipients whose messages are not made yet wait to be sent too.
        return sum(1 for e in self._t.queue.values() if e.pending) + len(self._t.pending)
