"""The dispatcher on every storage: claim, send outside the transaction, record; retries and leases."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from adapters.sandbox.sender import SandboxSender
from application.communications.listing import CommunicationFilter
from application.queries import Query
from application.sending.dispatch import Dispatcher, DispatchPolicy, backoff
from application.sending.ports import OutgoingMessage, SendResult, StatusReport
from application.sending.queue import Settled
from application.sending.reports import DeliveryReports
from domain.communications import Communication, DeliveryStatus, LifecycleStatus
from domain.dictionaries import ChannelKind
from tests.support.clock import ManualClock
from tests.support.sending import SENDER, arrange, command, sending


async def communications(uow_factory: Any, uuids: list[str]) -> dict[str, Communication]:
    async with uow_factory(read_only=True) as uow:
        found = await uow.communications.find(
            Query(CommunicationFilter(uuids=tuple(uuids)).criteria(), limit=10_000)
        )
    return {c.uuid: c for c in found}


def dispatcher(
    uow_factory: Any, clock: ManualClock, sender: Any, owner: str = "w1", **policy: Any
) -> Dispatcher:
    senders = {kind: sender for kind in ChannelKind}
    return Dispatcher(uow_factory, clock, senders, {}, DispatchPolicy(**policy), owner, random.Random(7))


async def test_sent_then_reported_outcomes_close_or_fail_each_communication(
    uow_factory: Any, clock: ManualClock, hasher: Any
) -> None:
    department_id, ids = await arrange(
        uow_factory, clock, hasher, ["ivan@example.com", "bounce@example.com", "reply@example.com"]
    )
    answer = await sending(uow_factory, clock)(SENDER, command(department_id, ids))
    uuids = [a.uuid for a in answer.accepted or ()]
    sandbox = SandboxSender(clock, delay=timedelta(seconds=1))
    assert await dispatcher(uow_factory, clock, sandbox).run_once() == 3
    after_send = await communications(uow_factory, uuids)
    assert {c.delivery_status for c in after_send.values()} == {DeliveryStatus.SENT}
    assert {c.status for c in after_send.values()} == {LifecycleStatus.IN_PROGRESS}
    assert {c.provider for c in after_send.values()} == {"sandbox"}
    [kept] = sandbox.messages(uuid=uuids[0])
    assert kept.subject == "Hi" and kept.text == "Hello Ivan" and kept.html and "Hello Ivan" in kept.html
    assert kept.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert kept.headers["Message-ID"] == f"<{uuids[0]}@test.local>"
    assert await dispatcher(uow_factory, clock, sandbox).run_once() == 0  # nothing is sent twice

    clock.advance(seconds=5)
    assert await DeliveryReports(uow_factory, clock, [sandbox]).run_once() == 4
    final = await communications(uow_factory, uuids)
    ivan, bounce, reply = (final[u] for u in uuids)
    assert (ivan.status, ivan.delivery_status) == (LifecycleStatus.DONE, DeliveryStatus.DELIVERED)
    assert (bounce.status, bounce.delivery_status) == (LifecycleStatus.FAILED, DeliveryStatus.UNDELIVERED)
    assert bounce.failure_reason and "does not exist" in bounce.failure_reason
    assert (reply.status, reply.delivery_status) == (LifecycleStatus.DONE, DeliveryStatus.RESPONDED)
    assert reply.result and "sandbox reply" in reply.result


async def test_held_reports_are_applied_together_once_the_hold_is_over_or_at_finish(
    uow_factory: Any, clock: ManualClock, hasher: Any
) -> None:
    department_id, ids = await arrange(uow_factory, clock, hasher, ["a@example.com", "b@example.com"])
    answer = await sending(uow_factory, clock)(SENDER, command(department_id, ids[:1]))
    sandbox = SandboxSender(clock, delay=timedelta(seconds=1))
    assert await dispatcher(uow_factory, clock, sandbox).run_once() == 1
    reports = DeliveryReports(uow_factory, clock, [sandbox], hold=timedelta(seconds=2))
    clock.advance(seconds=1)
    assert await reports.run_once() == 0  # taken, and held
    later = await sending(uow_factory, clock)(SENDER, command(department_id, ids[1:]))
    assert await dispatcher(uow_factory, clock, sandbox).run_once() == 1
    clock.advance(seconds=1)
    assert await reports.run_once() == 0  # the first one's hold is not over yet
    clock.advance(seconds=1)
    assert await reports.run_once() == 2  # both at once
    uuids = [a.uuid for a in (*(answer.accepted or ()), *(later.accepted or ()))]
    assert {c.status for c in (await communications(uow_factory, uuids)).values()} == {LifecycleStatus.DONE}

    third = await sending(uow_factory, clock)(SENDER, command(department_id, ids[:1]))
    assert await dispatcher(uow_factory, clock, sandbox).run_once() == 1
    clock.advance(seconds=1)
    assert await reports.run_once() == 0
    await reports.finish()  # a worker that stops applies what it holds
    [done] = (await communications(uow_factory, [a.uuid for a in third.accepted or ()])).values()
    assert done.status is LifecycleStatus.DONE


class Slow:
    """Answers after a pause, counting how many calls it holds at once."""

    provider = "slow"

    def __init__(self) -> None:
        self.now = 0
        self.most = 0

    async def send(self, message: OutgoingMessage) -> SendResult:
        self.now += 1
        self.most = max(self.most, self.now)
        await asyncio.sleep(0.001 * (hash(message.uuid) % 3))
        self.now -= 1
        return SendResult.sent(f"slow-{message.uuid}")

    async def statuses(self, provider_message_ids: Any) -> list[StatusReport]:
        return []


async def test_a_batch_is_sent_at_most_concurrency_at_a_time_and_each_result_is_its_own(
    uow_factory: Any, clock: ManualClock, hasher: Any
) -> None:
    department_id, ids = await arrange(uow_factory, clock, hasher, [f"c{i}@example.com" for i in range(30)])
    answer = await sending(uow_factory, clock)(SENDER, command(department_id, ids))
    slow = Slow()
    assert await dispatcher(uow_factory, clock, slow, batch=30, concurrency=4).run_once() == 30
    assert slow.most == 4
    found = await communications(uow_factory, [a.uuid for a in answer.accepted or ()])
    assert all(c.provider_message_id == f"slow-{c.uuid}" for c in found.values())


class HeldFirst:
    """Holds its first call until a message of the next batch is sent: a slow message at a batch's end."""

    provider = "held"

    def __init__(self, batch: int) -> None:
        self._batch = batch
        self.sent: list[str] = []
        self._later = asyncio.Event()

    async def send(self, message: OutgoingMessage) -> SendResult:
        first = not self.sent
        self.sent.append(message.uuid)
        if len(self.sent) > self._batch:
            self._later.set()
        if first:
            await self._later.wait()
        return SendResult.sent(f"held-{message.uuid}")

    async def statuses(self, provider_message_ids: Any) -> list[StatusReport]:
        return []


