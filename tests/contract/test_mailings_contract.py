"""Mailings on every storage: the repositories, the use cases, and the scheduler job end to end
through the send use case, the dispatcher and the sandbox."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from adapters.sandbox.sender import SandboxSender
from adapters.schedules.cron import CroniterCalendar
from adapters.sqlalchemy.unit_of_work import SqlUnitOfWorkFactory
from application.mailings.mailings import MailingCommand, Mailings
from application.mailings.scheduler import MailingScheduler
from application.sending.dispatch import Dispatcher, DispatchPolicy
from application.sending.reports import DeliveryReports
from domain.access import Grant, Permission, Principal, PrincipalKind
from domain.dictionaries import ChannelKind
from domain.errors import InvalidTransition, NotFound, ValidationFailed
from domain.mailings import RUN_LEASE, Mailing, MailingRun, MailingStatus, RunState
from tests.support.clock import ManualClock
from tests.support.databases import create_engine
from tests.support.sending import EMAIL, SENDER, arrange, sending

CRON = CroniterCalendar()


def employee(department_id: int | None) -> Principal:
    return Principal(
        kind=PrincipalKind.EMPLOYEE,
        id=7,
        login="mailer",
        grants=(Grant(permission=Permission.SEND_COMMUNICATIONS),),
        department_id=department_id,
    )


def once(client_ids: list[int], **changes: Any) -> MailingCommand:
    values: dict[str, Any] = {
        "name": "Spring news",
        "type_id": 1,
        "channel_ids": (EMAIL,),
        "subject": "News",
        "text": "Hello {{ client.firstName }}, {{ headline }}",
        "variables": {"headline": "we opened"},
        "client_ids": tuple(client_ids),
        "start": True,
    }
    values.update(changes)
    return MailingCommand(**values)


def scheduler(uow_factory: Any, clock: ManualClock) -> MailingScheduler:
    return MailingScheduler(uow_factory, clock, CRON, sending(uow_factory, clock))


def dispatcher(uow_factory: Any, clock: ManualClock, sandbox: SandboxSender) -> Dispatcher:
    senders = {kind: sandbox for kind in ChannelKind}
    return Dispatcher(uow_factory, clock, senders, {}, DispatchPolicy(), "w1", random.Random(1))


# -- the repositories ------------------------------------------------------------------------


async def test_a_mailing_round_trips_and_pages(uow_factory: Any, clock: ManualClock, hasher: Any) -> None:
    department_id, ids = await arrange(uow_factory, clock, hasher, ["a@example.com"])
    now = clock.now()
    async with uow_factory() as uow:
        first = await uow.mailings.add(
            Mailing(
                name="Weekly",
                department_id=department_id,
                type_id=1,
                channel_ids=[EMAIL, 1],
                text="Hi",
                variables={"k": [1, "two"]},
                client_ids=ids,
                cron="0 9 * * 1",
                time_zone="Europe/Moscow",
                create_time=now,
                update_time=now,
            )
        )
        second = await uow.mailings.add(
            Mailing(
                name="Once",
                department_id=department_id,
                type_id=1,
                channel_ids=[1],
                text="x",
                project_id=5,
                at=now,
                create_time=now,
                update_time=now,
            )
        )
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        loaded = await uow.mailings.get(first.id)
        assert loaded is not None
        assert (loaded.channel_ids, loaded.variables, loaded.client_ids) == (
            [EMAIL, 1],
            {"k": [1, "two"]},
            ids,
        )
        assert (loaded.cron, loaded.time_zone, loaded.status) == (
            "0 9 * * 1",
            "Europe/Moscow",
            MailingStatus.DRAFT,
        )
        assert [m.id for m in await uow.mailings.page(1, 1)] == [second.id]
        assert await uow.mailings.total() == 2
        assert (await uow.mailings.get(second.id)).at == now  # type: ignore[union-attr]


async def test_claiming_takes_only_due_mailings_once_and_a_lapsed_lease_again(
    uow_factory: Any, clock: ManualClock, hasher: Any
) -> None:
    department_id, ids = await arrange(uow_factory, clock, hasher, ["a@example.com"])
    now = clock.now()
    made = []
    async with uow_factory() as uow:
        for name, status, next_run in [
            ("due", MailingStatus.SCHEDULED, now - timedelta(minutes=1)),
            ("later", MailingStatus.SCHEDULED, now + timedelta(days=1)),
            ("paused", MailingStatus.PAUSED, now - timedelta(minutes=1)),
            ("draft", MailingStatus.DRAFT, None),
        ]:
            made.append(
                await uow.mailings.add(
                    Mailing(
                        name=name,
                        department_id=department_id,
                        type_id=1,
                        channel_ids=[EMAIL],
                        text="x",
                        client_ids=ids,
                        status=status,
                        next_run_at=next_run,
                        create_time=now,
                        update_time=now,
                    )
                )
            )
        await uow.commit()
    async with uow_factory() as uow:
        claimed = await uow.mailings.claim_due(now, 10)
        await uow.commit()
    assert [(m.name, m.status, m.lease_until) for m in claimed] == [
        ("due", MailingStatus.RUNNING, now + RUN_LEASE)
    ]
    async with uow_factory() as uow:
        assert await uow.mailings.claim_due(now + RUN_LEASE - timedelta(seconds=1), 10) == []
        again = await uow.mailings.claim_due(now + RUN_LEASE, 10)
        await uow.commit()
    assert [m.name for m in again] == ["due"]


async def test_runs_name_their_send_and_go_with_their_mailing(
    uow_factory: Any, clock: ManualClock, hasher: Any
) -> None:
    department_id, ids = await arrange(uow_factory, clock, hasher, ["a@example.com"])
    answer = await sending(uow_factory, clock)(SENDER, _send(department_id, ids))
    now = clock.now()
    async with uow_factory() as uow:
        m = await uow.mailings.add(
            Mailing(
                name="m",
                department_id=department_id,
                type_id=1,
                channel_ids=[EMAIL],
                text="x",
                client_ids=ids,
                create_time=now,
                update_time=now,
            )
        )
        run = await uow.mailing_runs.add(
            MailingRun(mailing_id=m.id, due_at=now, create_time=now, update_time=now)
        )
        assert (await uow.mailing_runs.open_run(m.id)).id == run.id  # type: ignore[union-attr]
        run.sent(answer.send_id, 1, 0, now)
        await uow.mailing_runs.update(run)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.mailing_runs.open_run(m.id) is None
        found = await uow.mailing_runs.mailings_of_sends([answer.send_id, answer.send_id + 1000])
        assert found == {answer.send_id: m.id}
        assert list(await uow.mailing_runs.sends_of(m.id)) == [answer.send_id]
        await uow.mailings.delete(m.id)
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        assert await uow.mailing_runs.of_mailing(m.id) == []
        assert await uow.mailing_runs.get(run.id) is None


def _send(department_id: int, ids: list[int]) -> Any:
    from tests.support.sending import command

    return command(department_id, ids)


# -- the use cases ---------------------------------------------------------------------------


async def test_creating_checks_every_reference_and_defaults_the_department(
    uow_factory: Any, clock: ManualClock, hasher: Any
) -> None:
    department_id, ids = await arrange(uow_factory, clock, hasher, ["a@example.com"])
    mailings = Mailings(uow_factory, clock, CRON)
    created = await mailings.create(employee(department_id), once(ids, start=False))
    assert (created.department_id, created.status, created.created_by) == (
        department_id,
        MailingStatus.DRAFT,
        "employee:7",
    )
    with pytest.raises(ValidationFailed) as no_department:
        await mailings.create(employee(None), once(ids))
    assert no_department.value.errors[0].field == "department_id"
    with pytest.raises(NotFound):
        await mailings.create(employee(department_id), once([], group_id=99))
    with pytest.raises(ValidationFailed) as bad_channel:
        await mailings.create(employee(department_id), once(ids, channel_ids=(999,)))
    assert bad_channel.value.errors[0].field == "channels"
    with pytest.raises(ValidationFailed) as bad_cron:
        await mailings.create(employee(department_id), once(ids, cron="every monday"))
    assert bad_cron.value.errors[0].field == "cron"
    with pytest.raises(ValidationFailed) as two_audiences:
        await mailings.create(employee(department_id), once(ids, project_id=1))
    assert two_audiences.value.errors[0].field == "audience"
    seed = await mailings.create(employee(department_id), once(ids, type_id=None))
    async with uow_factory(read_only=True) as uow:
        mass = await uow.communication_types.get(seed.type_id)
    assert mass is not None and mass.code == "mass"


async def test_actions_follow_the_table_and_refuse_the_rest(
    uow_factory: Any, clock: ManualClock, hasher: Any
) -> None:
    department_id, ids = await arrange(uow_factory, clock, hasher, ["a@example.com"])
    mailings = Mailings(uow_factory, clock, CRON)
    boss = employee(department_id)
    m = await mailings.create(boss, once(ids, start=False, cron="0 12 * * *"))
    assert (await mailings.start(boss, m.id)).next_run_at == datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    with pytest.raises(InvalidTransition):
        await mailings.start(boss, m.id)
    assert (await mailings.pause(boss, m.id)).status is MailingStatus.PAUSED
    assert (await mailings.resume(boss, m.id)).status is MailingStatus.SCHEDULED
    assert (await mailings.cancel(boss, m.id)).status is MailingStatus.CANCELLED
    with pytest.raises(InvalidTransition):
        await mailings.resume(boss, m.id)
    with pytest.raises(NotFound):
        await mailings.pause(boss, 12345)
    changed = await mailings.change(
        boss, (await mailings.create(boss, once(ids))).id, once(ids, name="Renamed")
    )
    assert (changed.name, changed.status) == ("Renamed", MailingStatus.SCHEDULED)


# -- the scheduler job, end to end -----------------------------------------------------------


async def test_a_due_mailing_is_sent_through_the_sandbox_and_reports_progress(
    uow_factory: Any, clock: ManualClock, hasher: Any
) -> None:
    department_id, ids = await arrange(uow_factory, clock, hasher, ["ivan@example.com", "bounce@example.com"])
    mailings = Mailings(uow_factory, clock, CRON)
    m = await mailings.create(employee(department_id), once(ids, at=clock.now() + timedelta(hours=1)))
    job = scheduler(uow_factory, clock)
    assert await job.run_once() == 0  # not yet due
    clock.advance(hours=1)
    assert await job.run_once() == 1
    assert await job.run_once() == 0  # a run starts once
    sandbox = SandboxSender(clock, delay=timedelta(seconds=1))
    assert await dispatcher(uow_factory, clock, sandbox).run_once() == 2
    kept = sandbox.messages()
    assert sorted(k.to for k in kept) == ["bounce@example.com", "ivan@example.com"]
    assert {k.text for k in kept} == {"Hello Ivan, we opened"}
    clock.advance(seconds=5)
    await DeliveryReports(uow_factory, clock, [sandbox]).run_once()

    progress = await mailings.progress(employee(department_id), m.id)
    assert progress.mailing.status is MailingStatus.COMPLETED
    [run] = progress.runs
    assert (run.run.state, run.run.accepted_count, run.run.refused_count) == (RunState.SENT, 2, 0)
    assert run.lifecycle == {"done": 1, "failed": 1}
    assert run.delivery == {"delivered": 1, "undelivered": 1}
    assert progress.lifecycle == run.lifecycle
    assert await mailings.mailing_of_send(run.run.send_id or 0) == m.id
    async with uow_factory(read_only=True) as uow:
        record = await uow.sends.get(run.run.send_id)
    assert record is not None and record.actor == "process:scheduler"


async def test_a_recurring_mailing_runs_at_nine_local_time_across_the_dst_change(
    uow_factory: Any, hasher: Any
) -> None:
    clock = ManualClock(datetime(2026, 3, 27, 12, 0, tzinfo=UTC))  # Berlin: UTC+1 until 29 March
    department_id, ids = await arrange(uow_factory, clock, hasher, ["ivan@example.com"])
    mailings = Mailings(uow_factory, clock, CRON)
    m = await mailings.create(employee(department_id), once(ids, cron="0 9 * * *", time_zone="Europe/Berlin"))
    job = scheduler(uow_factory, clock)
    starts = []
    for _ in range(3):
        current = await mailings.get(employee(department_id), m.id)
        assert current.next_run_at is not None and current.status is MailingStatus.SCHEDULED
        clock.current = current.next_run_at - timedelta(seconds=1)
        assert await job.run_once() == 0
        clock.current = current.next_run_at
        assert await job.run_once() == 1
        starts.append(current.next_run_at)
    assert starts == [
        datetime(2026, 3, 28, 8, 0, tzinfo=UTC),
        datetime(2026, 3, 29, 7, 0, tzinfo=UTC),
        datetime(2026, 3, 30, 7, 0, tzinfo=UTC),
    ]
    progress = await mailings.progress(employee(department_id), m.id)
    assert [r.run.accepted_count for r in progress.runs] == [1, 1, 1]
    assert len({r.run.send_id for r in progress.runs}) == 3
    assert progress.mailing.next_run_at == datetime(2026, 3, 31, 7, 0, tzinfo=UTC)


async def test_progress_counts_each_run_apart_in_one_query_however_many_runs(
    uow_factory: Any, hasher: Any
) -> None:
    clock = ManualClock(datetime(2026, 5, 4, 8, 0, tzinfo=UTC))
    department_id, ids = await arrange(uow_factory, clock, hasher, ["ivan@example.com", "olga@example.com"])
    mailings = Mailings(uow_factory, clock, CRON)
    m = await mailings.create(employee(department_id), once(ids, cron="0 9 * * *", time_zone="UTC"))
    job = scheduler(uow_factory, clock)
    sandbox = SandboxSender(clock, delay=timedelta(seconds=1))
    statements = _Statements(uow_factory)
    queries: list[int] = []
    for day in range(3):
        clock.current = datetime(2026, 5, 4 + day, 9, 0, tzinfo=UTC)
        assert await job.run_once() == 1
        if day == 0:  # only the first run is dispatched: the runs must not blur together
            assert await dispatcher(uow_factory, clock, sandbox).run_once() == 2
        with statements.counted() as count:
            progress = await mailings.progress(employee(department_id), m.id)
        queries.append(count())
    first, *later = progress.runs
    assert len(later) == 2 and len({r.run.send_id for r in progress.runs}) == 3
    assert sum(first.lifecycle.values()) == 2 and "created" not in first.lifecycle
    assert [r.lifecycle for r in later] == [{"created": 2}] * 2
    assert [r.delivery for r in later] == [{"queued": 2}] * 2
    assert progress.lifecycle["created"] == 4 and sum(progress.lifecycle.values()) == 6
    # One query for the runs' counts whatever their number: three runs cost what one did.
    assert queries[0] == queries[1] == queries[2]


class _Statements:
    """Counts the SQL statements an engine runs (none on memory storage, where there is no SQL)."""

    def __init__(self, uow_factory: Any) -> None:
        self._engine = getattr(uow_factory, "engine", None)

    @contextmanager
    def counted(self) -> Iterator[Callable[[], int]]:
        seen: list[str] = []

        def note(*args: Any) -> None:
            seen.append(args[2])

        if self._engine is None:
            yield lambda: 0
            return
        sa.event.listen(self._engine.sync_engine, "before_cursor_execute", note)
        try:
            yield lambda: len(seen)
        finally:
            sa.event.remove(self._engine.sync_engine, "before_cursor_execute", note)


async def test_a_run_refused_as_a_whole_says_why_and_the_mailing_moves_on(
    uow_factory: Any, clock: ManualClock, hasher: Any
) -> None:
    department_id, ids = await arrange(uow_factory, clock, hasher, ["ivan@example.com"])
    mailings = Mailings(uow_factory, clock, CRON)
    m = await mailings.create(employee(department_id), once(ids, text="Hello {{ nobody_knows }}"))
    assert await scheduler(uow_factory, clock).run_once() == 1
    progress = await mailings.progress(employee(department_id), m.id)
    [run] = progress.runs
    assert run.run.state is RunState.FAILED and run.run.error and "nobody_knows" in run.run.error
    assert progress.mailing.status is MailingStatus.COMPLETED


async def test_a_run_whose_worker_died_is_taken_over_and_sends_once(
    uow_factory: Any, clock: ManualClock, hasher: Any
) -> None:
    department_id, ids = await arrange(uow_factory, clock, hasher, ["ivan@example.com"])
    mailings = Mailings(uow_factory, clock, CRON)
    m = await mailings.create(employee(department_id), once(ids))
    send = sending(uow_factory, clock)

    class DiesAfterSending:
        async def __call__(self, principal: Principal, command: Any) -> Any:
            await send(principal, command)
            raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        await MailingScheduler(uow_factory, clock, CRON, DiesAfterSending()).run_once()
    job = MailingScheduler(uow_factory, clock, CRON, send)
    assert await job.run_once() == 0  # the dead worker's lease still holds
    clock.advance(seconds=RUN_LEASE.total_seconds())
    assert await job.run_once() == 1
    progress = await mailings.progress(employee(department_id), m.id)
    [run] = progress.runs  # the same run, finished with the first send's answer
    assert (run.run.state, sum(run.lifecycle.values())) == (RunState.SENT, 1)
    async with uow_factory(read_only=True) as uow:
        assert await uow.dispatch.pending_count() == 1  # one message queued, not two


# -- two workers at once, on PostgreSQL ----------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.concurrency
async def test_two_concurrent_schedulers_start_each_run_once(
    postgres_uow_factory: Any, postgres_url: str, hasher: Any
) -> None:
    clock = ManualClock()
    factory = postgres_uow_factory
    department_id, ids = await arrange(factory, clock, hasher, ["ivan@example.com", "olga@example.com"])
    mailings = Mailings(factory, clock, CRON)
    made = [(await mailings.create(employee(department_id), once(ids, name=f"m{i}"))).id for i in range(6)]
    # Two workers as two processes would be: each with its own engine and connection pool.
    other_engine = create_engine(postgres_url)
    try:
        first = MailingScheduler(factory, clock, CRON, sending(factory, clock), batch=2)
        other = SqlUnitOfWorkFactory(other_engine)
        second = MailingScheduler(other, clock, CRON, sending(other, clock), batch=2)
        rounds = await asyncio.gather(*(job.run_once() for job in (first, second) * 4))
    finally:
        await other_engine.dispose()
    assert sum(rounds) == len(made)
    for mailing_id in made:
        progress = await mailings.progress(employee(department_id), mailing_id)
        assert len(progress.runs) == 1 and progress.runs[0].run.accepted_count == 2
    async with factory(read_only=True) as uow:
        assert await uow.communications.count() == 2 * len(made)
