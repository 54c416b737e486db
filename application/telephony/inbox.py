"""The PBX webhook's inbox: an event is kept (durably) before the 200, and applied by the worker.

The PBX does not resend an event it got a 200 for, so the 200 waits for the commit that keeps the
event. Deliveries that arrive while one group commits go in the next group: one INSERT and one
commit for many events. The worker then takes the oldest events in large batches and applies them
with set-based statements (``PbxEvents.apply``) in the same transaction that removes them from the
inbox, so a crash at any point loses no event and applies none twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import timedelta

from application.ports import Clock, UnitOfWorkFactory
from application.telephony.pbx_events import PbxEvents
from domain.telephony.call_events import XsiEvent

log = logging.getLogger("switchboard.telephony")


class EventInbox:
    """Keeps delivered events, many per commit; ``accept`` returns once its event is kept."""

    def __init__(
        self, uow_factory: UnitOfWorkFactory, clock: Clock, writers: int = 1, max_group: int = 500
    ) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self._writers = writers
        """Groups committing at once: a database that takes concurrent writers (PostgreSQL) is
        latency-bound with one, as each commit waits its turn on a loaded server."""
        self._max_group = max_group
        self._pending: list[tuple[XsiEvent, asyncio.Future[None]]] = []
        self._running = 0

    async def accept(self, event: XsiEvent) -> None:
        """Keeps the event in the next group commit; raises if that commit fails."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((event, future))
        if self._running < self._writers:
            self._running += 1
            asyncio.get_running_loop().create_task(self._flush())
        await future

    async def _flush(self) -> None:
        try:
            while self._pending:
                group = self._pending[: self._max_group]
                self._pending = self._pending[self._max_group :]
                try:
                    async with self._uow_factory() as uow:
                        await uow.pbx_inbox.append_many([event for event, _ in group], self._clock.now())
                        await uow.commit()
                except Exception as error:
                    log.exception("could not keep %d PBX events; the webhook answers 500", len(group))
                    for _, future in group:
                        if not future.done():
                            future.set_exception(error)
                    continue
                for _, future in group:
                    if not future.done():
                        future.set_result(None)
        finally:
            self._running -= 1


class InboxProcessor:
    """The worker job that applies kept events, oldest first, a batch per transaction."""

    name = "pbx-inbox"

    def __init__(self, uow_factory: UnitOfWorkFactory, events: PbxEvents, batch: int = 1000) -> None:
        self._uow_factory = uow_factory
        self._events = events
        self._batch = batch

    async def run_once(self) -> int:
        """Applies up to one batch of kept events; answers how many it took."""
        try:
            async with self._uow_factory() as uow:
                entries = await uow.pbx_inbox.oldest(self._batch)
                if not entries:
                    return 0
                applied = await self._events.apply(uow, [entry.event for entry in entries])
                await uow.pbx_inbox.remove([entry.id for entry in entries])
                await uow.commit()
        except Exception:
            # One bad event must not hold up the rest: apply them one by one, setting aside what fails.
            log.warning("a batch of PBX events failed; applying them one by one", exc_info=True)
            return await self._one_by_one()
        self._events.announce(applied)
        return len(entries)

    async def waiting(self) -> int:
        """How many kept events wait to be applied."""
        async with self._uow_factory(read_only=True) as uow:
            return await uow.pbx_inbox.waiting()

    async def _one_by_one(self) -> int:
        async with self._uow_factory() as uow:  # not read-only: PostgreSQL locks the rows it takes
            entries = await uow.pbx_inbox.oldest(self._batch)
        for entry in entries:
            try:
                async with self._uow_factory() as uow:
                    applied = await self._events.apply(uow, [entry.event])
                    await uow.pbx_inbox.remove([entry.id])
                    await uow.commit()
            except Exception as error:
                log.exception("PBX event %s cannot be applied; set aside", entry.event.event_id)
                async with self._uow_factory() as uow:
                    await uow.pbx_inbox.set_aside(entry.id, f"{type(error).__name__}: {error}")
                    await uow.commit()
                continue
            self._events.announce(applied)
        return len(entries)


class SeenEventsRetention:
    """The worker job that forgets event ids older than the window (the dedup table stays small).

    The window must be longer than the PBX's redelivery horizon: an id forgotten sooner would let a
    late redelivery count twice. ``PBX_SEEN_EVENTS_DAYS`` sets it (default 7 days).
    """

    name = "pbx-seen-events-retention"

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        window: timedelta,
        every: float = 600.0,
        batch: int = 5000,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self._window = window
        self._every = every
        self._batch = batch
        self._monotonic = monotonic
        self._next_check = 0.0

    async def run_once(self) -> int:
        """Deletes one batch of old ids when due; answers how many."""
        if self._monotonic() < self._next_check:
            return 0
        async with self._uow_factory() as uow:
            removed = await uow.seen_call_events.forget_before(self._clock.now() - self._window, self._batch)
            await uow.commit()
        if removed < self._batch:  # caught up: look again after a while
            self._next_check = self._monotonic() + self._every
        return removed
