"""The events log in memory: the same behaviour as the SQL table, for tests and the sandbox mode."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from application.events.ports import Event, EventFilter, StoredEvent


@dataclass
class EventTable:
    """The committed events; a unit of work adds to it only when it commits (no copy per transaction)."""

    rows: list[StoredEvent] = field(default_factory=list)
    next_id: int = 1


def selects(where: EventFilter, event: Event) -> bool:
    return (
        (where.send_id is None or event.send_id == where.send_id)
        and (where.mailing_id is None or event.mailing_id == where.mailing_id)
        and (where.client_id is None or event.client_id == where.client_id)
    )


class MemoryEventLog:
    def __init__(self, table: EventTable) -> None:
        self._t = table
        self._pending: list[tuple[Event, datetime]] = []
        self._cutoff: datetime | None = None

    @property
    def appended(self) -> bool:
        return bool(self._pending)

    async def append(self, events: Sequence[Event], at: datetime) -> None:
        self._pending.extend((event, at) for event in events)

    async def after(self, last_id: int, where: EventFilter, limit: int) -> list[StoredEvent]:
        found: list[StoredEvent] = []
        for row in self._t.rows[bisect_right(self._t.rows, last_id, key=lambda r: r.id) :]:
            if selects(where, row.event):
                found.append(row)
                if len(found) == limit:
                    break
        return found

    async def last_id(self) -> int:
        return self._t.next_id - 1

    async def delete_before(self, cutoff: datetime) -> int:
        self._cutoff = cutoff
        return sum(1 for r in self._t.rows if r.created_at < cutoff)

    def commit(self) -> None:
        """Apply this transaction's changes to the shared table (the unit of work holds the lock)."""
        if self._cutoff is not None:
            cutoff = self._cutoff
            self._t.rows[:] = [r for r in self._t.rows if r.created_at >= cutoff]
        for event, at in self._pending:
            self._t.rows.append(StoredEvent(id=self._t.next_id, event=event, created_at=at))
            self._t.next_id += 1
