"""The send request's facts read: one client's own path reads what an audience does, at any size."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from typing import Any

from domain.clients import Booking, ChannelBlock
from domain.push import PushSubscription
from domain.telegram import TelegramLink
from tests.support.clock import ManualClock
from tests.support.push_service import Browser
from tests.support.sending import SENDER, SMS, arrange, command, sending

BEYOND_POSTGRES_PARAMETERS = 40_000
"""More ids than PostgreSQL's 32,767 bound parameters: one parameter per id would be refused."""


async def test_facts_of_an_audience_larger_than_the_parameter_limit(
    uow_factory: Any, clock: ManualClock, hasher: Any
) -> None:
    department_id, (pushed, sent) = await arrange(
        uow_factory, clock, hasher, ["pushed@example.com", "sent@example.com"]
    )
    now, browser = clock.now(), Browser(path="/a")
    async with uow_factory() as uow:
        await uow.push_subscriptions.add(
            PushSubscription(
                client_id=pushed,
                endpoint="https://push.example.com/a",
                p256dh=browser.p256dh,
                auth=browser.auth,
                create_time=now,
                update_time=now,
            )
        )
        await uow.commit()
    await sending(uow_factory, clock)(SENDER, command(department_id, [sent]))
    audience = [*range(10**6, 10**6 + BEYOND_POSTGRES_PARAMETERS), pushed, sent]
    async with uow_factory(read_only=True) as uow:
        facts = await uow.sends.facts(audience, now)
    assert set(facts) == {pushed, sent}
    assert facts[pushed].has_push_subscription and facts[pushed].sent_today == 0
    assert (facts[sent].sent_today, facts[sent].sent_this_week) == (1, 1)
    assert facts[sent].last_sent_at == now and not facts[sent].has_push_subscription


def _values(facts: Any) -> dict[str, Any]:
    # Entities compare by id: compare every field, so a misread column shows.
    return {
        **asdict(facts),
        "blocks": [vars(b) for b in facts.blocks],
        "bookings": [vars(b) for b in facts.bookings],
    }


async def test_one_clients_facts_are_those_it_has_in_an_audience(
    uow_factory: Any, clock: ManualClock, hasher: Any
) -> None:
    department_id, (known, other) = await arrange(
        uow_factory, clock, hasher, ["a@example.com", "b@example.com"]
    )
    send = sending(uow_factory, clock)
    await send(SENDER, command(department_id, [known]))
    clock.advance(days=1)
    await send(SENDER, command(department_id, [known]))
    now = clock.now()
    async with uow_factory() as uow:
        await uow.channel_blocks.add(
            ChannelBlock(
                client_id=known,
                channel_id=SMS,
                until=now + timedelta(days=3),
                create_time=now,
                update_time=now,
            )
        )
        await uow.channel_blocks.add(  # ended: neither path may read it
            ChannelBlock(
                client_id=known,
                channel_id=SMS,
                until=now - timedelta(days=1),
                create_time=now,
                update_time=now,
            )
        )
        await uow.bookings.add(
            Booking(
                client_id=known,
                before_date=now + timedelta(days=2),
                name="held",
                create_time=now,
                update_time=now,
            )
        )
        await uow.push_subscriptions.add(
            PushSubscription(
                client_id=known,
                endpoint="https://push.example.com/one",
                p256dh="BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
                auth="tBHItJI5svbpez7KI4CCXg",
                create_time=now,
                update_time=now,
            )
        )
        await uow.telegram_links.add(
            TelegramLink(client_id=known, chat_id="12345", create_time=now, update_time=now)
        )
        await uow.commit()
    clock.advance(minutes=1)
    async with uow_factory() as uow:
        alone = await uow.sends.facts([known], clock.now())
        nobody = await uow.sends.facts([other], clock.now())
        among = await uow.sends.facts([known, other], clock.now())
    assert set(alone) == {known} and nobody == {} and set(among) == {known}
    assert _values(alone[known]) == _values(among[known])
    facts = alone[known]
    assert (facts.sent_today, facts.sent_this_week) == (1, 2)
    assert facts.last_sent_at is not None and len(facts.blocks) == 1 and len(facts.bookings) == 1
    assert facts.has_push_subscription and facts.has_linked_chat
