"""Keeps the PBX event subscriptions alive (seed 004): renew before expiry, recreate lost ones.

A round renews what is due and retries what failed; every ``check_interval`` it also asks the PBX
whether its subscriptions still exist. A SubscriptionTerminatedEvent rings the doorbell, which
starts a round at once. Errors are logged and retried next round; they never end the job.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from adapters.memory.live_feed import Doorbell
from application.ports import Clock
from application.telephony.subscriptions import Maintenance, PbxSubscriptionService

log = logging.getLogger("switchboard.jobs.pbx")


class PbxSubscriptionJob:
    name = "pbx-subscriptions"

    def __init__(
        self,
        service: PbxSubscriptionService,
        doorbell: Doorbell,
        clock: Clock,
        *,
        round_seconds: float = 30.0,
        check_interval: timedelta = timedelta(minutes=5),
    ) -> None:
        self._service = service
        self._doorbell = doorbell
        self._clock = clock
        self._round_seconds = round_seconds
        self._check_interval = check_interval
        self._next_check: datetime | None = None

    async def run_once(self) -> Maintenance:
        """One round: check existence when it is time, then renew, recreate and retry."""
        now = self._clock.now()
        if self._next_check is None or now >= self._next_check:
            self._next_check = now + self._check_interval
            lost = await self._service.check_alive()
            if lost:
                log.warning("%d PBX subscription(s) lost; recreating", lost)
        done = await self._service.maintain()
        if done.renewed or done.recreated or done.failed:
            log.info(
                "PBX subscriptions: %s renewed, %s recreated, %s failed",
                done.renewed,
                done.recreated,
                done.failed,
            )
        return done

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception:  # a bug or an outage must not end the job: log it, try again next round
                log.exception("PBX subscription round failed; retrying in %s s", self._round_seconds)
            await self._pause(stop)

    async def _pause(self, stop: asyncio.Event) -> None:
        """Until the next round: the round time passes, the doorbell rings, or the job is stopped."""
        stopped = asyncio.ensure_future(stop.wait())
        rung = asyncio.ensure_future(self._doorbell.wait(self._round_seconds))
        try:
            await asyncio.wait({stopped, rung}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (stopped, rung):
                task.cancel()
