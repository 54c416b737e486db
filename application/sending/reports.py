"""Provider status reports move communications along the delivery state machine."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from application.communications.listing import CommunicationFilter
from application.events.status import StatusWatch
from application.ports import Clock, UnitOfWorkFactory
from application.queries import Query
from application.sending.conflicts import on_fresh_state
from application.sending.fallback import ChannelFallback, follow_up
from application.sending.ports import StatusFeed, StatusReport
from application.webhooks.outbox import publish_many, status_events
from domain.access import Principal, Process

PROVIDER_PROCESS = Principal.process(Process.PROVIDER)


class DeliveryReports:
    """Applies the reports that providers push on their own (the sandbox's simulated callbacks).

    ``hold``: how long a taken report may wait for others before it is applied. Each apply costs
    a handful of statements whatever its size, and a busy worker takes reports a few dozen at a
    time; holding them a moment applies them a thousand at a time (the worker holds them 0.25 s).
    ``most`` reports go in one transaction. Held reports are applied by ``finish`` at shutdown.
    """

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        feeds: Sequence[StatusFeed],
        fallback: ChannelFallback | None = None,
        *,
        hold: timedelta = timedelta(0),
        most: int = 2000,
    ) -> None:
        self._fallback = fallback
        self._uow = uow_factory
        self._clock = clock
        self._feeds = feeds
        self._hold = hold
        self._most = most
        self._held: list[StatusReport] = []
        self._held_since: datetime | None = None

    @property
    def name(self) -> str:
        return "delivery-reports"

    async def run_once(self) -> int:
        """Applies the delivery reports providers sent; returns how many (0 while it holds them)."""
        now = self._clock.now()
        for feed in self._feeds:
            self._held.extend(await feed.take_reports(now))
        if not self._held:
            return 0
        if self._held_since is None:
            self._held_since = now
        if len(self._held) < self._most and now - self._held_since < self._hold:
            return 0
        return await self._apply_held()

    async def finish(self) -> None:
        """Apply the reports still held (the runner calls it before stopping)."""
        while self._held:
            await self._apply_held()

    async def _apply_held(self) -> int:
        batch, self._held = self._held[: self._most], self._held[self._most :]
        self._held_since = self._clock.now() if self._held else None
        return await self.apply(batch)

    async def apply(self, reports: Sequence[StatusReport]) -> int:
        """Record each report on its communication; returns how many changed a status."""
        # The reports were taken from the provider: a record of the same sends committed meanwhile
        # must not lose them, so they are applied again on the new state.
        return await on_fresh_state(lambda: self._apply_once(reports))

    async def _apply_once(self, reports: Sequence[StatusReport]) -> int:
        known = [r for r in reports if r.uuid is not None]
        actor = PROVIDER_PROCESS.actor
        changed = 0
        async with self._uow() as uow:
            uuids = tuple(dict.fromkeys(r.uuid for r in known if r.uuid))
            found = await uow.communications.find(
                Query(CommunicationFilter(uuids=uuids).criteria(), limit=max(1, len(uuids)))
            )
            by_uuid = {c.uuid: c for c in found}
            watch = StatusWatch(found)
            touched = {}
            for report in known:
                communication = by_uuid.get(report.uuid or "")
                if communication is None:
                    continue
                if communication.record_delivery(
                    report.status, at=report.at, actor=actor, reason=report.reason
                ):
                    changed += 1
                    if report.reply:
                        communication.edit(at=report.at, actor=actor, result=report.reply)
                    touched[communication.uuid] = communication
            # A failed or undelivered report tries the send's next channel (before the notes are stored).
            await follow_up(self._fallback, uow, list(touched.values()), self._clock.now())
            await uow.communications.update_many(list(touched.values()))
            # The outbox, in this transaction: the CRM hears of exactly the changes committed.
            await publish_many(uow, status_events(list(touched.values())), self._clock.now())
            await watch.record(uow, touched.values())
            await uow.commit()
        return changed
