"""Channel fallback on every storage: a final failure tries the send's next channel, linked both ways."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta
from typing import Any

from adapters.sandbox.sender import SandboxSender
from adapters.templates.jinja import JinjaRenderer
from application.communications.listing import CommunicationFilter
from application.decisions.ports import FALLBACK_MODE
from application.events.ports import EventFilter, StatusChanged
from application.queries import Query
from application.sending.commands import Audience, Content, SendCommand
from application.sending.dispatch import Dispatcher, DispatchPolicy
from application.sending.fallback import ChannelFallback
from application.sending.reports import DeliveryReports
from application.sending.send import EmailIdentity, SendMessages
from application.sending.unsubscribe import UnsubscribeTokens
from domain.clients import ChannelBlock, Client
from domain.communications import Communication, DeliveryStatus, LifecycleStatus
from domain.dictionaries import ChannelKind
from domain.rules import Rule
from tests.support.clock import ManualClock
from tests.support.sending import SENDER, arrange_clients, uuid_source

SMS, MESSENGER, EMAIL = 1, 2, 3
IDENTITY = EmailIdentity(
    public_url="http://localhost:8181", message_id_domain="test.local", tokens=UnsubscribeTokens(b"k")
)


def client(
    clock: ManualClock, *, phone: str | None = None, email: str | None = None, telegram: str | None = None
) -> Client:
    now = clock.now()
    return Client(
        first_name="Ivan",
        email=email,
        phones=[phone] if phone else [],
        social_media={"telegram": telegram} if telegram else None,
        create_time=now,
        update_time=now,
    )


def failing_twice(clock: ManualClock) -> Client:
    """A client the sandbox fails on SMS (a phone ending in 0000) and email (bounce), not on Telegram."""
    return client(clock, phone="+79990000000", email="bounce@example.com", telegram="ivan")


class World:
    """The send, the dispatcher and the delivery reports over one sandbox, with the fallback wired."""

    def __init__(self, uow_factory: Any, clock: ManualClock) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.sandbox = SandboxSender(clock, delay=timedelta(seconds=1))
        self.fallback = fallback = ChannelFallback(IDENTITY, uuid_source(7))
        self.send = SendMessages(uow_factory, clock, JinjaRenderer(), IDENTITY, uuid_source(1))
        self.dispatcher = Dispatcher(
            uow_factory,
            clock,
            {kind: self.sandbox for kind in ChannelKind},
            {},
            DispatchPolicy(),
            "w1",
            random.Random(7),
            fallback=fallback,
        )
        self.reports = DeliveryReports(uow_factory, clock, [self.sandbox], fallback)

    async def run(self, rounds: int = 6) -> None:
        """Dispatch and apply reports until nothing is left to do."""
        for _ in range(rounds):
            await self.dispatcher.run_once()
            self.clock.advance(seconds=5)
            await self.reports.run_once()

    async def all(self) -> list[Communication]:
        async with self.uow_factory(read_only=True) as uow:
            found = await uow.communications.find(Query(CommunicationFilter().criteria(), limit=1000))
        return sorted(found, key=lambda c: c.id or 0)

    async def pending(self) -> int:
        async with self.uow_factory(read_only=True) as uow:
            return int(await uow.dispatch.pending_count())

    async def notes(self, c: Communication) -> list[str]:
        """The notes in the stored history of ``c``."""
        async with self.uow_factory(read_only=True) as uow:
            history = await uow.communications.history(c.id or 0)
        return [h.note or "" for h in history if h.field == "edit"]


def command(department_id: int, ids: list[int], channels: tuple[int, ...]) -> SendCommand:
    return SendCommand(
        type_id=1,
        department_id=department_id,
        content=Content(subject="Hi", text="Hello {{ client.firstName }}"),
        audience=Audience(client_ids=tuple(ids)),
        channel_ids=channels,
    )


async def test_a_permanent_sms_failure_falls_back_to_email_which_is_delivered(
    uow_factory: Any, clock: ManualClock, hasher: Any
) -> None:
    department_id, ids = await arrange_clients(
        uow_factory, clock, hasher, [client(clock, phone="+79990000000", email="ivan@example.com")]
    )
    world = World(uow_factory, clock)
    answer = await world.send(SENDER, command(department_id, ids, (SMS, EMAIL)))
    assert [a.channel_id for a in answer.accepted or ()] == [SMS]
    await world.run()
    sms, email = await world.all()
    assert (sms.channel_id, sms.status, sms.delivery_status) == (
        SMS,
        LifecycleStatus.FAILED,
        DeliveryStatus.FAILED,
    )
    assert (email.channel_id, email.status, email.delivery_status) == (
        EMAIL,
        LifecycleStatus.DONE,
        DeliveryStatus.DELIVERED,
    )
    assert email.fallback_of == sms.id and sms.fallback_of is None
    assert email.client_id == sms.client_id and email.content == "Hello Ivan"
    # Both histories name the other communication.
    assert f"fallback: communication {email.id} on channel {EMAIL}" in await world.notes(sms)
    assert any(
        n.startswith(f"fallback of communication {sms.id}, which failed on channel {SMS}")
        for n in await world.notes(email)
    )
    [sent] = world.sandbox.messages(uuid=email.uuid)
    assert sent.to == "ivan@example.com" and sent.html and "Hello Ivan" in sent.html
    assert sent.headers["Message-ID"] == f"<{email.uuid}@test.local>"
    assert not world.sandbox.messages(uuid=sms.uuid)  # the refused SMS never went out
    # In the same send: its progress counts both attempts.
    async with uow_factory(read_only=True) as uow:
        counts = await uow.sends.counts(answer.send_id)
    assert counts.delivery == {"failed": 1, "delivered": 1}
    assert await world.pending() == 0


async def test_a_chain_of_three_channels_ends_on_the_one_that_works(
    uow_factory: Any, clock: ManualClock, hasher: Any
) -> None:
    department_id, ids = await arrange_clients(uow_factory, clock, hasher, [failing_twice(clock)])
    world = World(uow_factory, clock)
    await world.send(SENDER, command(department_id, ids, (SMS, EMAIL, MESSENGER)))
    await world.run()
    sms, email, messenger = await world.all()
    assert [c.channel_id for c in (sms, email, messenger)] == [SMS, EMAIL, MESSENGER]
    assert (sms.delivery_status, email.delivery_status) == (DeliveryStatus.FAILED, DeliveryStatus.UNDELIVERED)
    assert messenger.delivery_status is DeliveryStatus.READ
    assert (email.fallback_of, messenger.fallback_of) == (sms.id, email.id)
    assert f"fallback: communication {messenger.id} on channel {MESSENGER}" in await world.notes(email)
    # Asked again about a failure it followed up already, it makes no second follow-up.
    async with uow_factory() as uow:
        assert await world.fallback.follow_up(uow, [sms, email], clock.now()) == []
        await uow.commit()
    assert len(await world.all()) == 3


async def test_the_last_failure_stands_when_no_channel_is_left(
    uow_factory: Any, clock: ManualClock, hasher: Any
) -> None:
    department_id, ids = await arrange_clients(
        uow_factory, clock, hasher, [client(clock, phone="+79990000000", email="bounce@example.com")]
    )
    world = World(uow_factory, clock)
    await world.send(SENDER, command(department_id, ids, (SMS, EMAIL)))
    await world.run()
    sms, email = await world.all()
    assert email.fallback_of == sms.id
    assert (email.status, email.delivery_status) == (LifecycleStatus.FAILED, DeliveryStatus.UNDELIVERED)
    assert not any("fallback:" in n for n in await world.notes(email))


async def test_no_fallback_when_the_client_has_no_contact_for_the_next_channel(
    uow_factory: Any, clock: ManualClock, hasher: Any
) -> None:
    department_id, ids = await arrange_clients(
        uow_factory, clock, hasher, [client(clock, phone="+79990000000")]
    )
    world = World(uow_factory, clock)
    await world.send(SENDER, command(department_id, ids, (SMS, EMAIL)))
    await world.run()
    [sms] = await world.all()
    assert (sms.status, sms.delivery_status) == (LifecycleStatus.FAILED, DeliveryStatus.FAILED)
    assert any(n.startswith("no fallback:") and "no email address" in n for n in await world.notes(sms))
    assert await world.pending() == 0


async def test_no_fallback_when_the_rule_forbids_the_next_channel_or_it_is_blocked(
    uow_factory: Any, clock: ManualClock, hasher: Any
) -> None:
    department_id, ids = await arrange_clients(
        uow_factory,
        clock,
        hasher,
        [
            client(clock, phone="+79990000000", email="ivan@example.com"),
            client(clock, phone="+79991110000", email="petr@example.com"),
        ],
    )
    world = World(uow_factory, clock)
    await world.send(SENDER, command(department_id, ids, (SMS, EMAIL)))
    now = clock.now()
    async with uow_factory() as uow:
        # Sent already: the rule and the block come after the request, before the failure.
        await uow.rules.add(
            Rule(
                department_id=department_id,
                name="SMS only",
                allowed_channel_ids=[SMS],
                create_time=now,
                update_time=now,
            )
        )
        await uow.commit()
    await world.run()
    first, second = await world.all()
    for sms in (first, second):
        assert sms.delivery_status is DeliveryStatus.FAILED
        assert any(n.startswith("no fallback:") and "rule 'SMS only'" in n for n in await world.notes(sms))
    assert await world.pending() == 0


async def test_a_blocked_next_channel_makes_no_fallback(
    uow_factory: Any, clock: ManualClock, hasher: Any
) -> None:
    department_id, ids = await arrange_clients(
        uow_factory, clock, hasher, [client(clock, phone="+79990000000", email="ivan@example.com")]
    )
    now = clock.now()
    async with uow_factory() as uow:
        await uow.channel_blocks.add(
            ChannelBlock(client_id=ids[0], channel_id=EMAIL, reason="asked", create_time=now, update_time=now)
        )
        await uow.commit()
    world = World(uow_factory, clock)
    await world.send(SENDER, command(department_id, ids, (SMS, EMAIL)))
    await world.run()
    [sms] = await world.all()
    assert any(n.startswith("no fallback:") and "is blocked" in n for n in await world.notes(sms))


async def test_the_failed_message_does_not_count_against_caps_but_earlier_sends_do(
    uow_factory: Any, clock: ManualClock, hasher: Any
) -> None:
    department_id, ids = await arrange_clients(
        uow_factory,
        clock,
        hasher,
        [
            client(clock, phone="+79990000000", email="ivan@example.com"),
            client(clock, phone="+79991110000", email="petr@example.com"),
        ],
    )
    world = World(uow_factory, clock)
    await world.send(SENDER, command(department_id, ids[1:], (EMAIL,)))  # Petr got one message today
    clock.advance(minutes=5)
    await world.send(SENDER, command(department_id, ids, (SMS, EMAIL)))
    now = clock.now()
    async with uow_factory() as uow:
        # Before the SMS fail: one message a day, a minute apart.
        await uow.rules.add(
            Rule(
                department_id=department_id,
                name="Once a day",
                max_per_day=1,
                min_interval_minutes=1,
                create_time=now,
                update_time=now,
            )
        )
        await uow.commit()
    await world.run()
    communications = await world.all()
    ivan = [c for c in communications if c.client_id == ids[0]]
    petr = [c for c in communications if c.client_id == ids[1]]
    # Ivan's failed SMS never reached him: his follow-up is his first message of the day.
    assert [c.channel_id for c in ivan] == [SMS, EMAIL] and ivan[1].fallback_of == ivan[0].id
    assert [c.channel_id for c in petr] == [EMAIL, SMS]  # Petr's earlier email counts: no follow-up
    assert any(
        n.startswith("no fallback:") and "rule 'Once a day' allows 1" in n for n in await world.notes(petr[1])
    )


async def test_an_auto_send_falls_back_along_its_decision_s_ranking_each_follow_up_logged_and_announced(
    uow_factory: Any, clock: ManualClock, hasher: Any
) -> None:
    department_id, ids = await arrange_clients(uow_factory, clock, hasher, [failing_twice(clock)])
    now = clock.now()
    async with uow_factory() as uow:
        # No history at all: the rule's priority orders the ranking.
        await uow.rules.add(
            Rule(
                department_id=department_id,
                name="auto",
                channel_priority=[SMS, EMAIL, MESSENGER],
                create_time=now,
                update_time=now,
            )
        )
        await uow.commit()
    world = World(uow_factory, clock)
    answer = await world.send(SENDER, replace(command(department_id, ids, ()), auto_channels=True))
    assert [a.channel_id for a in answer.accepted or ()] == [SMS]
    await world.run()
    sms, email, messenger = await world.all()
    assert [c.channel_id for c in (sms, email, messenger)] == [SMS, EMAIL, MESSENGER]
    assert (email.fallback_of, messenger.fallback_of) == (sms.id, email.id)
    assert messenger.delivery_status is DeliveryStatus.READ
    async with uow_factory(read_only=True) as uow:
        logged = await uow.decisions.of_many([sms.id or 0, email.id or 0, messenger.id or 0])
        events = await uow.events.after(0, EventFilter(send_id=answer.send_id), 100)
    first = logged[sms.id or 0]
    assert first.mode == "greedy" and first.channel_ids[:3] == (SMS, EMAIL, MESSENGER)
    for follow in (email, messenger):
        carried = logged[follow.id or 0]
        assert (carried.mode, carried.channel_ids, carried.matches_rule) == (
            FALLBACK_MODE,
            first.channel_ids,
            False,
        )
        assert carried.explanation.startswith(f"fallback of communication {follow.fallback_of}")
    created = [
        e.event.uuid for e in events if isinstance(e.event, StatusChanged) and e.event.status == "created"
    ]
    assert created == [email.uuid, messenger.uuid]
