"""Status changes become events in their own transaction; delivery refresh polls the providers that can."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest

from adapters.memory.live_feed import InProcessEventBus
from adapters.sandbox.sender import SandboxSender
from application.events.ports import EventFilter, StatusChanged, StoredEvent
from application.events.stream import EventRetention, EventStream
from application.sending.ports import OutgoingMessage, SendResult, StatusReport
from application.sending.refresh import DeliveryRefresh, RefreshScope
from application.sending.reports import DeliveryReports
from domain.access import Permission, Principal, Process
from domain.communications import DeliveryStatus
from domain.errors import PermissionDenied, ValidationFailed
from tests.contract.test_dispatch import communications, dispatcher
from tests.support.clock import ManualClock
from tests.support.sending import SENDER, arrange, command, sending

REFRESHER = Principal.process(Process.SCHEDULER, Permission.SEND_COMMUNICATIONS)


async def all_events(uow_factory: Any, where: EventFilter | None = None) -> list[StoredEvent]:
    """The status events (a send's completion, tested in test_send_completed, is left out)."""
    async with uow_factory(read_only=True) as uow:
        found = await uow.events.after(0, where or EventFilter(), 10_000)
    return [s for s in found if isinstance(s.event, StatusChanged)]


def steps(events: list[StoredEvent], uuid: str) -> list[tuple[str, str | None]]:
    return [(s.event.status, s.event.delivery_status) for s in events if s.event.uuid == uuid]


async def test_dispatch_and_reports_record_one_event_per_move_with_the_send_and_client(
    uow_factory: Any, clock: ManualClock, hasher: Any
) -> None:
    department_id, ids = await arrange(uow_factory, clock, hasher, ["ivan@example.com", "bounce@example.com"])
    answer = await sending(uow_factory, clock)(SENDER, command(department_id, ids))
    ivan, bounce = (a.uuid for a in answer.accepted or ())
    assert await all_events(uow_factory) == []  # queued is not a change of status
    sandbox = SandboxSender(clock, delay=timedelta(seconds=1))
    assert await dispatcher(uow_factory, clock, sandbox).run_once() == 2
    clock.advance(seconds=5)
    assert await DeliveryReports(uow_factory, clock, [sandbox]).run_once() == 2
    events = await all_events(uow_factory)
    assert steps(events, ivan) == [("in_progress", "sent"), ("done", "delivered")]
    assert steps(events, bounce) == [("in_progress", "sent"), ("failed", "undelivered")]
    first = next(s.event for s in events if s.event.uuid == ivan)
    assert (first.send_id, first.client_id, first.channel_id) == (answer.send_id, ids[0], 3)
    assert [s.id for s in events] == sorted(s.id for s in events)
    only_bounce = await all_events(uow_factory, EventFilter(client_id=ids[1]))
    assert {s.event.uuid for s in only_bounce} == {bounce}
    assert await all_events(uow_factory, EventFilter(send_id=answer.send_id + 1)) == []


async def test_a_retry_is_no_status_change(uow_factory: Any, clock: ManualClock, hasher: Any) -> None:
    class Down:
        provider = "down"

        async def send(self, message: OutgoingMessage) -> SendResult:
            return SendResult.retry("connection refused")

        async def statuses(self, provider_message_ids: Sequence[str]) -> list[StatusReport]:
            return []

    department_id, ids = await arrange(uow_factory, clock, hasher, ["ivan@example.com"])
    await sending(uow_factory, clock)(SENDER, command(department_id, ids))
    assert await dispatcher(uow_factory, clock, Down()).run_once() == 1
    assert await all_events(uow_factory) == []


class Polling:
    """A provider that answers status queries only (no callbacks), and does not echo our uuid."""

    provider = "poller"

    def __init__(self, clock: ManualClock) -> None:
        self._clock = clock
        self.asked: list[list[str]] = []
        self.status = DeliveryStatus.DELIVERED

    async def send(self, message: OutgoingMessage) -> SendResult:
        return SendResult.sent(f"p-{message.uuid}")

    async def statuses(self, provider_message_ids: Sequence[str]) -> list[StatusReport]:
        self.asked.append(list(provider_message_ids))
        return [
            StatusReport(
                provider=self.provider, provider_message_id=i, status=self.status, at=self._clock.now()
            )
            for i in provider_message_ids
        ]


class Silent(Polling):
    provider = "silent"
    polls = False


@pytest.mark.parametrize("batch", [500, 2])
async def test_delivery_refresh_asks_polling_providers_in_batches_and_records_the_changes(
    uow_factory: Any, clock: ManualClock, hasher: Any, batch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("application.sending.refresh.BATCH", batch)
    emails = ["a@example.com", "b@example.com", "c@example.com"]
    department_id, ids = await arrange(uow_factory, clock, hasher, emails)
    answer = await sending(uow_factory, clock)(SENDER, command(department_id, ids))
    uuids = [a.uuid for a in answer.accepted or ()]
    poller = Polling(clock)
    assert await dispatcher(uow_factory, clock, poller).run_once() == 3
    reports = DeliveryReports(uow_factory, clock, [])
    refresh = DeliveryRefresh(uow_factory, [poller, Silent(clock)], reports)

    one = await refresh(REFRESHER, RefreshScope(uuid=uuids[0].upper()))
    assert (one.asked, one.changed) == (1, 1)
    assert poller.asked == [[f"p-{uuids[0]}"]]
    client = await refresh(REFRESHER, RefreshScope(client_id=ids[1]))
    assert (client.asked, client.changed) == (1, 1)
    everything = await refresh(REFRESHER, RefreshScope(all=True))
    # Delivered ones may still be read: asked again, unchanged; the third moves now.
    assert (everything.asked, everything.changed) == (3, 1)
    assert max(len(a) for a in poller.asked) <= batch
    final = await communications(uow_factory, uuids)
    assert {c.delivery_status for c in final.values()} == {DeliveryStatus.DELIVERED}
    events = await all_events(uow_factory)
    assert all(steps(events, u)[-1] == ("done", "delivered") for u in uuids)

    poller.status = DeliveryStatus.READ
    department = await refresh(REFRESHER, RefreshScope(department_id=department_id))
    assert (department.asked, department.changed) == (3, 3)
    again = await refresh(REFRESHER, RefreshScope(all=True))
    assert (again.asked, again.changed) == (3, 0)


async def test_delivery_refresh_skips_providers_that_cannot_poll_and_checks_its_scope(
    uow_factory: Any, clock: ManualClock, hasher: Any
) -> None:
    department_id, ids = await arrange(uow_factory, clock, hasher, ["a@example.com"])
    await sending(uow_factory, clock)(SENDER, command(department_id, ids))
    silent = Silent(clock)
    await dispatcher(uow_factory, clock, silent).run_once()
    refresh = DeliveryRefresh(uow_factory, [silent], DeliveryReports(uow_factory, clock, []))
    outcome = await refresh(REFRESHER, RefreshScope(all=True))
    assert (outcome.asked, outcome.changed, silent.asked) == (0, 0, [])
    for scope in (RefreshScope(), RefreshScope(all=True, client_id=1), RefreshScope(uuid="nope")):
        with pytest.raises(ValidationFailed):
            await refresh(REFRESHER, scope)
    with pytest.raises(PermissionDenied):
        await refresh(Principal.process(Process.PROVIDER), RefreshScope(all=True))


async def test_delivery_refresh_through_the_sandbox(
    uow_factory: Any, clock: ManualClock, hasher: Any
) -> None:
    department_id, ids = await arrange(uow_factory, clock, hasher, ["ivan@example.com", "reply@example.com"])
    answer = await sending(uow_factory, clock)(SENDER, command(department_id, ids))
    ivan, reply = (a.uuid for a in answer.accepted or ())
    sandbox = SandboxSender(clock, delay=timedelta(seconds=1))
    await dispatcher(uow_factory, clock, sandbox).run_once()
    refresh = DeliveryRefresh(uow_factory, [sandbox], DeliveryReports(uow_factory, clock, []))
    assert (await refresh(REFRESHER, RefreshScope(all=True))).changed == 0  # nothing reported yet
    clock.advance(seconds=5)
    outcome = await refresh(REFRESHER, RefreshScope(all=True))
    assert (outcome.asked, outcome.changed) == (2, 2)
    final = await communications(uow_factory, [ivan, reply])
    assert final[ivan].delivery_status is DeliveryStatus.DELIVERED
    assert final[reply].delivery_status is DeliveryStatus.RESPONDED
    # Polling took nothing from the pushed feed: its reports still arrive, and change nothing.
    assert len(await sandbox.take_reports(clock.now())) == 3


async def test_a_stream_starts_from_now_resumes_after_an_id_and_hears_the_doorbell(
    uow_factory: Any, clock: ManualClock, hasher: Any
) -> None:
    bus = InProcessEventBus()
    factory = uow_factory
    factory.bus = bus  # both storages ring their factory's doorbell after a commit with events
    department_id, ids = await arrange(factory, clock, hasher, ["ivan@example.com"])
    answer = await sending(factory, clock)(SENDER, command(department_id, ids))
    sandbox = SandboxSender(clock, delay=timedelta(seconds=1))
    stream = EventStream(factory, bus)
    seen: list[StoredEvent] = []
    follower = stream.follow(None, EventFilter(send_id=answer.send_id), idle=30, poll=30)

    async def read(n: int) -> None:
        async for stored in follower:
            assert stored is not None
            seen.append(stored)
            if len(seen) == n:
                return

    reader = asyncio.create_task(read(1))
    await asyncio.sleep(0.05)
    await dispatcher(factory, clock, sandbox).run_once()
    # The doorbell, not the 30 s poll, brings it.
    await asyncio.wait_for(reader, 5)
    clock.advance(seconds=5)
    await DeliveryReports(factory, clock, [sandbox]).run_once()
    await asyncio.wait_for(read(2), 5)
    await follower.aclose()
    assert [(s.event.status, s.event.delivery_status) for s in seen] == [
        ("in_progress", "sent"),
        ("done", "delivered"),
    ]
    resumed = stream.follow(seen[0].id, EventFilter(), idle=0.1, poll=0.1)
    after = [await anext(resumed) for _ in range(3)]
    # The send's only message is done: its completion follows, in the same transaction.
    assert [(s.id, s.event.type) if s else None for s in after] == [
        (seen[1].id, "communication.status_changed"),
        (seen[1].id + 1, "send.completed"),
        None,
    ]
    await resumed.aclose()
    fresh = stream.follow(None, EventFilter(), idle=0.1, poll=0.1)
    assert await anext(fresh) is None
    await fresh.aclose()

    clock.advance(hours=2)
    assert await EventRetention(factory, clock).run_once() == 3
    assert await all_events(factory) == []