async def test_pipelined_lanes_send_the_next_batch_while_a_slow_message_holds_the_last(
    uow_factory: Any, clock: ManualClock, hasher: Any
) -> None:
    department_id, ids = await arrange(uow_factory, clock, hasher, [f"c{i}@example.com" for i in range(12)])
    answer = await sending(uow_factory, clock)(SENDER, command(department_id, ids))
    uuids = [a.uuid for a in answer.accepted or ()]
    held = HeldFirst(batch=4)
    worker = dispatcher(uow_factory, clock, held, batch=4, concurrency=2, pipeline=True)
    # Sent batch by batch, the first batch would wait for its held message forever.
    claimed = [await asyncio.wait_for(worker.run_once(), 10) for _ in range(4)]
    await asyncio.wait_for(worker.finish(), 10)
    assert claimed == [4, 4, 4, 0]
    assert sorted(held.sent) == sorted(uuids)  # each once, though the first batch was still out
    async with uow_factory(read_only=True) as uow:
        assert await uow.dispatch.pending_count() == 0
    found = await communications(uow_factory, uuids)
    assert all(c.provider_message_id == f"held-{c.uuid}" for c in found.values())


class Flaky:
    """Fails about 30 % of calls at random (transient), hangs on about 10 %, rejects one address."""

    provider = "flaky"

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)
        self.calls = 0
        self.failed = 0
        self.hung = 0
        self._never = asyncio.Event()

    async def send(self, message: OutgoingMessage) -> SendResult:
        self.calls += 1
        roll = self._rng.random()
        if message.to.startswith("rejected"):
            return SendResult.rejected("no such mailbox", DeliveryStatus.UNDELIVERED)
        if roll < 0.3:
            self.failed += 1
            return SendResult.retry("connection reset")
        if roll < 0.4:
            self.hung += 1
            await self._never.wait()  # a provider that never answers: the dispatcher's timeout ends it
        return SendResult.sent(f"flaky-{message.uuid}")

    async def statuses(self, provider_message_ids: Any) -> list[StatusReport]:
        return []


