"""The send request's set-based facts read, at the size of a big audience on every storage."""

from __future__ import annotations

from typing import Any

from domain.push import PushSubscription
from tests.support.clock import ManualClock
from tests.support.push_service import Browser
from tests.support.sending import SENDER, arrange, command, sending

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
