"""The background worker: a small runner of jobs (dispatch, delivery reports, and more to come).

A job is anything with a ``name`` and ``async run_once() -> int`` (how much work it did). The runner
calls each job again at once while it finds work and waits ``idle`` seconds when it finds none, so a
backlog drains at full speed and an idle worker costs next to nothing. Adding a job is one line in
``jobs()``. A job that keeps its own schedule (the PBX subscriptions) is a ``LoopJob`` instead: the
runner starts its ``run(stop)`` once and sets ``stop`` at shutdown. ``switchboard worker`` runs it
alone; ``switchboard serve`` runs it in-process too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import signal
import socket
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any, Protocol

from adapters.sandbox.sender import SandboxSender
from adapters.smtp.sender import SmtpSecurity, SmtpSender, SmtpSettings
from application.events.stream import EventRetention
from application.ports import Clock, UnitOfWorkFactory
from application.providers.router import ProviderRouter
from application.sending.dispatch import Dispatcher, DispatchPolicy
from application.sending.fallback import ChannelFallback
from application.sending.ports import ChannelSender, StatusFeed
from application.sending.ratelimit import TokenBucket
from application.sending.reports import DeliveryReports
from domain.dictionaries import ChannelKind
from entrypoints.garbage_collection import settle_after_start_up
from entrypoints.secrets import seal_kept_secrets
from entrypoints.settings import Settings

log = logging.getLogger("switchboard.worker")


class Job(Protocol):
    @property
    def name(self) -> str: ...

    async def run_once(self) -> int: ...


class LoopJob(Protocol):
    @property
    def name(self) -> str: ...

    async def run(self, stop: asyncio.Event) -> None: ...


class WorkerRunner:
    def __init__(
        self,
        jobs: Sequence[Job],
        loops: Sequence[LoopJob] = (),
        *,
        idle: float = 0.5,
        closing: Sequence[Callable[[], Awaitable[None]]] = (),
    ) -> None:
        self._jobs = jobs
        self._loops = loops
        self._closing = closing
        self._idle = idle
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        try:
            await asyncio.gather(
                *(self._loop(job) for job in self._jobs), *(loop.run(self._stopping) for loop in self._loops)
            )
        finally:
            for close in self._closing:  # the providers' connections, once nothing sends any more
                await close()

    async def _loop(self, job: Job) -> None:
        while not self._stopping.is_set():
            try:
                done = await job.run_once()
            except Exception:  # one bad batch must not end the worker; the lease brings the rows back
                log.exception("job %s failed; trying again shortly", job.name)
                done = 0
            if done == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self._idle)
        # A job that leaves work running after run_once (the pipelined dispatcher) finishes it here.
        finish = getattr(job, "finish", None)
        if finish is not None:
            try:
                await finish()
            except Exception:
                log.exception("job %s failed while finishing", job.name)


def smtp_settings(env: dict[str, str]) -> SmtpSettings:
    return SmtpSettings(
        host=env.get("SMTP_HOST", "localhost"),
        port=int(env.get("SMTP_PORT", "25")),
        username=env.get("SMTP_USERNAME") or None,
        password=env.get("SMTP_PASSWORD") or None,
        security=SmtpSecurity(env.get("SMTP_SECURITY", "none")),
        from_address=env.get("SMTP_FROM", "switchboard@localhost"),
        from_name=env.get("SMTP_FROM_NAME") or None,
        connections=int(env.get("SMTP_CONNECTIONS", "8")),
    )


def senders(sandbox: SandboxSender, env: dict[str, str]) -> dict[ChannelKind, ChannelSender]:
    """The provider of each channel kind, by configuration: EMAIL_PROVIDER=smtp, else the sandbox."""
    chosen: dict[ChannelKind, ChannelSender] = {
        kind: sandbox
        for kind in (ChannelKind.SMS, ChannelKind.EMAIL, ChannelKind.MESSENGER, ChannelKind.PUSH)
    }
    if env.get("EMAIL_PROVIDER", "sandbox") == "smtp":
        chosen[ChannelKind.EMAIL] = SmtpSender(smtp_settings(env))
    return chosen


def dispatch_policy(env: dict[str, str]) -> DispatchPolicy:
    return DispatchPolicy(
        batch=int(env.get("DISPATCH_BATCH", "200")),
        concurrency=int(env.get("DISPATCH_CONCURRENCY", "50")),
        max_attempts=int(env.get("DISPATCH_MAX_ATTEMPTS", "5")),
        lease=timedelta(seconds=float(env.get("DISPATCH_LEASE_SECONDS", "60"))),
        pipeline=env.get("DISPATCH_PIPELINE", "1") != "0",
    )


def report_hold(env: dict[str, str]) -> timedelta:
    """How long the worker holds delivery reports to apply them in bulk (REPORT_HOLD_SECONDS)."""
    return timedelta(seconds=float(env.get("REPORT_HOLD_SECONDS", "0.25")))


def buckets(chosen: dict[ChannelKind, ChannelSender], env: dict[str, str]) -> dict[str, TokenBucket]:
    """``RATE_LIMIT_<PROVIDER>`` messages a second (burst the same), e.g. RATE_LIMIT_SMTP=50."""
    made: dict[str, TokenBucket] = {}
    for sender in chosen.values():
        rate = env.get(f"RATE_LIMIT_{sender.provider.upper()}")
        if rate and sender.provider not in made:
            made[sender.provider] = TokenBucket(float(rate), max(1, int(float(rate))), time.monotonic)
    return made


def jobs(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    sandbox: SandboxSender,
    env: dict[str, str] | None = None,
    router: ProviderRouter | None = None,
    fallback: ChannelFallback | None = None,
) -> list[Job]:
    """The worker's jobs. The telephony and mailing schedulers add theirs here.

    ``router`` (the container's, so that the API shows its circuits) chooses the providers; without
    it, one provider per channel kind by EMAIL_PROVIDER as before.
    """
    env = dict(os.environ if env is None else env)
    chosen = senders(sandbox, env)
    owner = env.get("WORKER_ID") or f"{socket.gethostname()}:{os.getpid()}"
    feeds: list[StatusFeed] = [sandbox]
    return [
        Dispatcher(
            uow_factory,
            clock,
            chosen,
            buckets(chosen, env),
            dispatch_policy(env),
            owner,
            random.Random(),
            router=router,
            fallback=fallback,
        ),
        DeliveryReports(uow_factory, clock, feeds, fallback, hold=report_hold(env)),
    ]


def telephony_jobs(container: Any) -> list[LoopJob]:
    """The PBX subscription keeper, when a PBX is configured."""
    from entrypoints.jobs.pbx_subscriptions import PbxSubscriptionJob

    telephony = container.telephony
    if telephony.pbx() is None:
        return []
    return [
        PbxSubscriptionJob(
            telephony.pbx_subscriptions(),
            telephony.doorbell(),
            container.core.clock(),
            check_interval=timedelta(seconds=telephony.settings().pbx_check_seconds),
        )
    ]


def telephony_batch_jobs(container: Any) -> list[Job]:
    """The PBX event inbox and the retention of seen event ids."""
    telephony = container.telephony
    return [telephony.inbox_processor(), telephony.seen_events_retention()]


def runner_for(container: Any) -> WorkerRunner:
    core = container.core
    uow_factory = container.storage.uow_factory()
    router = container.delivery.router()
    retention = EventRetention(uow_factory, core.clock())
    return WorkerRunner(
        [
            *jobs(
                uow_factory,
                core.clock(),
                core.sandbox(),
                router=router,
                fallback=container.use_cases.channel_fallback(),
            ),
            *telephony_batch_jobs(container),
            container.use_cases.materialiser(),
            container.use_cases.mailing_scheduler(),
            container.delivery.webhook_deliverer(),
        ],
        [*telephony_jobs(container), container.delivery.refresh(), retention],
        closing=[router.close, container.delivery.webhook_poster().close],
    )


class InProcessWorker:
    """The worker as a task of the API process: the embedded default works end to end."""

    def __init__(self, runner: WorkerRunner) -> None:
        self._runner = runner
        self._task = asyncio.create_task(runner.run(), name="switchboard-worker")

    async def stop(self) -> None:
        self._runner.stop()
        await self._task


def start_in_process_worker(container: Any) -> InProcessWorker:
    return InProcessWorker(runner_for(container))


async def run_until_terminated(runner: WorkerRunner) -> None:
    """Runs the worker process's runner; SIGTERM stops it as ``stop`` does, so the process exits 0.

    Stopping lets every job finish what it has in flight (the dispatcher sends and records the
    batches it claimed, the held delivery reports are applied) rather than leave those to the
    lease. Start-up's objects are frozen first, as in the server: a worker's heap grows with the
    sandbox's kept messages and the reports it plans, and the collector walked it all again and
    again (the worker's CPU a message fell by about a third; see docs/decisions.md).
    """
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, runner.stop)
    settle_after_start_up()
    try:
        await runner.run()
    finally:
        loop.remove_signal_handler(signal.SIGTERM)


async def close_event_bus(container: Any) -> None:
    """Ends the LISTEN connection, if the doorbell keeps one."""
    close = getattr(container.storage.events_bus(), "close", None)
    if close is not None:
        await close()


def run_worker(settings: Settings) -> None:
    from entrypoints.cli import migrate
    from entrypoints.container import build_container

    if settings.storage != "sql":
        raise SystemExit(
            "switchboard worker needs shared storage: set DATABASE_URL (memory mode runs in serve)"
        )
    migrate(settings)

    async def main() -> None:
        container = build_container(settings)
        await seal_kept_secrets(container)
        runner = runner_for(container)
        log.info("worker started")
        try:
            await run_until_terminated(runner)
        finally:
            await close_event_bus(container)
            engine = container.storage.engine()
            if engine is not None:
                await engine.dispose()

    asyncio.run(main())
