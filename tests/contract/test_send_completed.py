"""``send.completed``: once per send, when its last communication reaches a final state.

On every storage: mixed outcomes (delivered, bounced, cancelled), a channel fallback that keeps
the send open until the follow-up ends, and the webhook outbox. On PostgreSQL: two transactions
that finish a send's last two messages at the same moment complete it exactly once.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

from adapters.sandbox.sender import SandboxSender
from application.communications.recording import Communications
from application.events.ports import SEND_COMPLETED, EventFilter, SendCompleted, StoredEvent
from application.events.status import StatusWatch
from application.queries import Query
from application.sending.reports import DeliveryReports
from domain.clients import ChannelBlock
from domain.webhooks import EventType, WebhookDelivery, WebhookSubscription
from tests.contract.test_dispatch import communications, dispatcher
from tests.contract.test_fallback import EMAIL, SMS, World, client
from tests.contract.test_fallback import command as channel_command
from tests.support.clock import ManualClock
from tests.support.sending import SENDER, arrange, arrange_clients, command, sending

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


async def completions(uow_factory: Any, send_id: int | None = None) -> list[SendCompleted]:
    async with uow_factory(read_only=True) as uow:
        stored: list[StoredEvent] = await uow.events.after(0, EventFilter(send_id=send_id), 10_000)
    return [s.event for s in stored if isinstance(s.event, SendCompleted)]


async def outbox(uow_factory: Any) -> list[WebhookDelivery]:
    async with uow_factory(read_only=True) as uow:
        return await uow.webhook_deliveries.find(Query((), limit=1000))


async def subscribe(uow_factory: Any, clock: ManualClock, *types: EventType) -> None:
    now = clock.now()
    async with uow_factory() as uow:
        await uow.webhook_subscriptions.add(
            WebhookSubscription(
                url="http://crm.example/hooks",
                event_types=list(types),
                secret=SECRET,
                create_time=now,
                update_time=now,
            )
        )
        await uow.commit()


async def test_a_send_completes_once_when_its_last_message_ends_with_mixed_outcomes(
    uow_factory: Any, clock: ManualClock, hasher: Any
) -> None:
    emails = ["ivan@example.com", "bounce@example.com", "reply@example.com", "later@example.com"]
    department_id, ids = await arrange(uow_factory, clock, hasher, emails)
    await subscribe(uow_factory, clock, EventType.SEND_COMPLETED)
    answer = await sending(uow_factory, clock)(SENDER, command(department_id, ids))
    other = await sending(uow_factory, clock)(SENDER, command(department_id, ids[:1]))
    uuids = [a.uuid for a in answer.accepted or ()]
    await Communications(uow_factory, clock).cancel(SENDER, uuids[3], "not needed after all")
    assert await completions(uow_factory) == []  # three are still open

    sandbox = SandboxSender(clock, delay=timedelta(seconds=1))
    assert await dispatcher(uow_factory, clock, sandbox).run_once() == 5
    assert await completions(uow_factory) == []  # sent is not final: the reports are awaited
    clock.advance(seconds=5)
    await DeliveryReports(uow_factory, clock, [sandbox]).run_once()
    clock.advance(seconds=5)
    await DeliveryReports(uow_factory, clock, [sandbox]).run_once()  # late reports change nothing

    found = await communications(uow_factory, uuids)
    assert [found[u].status.value for u in uuids] == ["done", "failed", "done", "cancelled"]
    (event,) = await completions(uow_factory, answer.send_id)
    assert event.send_id == answer.send_id
    assert dict(event.counts) == {"cancelled": 1, "done": 2, "failed": 1}
    assert event.delivery["undelivered"] == 1 and sum(event.delivery.values()) == 4
    # The other send (one message, delivered) completed on its own, once.
    assert [e.send_id for e in await completions(uow_factory)] == sorted([answer.send_id, other.send_id])

    queued = [d for d in await outbox(uow_factory) if d.event_type == EventType.SEND_COMPLETED]
    bodies = sorted((json.loads(d.payload) for d in queued), key=lambda b: b["data"]["sendId"])
    assert [b["data"]["sendId"] for b in bodies] == sorted([answer.send_id, other.send_id])
    mine = next(b for b in bodies if b["data"]["sendId"] == answer.send_id)
    assert mine["type"] == SEND_COMPLETED
    assert mine["data"]["counts"] == {"cancelled": 1, "done": 2, "failed": 1}
    assert mine["data"]["total"] == 4
    assert mine["data"]["at"].endswith("+00:00")


async def test_no_webhook_for_send_completed_without_a_subscription_to_it(
    uow_factory: Any, clock: ManualClock, hasher: Any
) -> None:
    department_id, ids = await arrange(uow_factory, clock, hasher, ["ivan@example.com"])
    await subscribe(uow_factory, clock, EventType.COMMUNICATION_STATUS_CHANGED)
    answer = await sending(uow_factory, clock)(SENDER, command(department_id, ids))
    sandbox = SandboxSender(clock, delay=timedelta(seconds=1))
    await dispatcher(uow_factory, clock, sandbox).run_once()
    clock.advance(seconds=5)
    await DeliveryReports(uow_factory, clock, [sandbox]).run_once()
    assert [e.send_id for e in await completions(uow_factory)] == [answer.send_id]
    assert {d.event_type for d in await outbox(uow_factory)} == {EventType.COMMUNICATION_STATUS_CHANGED}


async def test_a_channel_fallback_keeps_the_send_open_until_the_follow_up_ends(
    uow_factory: Any, clock: ManualClock, hasher: Any
) -> None:
    department_id, ids = await arrange_clients(
        uow_factory, clock, hasher, [client(clock, phone="+79990000000", email="ivan@example.com")]
    )
    world = World(uow_factory, clock)
    answer = await world.send(SENDER, channel_command(department_id, ids, (SMS, EMAIL)))
    await world.dispatcher.run_once()  # the SMS is refused at once; an email follow-up is queued
    sms, email = await world.all()
    assert (sms.status.value, email.status.value) == ("failed", "created")
    assert await completions(uow_factory) == []
    await world.run()
    (event,) = await completions(uow_factory)
    assert event.send_id == answer.send_id
    assert dict(event.counts) == {"cancelled": 0, "done": 1, "failed": 1}


async def test_two_transactions_ending_the_last_two_messages_complete_the_send_once(
    postgres_uow_factory: Any, clock: ManualClock, hasher: Any
) -> None:
    uow_factory = postgres_uow_factory
    department_id, ids = await arrange(uow_factory, clock, hasher, ["a@example.com", "b@example.com"])
    answer = await sending(uow_factory, clock)(SENDER, command(department_id, ids))
    uuids = [a.uuid for a in answer.accepted or ()]
    first_recorded = asyncio.Event()

    async def cancel(uuid: str, *, first: bool) -> None:
        async with uow_factory() as uow:
            communication = await uow.communications.get_by_uuid(uuid)
            watch = StatusWatch([communication])
            if not first:
                await first_recorded.wait()  # the other holds the send's row, not yet committed
            communication.cancel(at=clock.now(), actor=SENDER.actor)
            await uow.communications.update(communication)
            recording = asyncio.create_task(watch.record(uow, [communication]))
            if first:
                await asyncio.sleep(0.05)
                first_recorded.set()
                await recording
                await asyncio.sleep(0.3)  # the other transaction now waits on the send's row
            else:
                await recording
            await uow.commit()

    await asyncio.gather(cancel(uuids[0], first=True), cancel(uuids[1], first=False))
    (event,) = await completions(uow_factory)
    assert dict(event.counts) == {"cancelled": 2, "done": 0, "failed": 0}


async def test_a_send_that_refused_everybody_is_complete_at_once(
    uow_factory: Any, clock: ManualClock, hasher: Any
) -> None:
    department_id, ids = await arrange(uow_factory, clock, hasher, ["blocked@example.com"])
    await subscribe(uow_factory, clock, EventType.SEND_COMPLETED)
    now = clock.now()
    async with uow_factory() as uow:
        await uow.channel_blocks.add(
            ChannelBlock(client_id=ids[0], channel_id=EMAIL, create_time=now, update_time=now)
        )
        await uow.commit()
    answer = await sending(uow_factory, clock)(SENDER, command(department_id, ids))
    assert (answer.accepted_count, answer.refused_count) == (0, 1)
    [completed] = await completions(uow_factory, answer.send_id)
    assert sum(completed.counts.values()) == 0
    assert [d.event_type for d in await outbox(uow_factory)] == [EventType.SEND_COMPLETED]


async def test_deleting_a_sends_last_open_communication_completes_the_send(
    uow_factory: Any, clock: ManualClock, hasher: Any
) -> None:
    department_id, ids = await arrange(uow_factory, clock, hasher, ["ivan@example.com", "gone@example.com"])
    answer = await sending(uow_factory, clock)(SENDER, command(department_id, ids))
    kept, deleted = (a.uuid for a in answer.accepted or ())
    use_case = Communications(uow_factory, clock)
    await use_case.cancel(SENDER, kept, "not needed after all")
    assert await completions(uow_factory) == []  # the other one is still open

    await use_case.delete(SENDER, deleted)
    (event,) = await completions(uow_factory, answer.send_id)
    assert dict(event.counts) == {"cancelled": 1, "done": 0, "failed": 0}
