"""A single send reads its one client's facts on a path of its own: it must read what an audience does."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from typing import Any

from domain.clients import Booking, ChannelBlock
from domain.push import PushSubscription
from domain.telegram import TelegramLink
from tests.support.clock import ManualClock
from tests.support.sending import SENDER, SMS, arrange, command, sending


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
