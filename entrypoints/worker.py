"""Runs background jobs until stopped: in the server process (embedded default) or on its own."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, Protocol

from entrypoints.container import Container
from entrypoints.jobs.pbx_subscriptions import PbxSubscriptionJob

log = logging.getLogger("switchboard.worker")


class Job(Protocol):
    name: str

    async def run(self, stop: asyncio.Event) -> None: ...


def telephony_jobs(container: Container) -> list[Job]:
    telephony: Any = container.telephony
    if telephony.pbx() is None:
        return []
    settings = telephony.settings()
    return [
        PbxSubscriptionJob(
            telephony.pbx_subscriptions(),
            telephony.doorbell(),
            container.core.clock(),
            check_interval=timedelta(seconds=settings.pbx_check_seconds),
        )
    ]


def all_jobs(container: Container) -> list[Job]:
    return [*telephony_jobs(container)]


class Worker:
    """Starts each job as a task; ``stop()`` asks them to end and waits for them."""

    def __init__(self, jobs: Sequence[Job]) -> None:
        self._jobs = list(jobs)
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        for job in self._jobs:
            log.info("starting job %s", job.name)
            self._tasks.append(asyncio.create_task(job.run(self._stop), name=job.name))

    async def stop(self) -> None:
        self._stop.set()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
