"""Following the events log: what an SSE connection reads, and the job that keeps the log short."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

from application.events.ports import EventBus, EventFilter, StoredEvent
from application.ports import Clock, UnitOfWorkFactory

BATCH = 500
log = logging.getLogger("switchboard.events")
RETENTION = timedelta(hours=1)
"""Longer than the 10 minutes a reader may be away and still resume without loss."""


class EventStream:
    """Reads events after a given id, then waits for the doorbell (or a timer) for more."""

    def __init__(self, uow_factory: UnitOfWorkFactory, bus: EventBus, *, poll: float = 5.0) -> None:
        self._uow = uow_factory
        self._bus = bus
        self._poll = poll

    async def now(self) -> int:
        """The id a new reader starts after: it sees the events committed from now on."""
        async with self._uow(read_only=True) as uow:
            return await uow.events.last_id()

    async def follow(
        self, last_id: int | None, where: EventFilter, *, idle: float = 15.0, poll: float | None = None
    ) -> AsyncIterator[StoredEvent | None]:
        """Events after ``last_id`` (None: from now), oldest first; None after ``idle`` quiet seconds.

        The log is read again on every ring and at least every ``poll`` seconds, so a lost ring
        (a dropped LISTEN connection) delays an event by at most ``poll``.
        """
        poll = self._poll if poll is None else poll
        async with self._bus.subscribe() as subscription:
            # Subscribed first, then the starting point: a change committed in between is read.
            cursor = await self.now() if last_id is None else last_id
            quiet = 0.0
            while True:
                async with self._uow(read_only=True) as uow:
                    found = await uow.events.after(cursor, where, BATCH)
                for stored in found:
                    cursor = stored.id
                    yield stored
                if found:
                    quiet = 0.0
                    if len(found) == BATCH:
                        continue
                if quiet >= idle:
                    quiet = 0.0
                    yield None
                wait = min(poll, idle - quiet)
                started = asyncio.get_running_loop().time()
                await subscription.wait(wait)
                quiet += asyncio.get_running_loop().time() - started


class EventRetention:
    """Deletes events older than ``keep``, every ``every``: a loop job of the worker."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        *,
        keep: timedelta = RETENTION,
        every: timedelta = timedelta(minutes=1),
    ) -> None:
        self._uow = uow_factory
        self._clock = clock
        self._keep = keep
        self._every = every

    @property
    def name(self) -> str:
        return "event-retention"

    async def run_once(self) -> int:
        """Delete the expired events once; returns how many."""
        async with self._uow() as uow:
            deleted = await uow.events.delete_before(self._clock.now() - self._keep)
            await uow.commit()
        return deleted

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception:  # the next round tries again; a long log only costs disk meanwhile
                log.exception("deleting old events failed")
            try:
                await asyncio.wait_for(stop.wait(), self._every.total_seconds())
            except TimeoutError:
                continue
