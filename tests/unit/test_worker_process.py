"""The worker process's run: SIGTERM stops it cleanly, and start-up's objects are frozen first."""

from __future__ import annotations

import asyncio
import gc
import os
import signal
from collections.abc import Iterator

import pytest

from entrypoints.garbage_collection import YOUNG_THRESHOLD
from entrypoints.worker import WorkerRunner, run_until_terminated


@pytest.fixture
def restored_collector() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()  # the test process must collect as usual afterwards
    gc.set_threshold(*threshold)


class InFlightJob:
    """A job that keeps work running after ``run_once``, as the pipelined dispatcher does."""

    name = "in-flight"

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.in_flight = 0
        self.finished_with: int | None = None

    async def run_once(self) -> int:
        self.in_flight += 1
        self.started.set()
        await asyncio.sleep(0)
        return 1

    async def finish(self) -> None:
        await asyncio.sleep(0.01)  # the last batch's record
        self.finished_with = self.in_flight
        self.in_flight = 0


@pytest.mark.usefixtures("restored_collector")
async def test_sigterm_lets_the_jobs_finish_what_they_have_in_flight_then_returns() -> None:
    job = InFlightJob()
    running = asyncio.create_task(run_until_terminated(WorkerRunner([job], idle=0.01)))
    await asyncio.wait_for(job.started.wait(), 10)
    # Installed by now, so the signal below reaches the handler, not the test process's default.
    assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, None)
    os.kill(os.getpid(), signal.SIGTERM)
    await asyncio.wait_for(running, 10)
    assert job.finished_with is not None and job.finished_with > 0
    assert job.in_flight == 0


@pytest.mark.usefixtures("restored_collector")
async def test_the_handler_is_gone_once_the_runner_returns() -> None:
    runner = WorkerRunner([], idle=0.01)
    await run_until_terminated(runner)  # no jobs: returns at once
    assert not asyncio.get_running_loop().remove_signal_handler(signal.SIGTERM)


@pytest.mark.usefixtures("restored_collector")
async def test_start_up_objects_are_frozen_before_the_jobs_run() -> None:
    seen: list[tuple[int, tuple[int, int, int]]] = []

    class Probe:
        name = "probe"

        async def run_once(self) -> int:
            seen.append((gc.get_freeze_count(), gc.get_threshold()))
            runner.stop()
            return 0

    runner = WorkerRunner([Probe()], idle=0.01)
    await run_until_terminated(runner)
    (frozen, threshold), *_ = seen
    assert frozen > 0
    assert threshold[0] == YOUNG_THRESHOLD
