"""Failover and circuit breakers through the real dispatcher and Twilio adapters, against local Twilio
stubs misbehaving on purpose (500, 429 with Retry-After, stalls past the timeout, dropped connections).

Every outcome is counted: each message is sent by exactly one provider or finally failed with a reason,
and no message is taken by two providers.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from adapters.twilio.sender import TwilioSender, TwilioSettings
from application.providers.router import ProviderRouter, Route
from application.sending.commands import Audience, Content, SendCommand
from application.sending.dispatch import Dispatcher, DispatchPolicy
from domain.clients import Client
from domain.communications import Communication, DeliveryStatus, LifecycleStatus
from domain.dictionaries import ChannelKind
from domain.providers import CircuitBreaker, CircuitState
from tests.contract.test_dispatch import communications
from tests.support.clock import ManualClock
from tests.support.sending import SENDER, SMS, arrange, sending
from tests.support.twilio_stub import TwilioStub, dropping_server, twilio_stub

CALLBACK = "https://switchboard.example/webhooks/twilio/status"


# A timeout is ambiguous (the provider may still take the message), so the test's stall (5 s) must be
# the only request to outlast it: a tighter one made a busy machine's slow answers look like stalls.
def twilio(stub_url: str, stub: TwilioStub | None, name: str, timeout: float = 1.5) -> TwilioSender:
    settings = TwilioSettings(
        account_sid=stub.account_sid if stub else "AC0",
        auth_token=stub.auth_token if stub else "t",
        from_number="+15550006666",
        api_url=stub_url,
        status_callback_url=CALLBACK,
        timeout=timeout,
    )
    return TwilioSender(settings, name=name)


def router(
    clock: ManualClock, *senders: TwilioSender, failures: int = 3, cooldown: float = 60
) -> ProviderRouter:
    routes = [
        Route(sender=s, priority=i, breaker=CircuitBreaker(failures_to_open=failures, cooldown=cooldown))
        for i, s in enumerate(senders)
    ]
    # Cool-downs follow the test's clock, so that the test decides when they end.
    return ProviderRouter({ChannelKind.SMS: routes}, lambda: clock.now().timestamp(), attempt_timeout=3.0)


async def sms_to(uow_factory: Any, clock: ManualClock, hasher: Any, phones: list[str]) -> list[str]:
    """Queues an SMS to a new client per phone (the defaults and a department made on first use)."""
    async with uow_factory(read_only=True) as uow:
        existing = await uow.departments.first()
    department_id = existing.id if existing else (await arrange(uow_factory, clock, hasher, []))[0]
    now = clock.now()
    ids = []
    async with uow_factory() as uow:
        for phone in phones:
            client = await uow.clients.add(
                Client(first_name="Ivan", phones=[phone], create_time=now, update_time=now)
            )
            ids.append(client.id)
        await uow.commit()
    command = SendCommand(
        type_id=1,
        department_id=department_id,
        content=Content(text="Your code is 1234"),
        audience=Audience(client_ids=tuple(ids)),
        channel_ids=(SMS,),
    )
    answer = await sending(uow_factory, clock)(SENDER, command)
    assert answer.refused == ()
    return [a.uuid for a in answer.accepted or ()]


def taken_by(*stubs: TwilioStub) -> Counter[tuple[str, str]]:
    """(uuid, account) of every message a stub accepted, from the status callback it was given."""
    found: Counter[tuple[str, str]] = Counter()
    for stub in stubs:
        for accepted in stub.accepted:
            uuid = parse_qs(urlsplit(accepted.form["StatusCallback"]).query)["uuid"][0]
            found[(uuid, stub.account_sid)] += 1
    return found


async def drain(worker: Dispatcher, clock: ManualClock, rounds: int = 40) -> None:
    for _ in range(rounds):
        if await worker.run_once() == 0:
            clock.advance(seconds=900)  # past any backoff and cool-down
            if await worker.run_once() == 0:
                return
    raise AssertionError("the queue did not drain")


@pytest.fixture
def stubs() -> Iterator[tuple[TwilioStub, TwilioStub]]:
    with ExitStack() as stack:
        primary = stack.enter_context(twilio_stub(account_sid="AC" + "a" * 32))
        backup = stack.enter_context(twilio_stub(account_sid="AC" + "b" * 32))
        yield primary, backup


@pytest.fixture
async def senders(stubs: tuple[TwilioStub, TwilioStub]) -> AsyncIterator[tuple[TwilioSender, TwilioSender]]:
    primary, backup = stubs
    made = twilio(primary.url, primary, "twilio"), twilio(backup.url, backup, "twilio_backup")
    yield made
    for sender in made:
        await sender.close()


async def test_every_message_is_sent_once_or_failed_with_a_reason_under_faults(
    uow_factory: Any, clock: ManualClock, hasher: Any, stubs: Any, senders: Any
) -> None:
    primary, backup = stubs
    # Of every 20 requests to the primary: 6 answer 500, 2 answer 429, 1 stalls past the timeout.
    pattern = ["500", None, None, "429", "500", None, "slow", None, "500", None] + [None, "500", None] * 2
    pattern += ["500", "429", None, None]
    primary_calls, backup_calls = itertools.count(), itertools.count()
    primary.faults = lambda form: pattern[next(primary_calls) % len(pattern)]
    primary.slow_seconds = 5
    backup.faults = lambda form: "503" if next(backup_calls) % 10 == 9 else None
    invalid = ["+15005550001", "+15005550002", "+15005550003"]
    primary.invalid = backup.invalid = set(invalid)
    phones = [f"+1555{n:07d}" for n in range(60)] + invalid
    uuids = await sms_to(uow_factory, clock, hasher, phones)
    worker = Dispatcher(
        uow_factory,
        clock,
        {},
        {},
        DispatchPolicy(batch=25, concurrency=10, max_attempts=6),
        "w1",
        random.Random(3),
        router=router(clock, *senders, failures=4, cooldown=30),
    )
    await drain(worker, clock)

    final = await communications(uow_factory, uuids)
    taken = taken_by(primary, backup)
    by_uuid = Counter(uuid for uuid, _ in taken.elements())
    assert max(by_uuid.values()) == 1  # no message was taken twice, by one provider or by two
    outcomes: Counter[str] = Counter()
    for uuid, phone in zip(uuids, phones, strict=True):
        c: Communication = final[uuid]
        if c.delivery_status is DeliveryStatus.SENT:
            outcomes["sent"] += 1
            [(_, account)] = [key for key in taken if key[0] == uuid]
            assert c.provider == ("twilio" if account == primary.account_sid else "twilio_backup")
            assert c.provider_message_id and c.provider_message_id.startswith("SM")
        else:
            outcomes["failed"] += 1
            assert (c.status, c.delivery_status) == (LifecycleStatus.FAILED, DeliveryStatus.FAILED)
            assert c.failure_reason
            assert by_uuid[uuid] == 0
            if phone in invalid:
                assert "21211" in c.failure_reason
    assert outcomes["sent"] + outcomes["failed"] == len(phones)
    assert outcomes["sent"] == 60 and outcomes["failed"] == len(invalid)
    # A permanent error is final: each invalid number was refused once, by one provider, never retried.
    assert primary.answered.get("21211", 0) + backup.answered.get("21211", 0) == len(invalid)
    # The faults did happen and were carried by the backup.
    assert primary.answered["20500"] and primary.answered["20429"] and primary.answered["abandoned"]
    assert backup.accepted and primary.accepted


async def test_a_failing_provider_opens_its_circuit_and_the_next_carries_the_load(
    uow_factory: Any, clock: ManualClock, hasher: Any, stubs: Any, senders: Any
) -> None:
    primary, backup = stubs
    primary.faults = lambda form: "500"
    routed = router(clock, *senders, failures=3, cooldown=60)
    uuids = await sms_to(uow_factory, clock, hasher, [f"+1555{n:07d}" for n in range(20)])
    worker = Dispatcher(
        uow_factory, clock, {}, {}, DispatchPolicy(batch=50, concurrency=1), "w1", router=routed
    )
    assert await worker.run_once() == 20
    assert primary.answered == {"20500": 3}  # three failures, then paused: no more calls to it
    assert len(backup.accepted) == 20
    states = {s.provider: s for s in routed.states()}
    assert states["twilio"].circuit is CircuitState.OPEN and states["twilio"].open_for_seconds > 0
    assert states["twilio"].last_failure and "20500" in states["twilio"].last_failure
    assert states["twilio_backup"].circuit is CircuitState.CLOSED and states["twilio_backup"].sent == 20

    # After the cool-down one probe goes to the mended primary; its success closes the circuit.
    primary.faults = lambda form: None
    clock.advance(seconds=61)
    more = await sms_to(uow_factory, clock, hasher, [f"+1666{n:07d}" for n in range(5)])
    assert await worker.run_once() == 5
    assert len(primary.accepted) == 5 and len(backup.accepted) == 20
    assert {s.provider: s.circuit for s in routed.states()}["twilio"] is CircuitState.CLOSED
    final = await communications(uow_factory, uuids + more)
    assert {c.delivery_status for c in final.values()} == {DeliveryStatus.SENT}


async def test_a_permanent_error_does_not_fail_over(
    uow_factory: Any, clock: ManualClock, hasher: Any, stubs: Any, senders: Any
) -> None:
    primary, backup = stubs
    primary.unsubscribed.add("+15551234567")
    [uuid] = await sms_to(uow_factory, clock, hasher, ["+15551234567"])
    worker = Dispatcher(uow_factory, clock, {}, {}, DispatchPolicy(), "w1", router=router(clock, *senders))
    assert await worker.run_once() == 1
    assert primary.answered == {"21610": 1} and backup.answered == {}
    failed = (await communications(uow_factory, [uuid]))[uuid]
    assert failed.status is LifecycleStatus.FAILED and failed.failure_reason
    assert "21610" in failed.failure_reason and failed.attempts == 1


async def test_429_with_retry_after_pauses_the_provider_for_that_long(
    uow_factory: Any, clock: ManualClock, hasher: Any, stubs: Any, senders: Any
) -> None:
    primary, backup = stubs
    primary.faults = lambda form: "429"
    primary.retry_after = 120
    routed = router(clock, *senders, failures=10, cooldown=5)
    await sms_to(uow_factory, clock, hasher, [f"+1555{n:07d}" for n in range(6)])
    worker = Dispatcher(uow_factory, clock, {}, {}, DispatchPolicy(concurrency=1), "w1", router=routed)
    assert await worker.run_once() == 6
    assert primary.answered == {"20429": 1} and len(backup.accepted) == 6
    [state] = [s for s in routed.states() if s.provider == "twilio"]
    assert state.circuit is CircuitState.OPEN and 110 < state.open_for_seconds <= 120


async def test_dropped_connections_fail_over_and_lose_nothing(
    uow_factory: Any, clock: ManualClock, hasher: Any, stubs: Any
) -> None:
    _, backup = stubs
    with dropping_server() as peer:
        dropping = twilio(peer.url, None, "twilio")
        healthy = twilio(backup.url, backup, "twilio_backup")
        try:
            uuids = await sms_to(uow_factory, clock, hasher, [f"+1555{n:07d}" for n in range(10)])
            worker = Dispatcher(
                uow_factory,
                clock,
                {},
                {},
                DispatchPolicy(concurrency=4),
                "w1",
                router=router(clock, dropping, healthy, failures=100),
            )
            assert await worker.run_once() == 10
        finally:
            await dropping.close()
            await healthy.close()
    assert peer.connections >= 10
    final = await communications(uow_factory, uuids)
    assert {c.provider for c in final.values()} == {"twilio_backup"}
    assert {c.delivery_status for c in final.values()} == {DeliveryStatus.SENT}
    assert sorted(taken_by(backup).values()) == [1] * 10


async def test_every_provider_failing_leaves_the_message_queued_for_a_retry(
    uow_factory: Any, clock: ManualClock, hasher: Any, stubs: Any, senders: Any
) -> None:
    primary, backup = stubs
    primary.faults = backup.faults = lambda form: "503"
    [uuid] = await sms_to(uow_factory, clock, hasher, ["+15551234567"])
    worker = Dispatcher(
        uow_factory, clock, {}, {}, DispatchPolicy(max_attempts=3), "w1", router=router(clock, *senders)
    )
    assert await worker.run_once() == 1
    queued = (await communications(uow_factory, [uuid]))[uuid]
    assert queued.status is LifecycleStatus.CREATED and queued.attempts == 1
    # Both providers tried in the one attempt; after the last attempt it fails with every reason.
    assert (primary.answered["20500"], backup.answered["20500"]) == (1, 1)
    await drain(worker, clock)
    failed = (await communications(uow_factory, [uuid]))[uuid]
    assert failed.status is LifecycleStatus.FAILED and failed.failure_reason
    assert "twilio" in failed.failure_reason and "twilio_backup" in failed.failure_reason
    assert "gave up after 3 attempts" in failed.failure_reason