@pytest.mark.parametrize("pipeline", [False, True], ids=["in-turn", "pipelined"])
async def test_random_failures_and_timeouts_leave_nothing_stuck(
    uow_factory: Any, clock: ManualClock, hasher: Any, pipeline: bool
) -> None:
    emails = [f"c{i}@example.com" for i in range(150)] + ["rejected@example.com"]
    department_id, ids = await arrange(uow_factory, clock, hasher, emails)
    answer = await sending(uow_factory, clock)(SENDER, command(department_id, ids))
    uuids = [a.uuid for a in answer.accepted or ()]
    flaky = Flaky(seed=3)
    worker = dispatcher(
        uow_factory,
        clock,
        flaky,
        max_attempts=4,
        send_timeout=0.01,
        concurrency=10,
        batch=40,
        pipeline=pipeline,
    )
    left = len(uuids)
    for _ in range(100):
        await worker.run_once()
        async with uow_factory(read_only=True) as uow:
            left = await uow.dispatch.pending_count()
        if left == 0:
            break
        clock.advance(minutes=5)  # past any backoff
    assert left == 0, f"{left} messages stuck in the queue"
    assert flaky.failed > 0.2 * flaky.calls and flaky.hung > 0.05 * flaky.calls  # both faults happened
    final = await communications(uow_factory, uuids)
    assert len(final) == 151
    for c in final.values():
        assert c.delivery_status in (
            DeliveryStatus.SENT,
            DeliveryStatus.FAILED,
            DeliveryStatus.UNDELIVERED,
        ), c
        if c.delivery_status is not DeliveryStatus.SENT:
            assert c.status is LifecycleStatus.FAILED and c.failure_reason
        else:
            assert c.status is LifecycleStatus.IN_PROGRESS and c.provider_message_id == f"flaky-{c.uuid}"
        assert 1 <= c.attempts <= 4
    gave_up = [c for c in final.values() if c.delivery_status is DeliveryStatus.FAILED]
    assert gave_up, "at 40 % faults over 4 attempts some should give up"
    assert all("gave up after 4 attempts" in (c.failure_reason or "") for c in gave_up)
    # The reason is the provider's: a reset connection or the timeout of a call that never answered.
    assert all(
        ("connection reset" in (c.failure_reason or "")) or ("no answer within" in (c.failure_reason or ""))
        for c in gave_up
    )
    assert final[uuids[-1]].delivery_status is DeliveryStatus.UNDELIVERED
    assert any(c.attempts > 1 for c in final.values())  # the retries did happen


async def test_an_expired_lease_is_claimed_again_and_the_old_holder_cannot_settle(
    uow_factory: Any, clock: ManualClock, hasher: Any
) -> None:
    department_id, ids = await arrange(uow_factory, clock, hasher, ["a@example.com"])
    await sending(uow_factory, clock)(SENDER, command(department_id, ids))
    now = clock.now()
    async with uow_factory() as uow:
        [first] = await uow.dispatch.claim(
            now=now, lease_until=now + timedelta(seconds=60), owner="dead", limit=10
        )
        await uow.commit()
    async with uow_factory() as uow:
        assert (
            await uow.dispatch.claim(now=now, lease_until=now + timedelta(seconds=60), owner="w2", limit=10)
            == []
        )
    clock.advance(seconds=61)
    later = clock.now()
    async with uow_factory() as uow:
        [again] = await uow.dispatch.claim(
            now=later, lease_until=later + timedelta(seconds=60), owner="w2", limit=10
        )
        await uow.commit()
    assert again.message.communication_id == first.message.communication_id
    async with uow_factory() as uow:
        assert (
            await uow.dispatch.settle(
                "dead", [Settled(communication_id=first.message.communication_id, attempts=1)]
            )
            == []
        )
        assert await uow.dispatch.settle(
            "w2", [Settled(communication_id=first.message.communication_id, attempts=1)]
        ) == [first.message.communication_id]
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        assert await uow.dispatch.pending_count() == 0


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    policy = DispatchPolicy(backoff_base=timedelta(seconds=2), backoff_cap=timedelta(seconds=60))
    rng = random.Random(1)
    for attempts, ceiling in ((1, 2), (2, 4), (3, 8), (10, 60)):
        delay = backoff(attempts, policy, rng).total_seconds()
        assert ceiling / 2 <= delay <= ceiling


class ReportedFirst:
    """Unit-of-work factory whose first batch record is raced by the provider's own reports: they
    are applied, in their own transaction, right before the record writes its communications."""

    def __init__(self, factory: Any, reports: DeliveryReports) -> None:
        self._factory = factory
        self._reports = reports
        self.raced = 0

    @contextlib.asynccontextmanager
    async def __call__(self, **options: Any) -> AsyncIterator[Any]:
        async with self._factory(**options) as uow:
            yield _Raced(uow, self)

    async def race(self) -> None:
        if not self.raced:
            self.raced = await self._reports.run_once()


class _Raced:
    def __init__(self, uow: Any, owner: ReportedFirst) -> None:
        self._uow = uow
        self._owner = owner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._uow, name)

    @property
    def communications(self) -> Any:
        owner, communications = self._owner, self._uow.communications

        class Communications:
            def __getattr__(self, name: str) -> Any:
                return getattr(communications, name)

            async def update_many(self, items: Any) -> None:
                await owner.race()
                await communications.update_many(items)

        return Communications()


async def test_a_report_that_beats_the_record_of_its_send_is_kept_and_nothing_is_sent_twice(
    postgres_uow_factory: Any, clock: ManualClock, hasher: Any
) -> None:
    department_id, ids = await arrange(
        postgres_uow_factory, clock, hasher, ["a@example.com", "b@example.com"]
    )
    answer = await sending(postgres_uow_factory, clock)(SENDER, command(department_id, ids))
    uuids = [a.uuid for a in answer.accepted or ()]
    clock.advance(seconds=1)  # the report's time differs from the accepted one, as it always does
    sandbox = SandboxSender(clock, delay=timedelta(0))
    raced = ReportedFirst(postgres_uow_factory, DeliveryReports(postgres_uow_factory, clock, [sandbox]))
    assert await dispatcher(raced, clock, sandbox).run_once() == 2
    assert raced.raced == 2  # both reports were committed between the record's read and its write
    final = await communications(postgres_uow_factory, uuids)
    assert {(c.status, c.delivery_status) for c in final.values()} == {
        (LifecycleStatus.DONE, DeliveryStatus.DELIVERED)
    }
    async with postgres_uow_factory(read_only=True) as uow:
        assert await uow.dispatch.pending_count() == 0
    clock.advance(minutes=5)  # past the lease: a batch left unrecorded would be claimed again
    assert await dispatcher(postgres_uow_factory, clock, sandbox).run_once() == 0
    assert [len(sandbox.messages(uuid=u)) for u in uuids] == [1, 1]


async def test_a_communication_cancelled_while_queued_is_never_handed_to_a_provider(
    uow_factory: Any, clock: ManualClock, hasher: Any
) -> None:
    department_id, ids = await arrange(
        uow_factory, clock, hasher, ["kept@example.com", "called-off@example.com"]
    )
    answer = await sending(uow_factory, clock)(SENDER, command(department_id, ids))
    kept, called_off = (a.uuid for a in answer.accepted or ())
    async with uow_factory() as uow:
        [cancelled] = await uow.communications.find(
            Query(CommunicationFilter(uuids=(called_off,)).criteria(), limit=1)
        )
        cancelled.cancel(at=clock.now(), actor="test", reason="changed their mind")
        await uow.communications.update(cancelled)
        await uow.commit()
    sandbox = SandboxSender(clock, delay=timedelta(0))
    assert await dispatcher(uow_factory, clock, sandbox).run_once() == 2
    assert (len(sandbox.messages(uuid=kept)), len(sandbox.messages(uuid=called_off))) == (1, 0)
    final = await communications(uow_factory, [kept, called_off])
    assert final[called_off].status is LifecycleStatus.CANCELLED and final[called_off].provider is None
    async with uow_factory(read_only=True) as uow:
        assert await uow.dispatch.pending_count() == 0
