"""Push on every storage: subscriptions are contact data, the dispatcher pushes through WebPushSender.

The push service is a local TLS server that verifies VAPID and decrypts as the browser would.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from adapters.phones import LibPhoneNumberParser
from adapters.webpush.keys import VapidKeyPairs, generate_private_key, public_key_of
from adapters.webpush.sender import WebPushSender, WebPushSettings
from application.clients import Clients
from application.sending.dispatch import Dispatcher, DispatchPolicy
from application.sending.push import (
    PushSubscriptions,
    StoredPushSubscriptions,
    StoredVapidKey,
    SubscribeCommand,
)
from domain.communications import DeliveryStatus, LifecycleStatus
from domain.dictionaries import ChannelKind
from domain.errors import Conflict
from domain.push import PushSubscription
from domain.sending.refusals import RefusalReason
from tests.contract.test_dispatch import communications
from tests.support.clock import ManualClock
from tests.support.push_service import Browser, PushService, push_service
from tests.support.sending import SENDER, arrange, command, sending

PUSH = 4
PRIVATE = generate_private_key()


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[PushService, Path]]:
    with push_service(public_key_of(PRIVATE), tmp_path) as running:
        yield running


def subscribe_command(push: PushService, browser: Browser) -> SubscribeCommand:
    return SubscribeCommand(endpoint=push.endpoint(browser), p256dh=browser.p256dh, auth=browser.auth)


async def test_the_dispatcher_pushes_retries_a_500_and_a_410_fails_finally_and_removes_it(
    uow_factory: Any, clock: ManualClock, hasher: Any, service: tuple[PushService, Path]
) -> None:
    push, ca = service
    department_id, (flaky_id, gone_id, nobody_id) = await arrange(
        uow_factory, clock, hasher, ["a@example.com", "b@example.com", "c@example.com"]
    )
    subscriptions = PushSubscriptions(uow_factory, clock)
    flaky, gone = push.browser(), push.browser()
    await subscriptions.subscribe(flaky_id, subscribe_command(push, flaky))
    gone_row = await subscriptions.subscribe(gone_id, subscribe_command(push, gone))
    push.script[flaky.path] = [500]
    push.script[gone.path] = [410]

    ask = replace(command(department_id, [flaky_id, gone_id, nobody_id]), channel_ids=(PUSH,))
    answer = await sending(uow_factory, clock)(SENDER, ask)
    assert {a.client_id for a in answer.accepted or ()} == {flaky_id, gone_id}
    assert [(r.client_id, r.reason) for r in answer.refused or ()] == [(nobody_id, RefusalReason.NO_CONTACT)]
    uuid_of = {a.client_id: a.uuid for a in answer.accepted or ()}

    sender = WebPushSender(
        StoredPushSubscriptions(uow_factory),
        StoredVapidKey(uow_factory, ManualClock(), VapidKeyPairs(), PRIVATE),
        WebPushSettings(subject="mailto:ops@example.com", ca_file=str(ca), timeout=5),
    )
    senders = {kind: sender for kind in ChannelKind}
    dispatcher = Dispatcher(uow_factory, clock, senders, {}, DispatchPolicy(), "w1", random.Random(7))
    try:
        assert await dispatcher.run_once() == 2
        first = await communications(uow_factory, list(uuid_of.values()))
        failed = first[uuid_of[gone_id]]
        assert (failed.status, failed.delivery_status) == (LifecycleStatus.FAILED, DeliveryStatus.UNDELIVERED)
        assert failed.failure_reason and "410" in failed.failure_reason
        waiting = first[uuid_of[flaky_id]]
        assert (
            waiting.delivery_status is not DeliveryStatus.SENT
            and waiting.status is not LifecycleStatus.FAILED
        )
        assert push.delivered == []

        clock.advance(hours=1)
        assert await dispatcher.run_once() == 1
        assert await dispatcher.run_once() == 0  # nothing is pushed twice
    finally:
        await sender.close()

    final = await communications(uow_factory, [uuid_of[flaky_id]])
    sent = final[uuid_of[flaky_id]]
    assert (sent.delivery_status, sent.provider) == (DeliveryStatus.SENT, "webpush")
    [delivered] = push.delivered
    assert delivered.path == flaky.path
    assert delivered.payload == {"title": "Hi", "body": "Hello Ivan", "uuid": uuid_of[flaky_id]}
    assert push.posts.count(gone.path) == 1
    async with uow_factory(read_only=True) as uow:
        assert await uow.push_subscriptions.get(gone_row.id) is None
    assert [s.endpoint for s in await subscriptions.of_client(flaky_id)] == [push.endpoint(flaky)]


async def test_push_facts_are_read_for_the_whole_audience(
    uow_factory: Any, clock: ManualClock, hasher: Any
) -> None:
    _, ids = await arrange(uow_factory, clock, hasher, [f"c{i}@example.com" for i in range(6)])
    subscriptions = PushSubscriptions(uow_factory, clock)
    for client_id in ids[::2]:
        browser = Browser(path=f"/b/{client_id}")
        endpoint = f"https://push.example.com/{client_id}"
        await subscriptions.subscribe(
            client_id, SubscribeCommand(endpoint=endpoint, p256dh=browser.p256dh, auth=browser.auth)
        )
    async with uow_factory(read_only=True) as uow:
        facts = await uow.sends.facts(ids, clock.now())
    assert {i for i in ids if i in facts and facts[i].has_push_subscription} == set(ids[::2])


async def test_one_endpoint_is_one_row_and_follows_the_client_who_subscribed_last(
    uow_factory: Any, clock: ManualClock, hasher: Any
) -> None:
    _, (ivan, olga) = await arrange(uow_factory, clock, hasher, ["i@example.com", "o@example.com"])
    subscriptions = PushSubscriptions(uow_factory, clock)
    browser = Browser(path="/shared")
    shared = SubscribeCommand(
        endpoint="https://push.example.com/shared", p256dh=browser.p256dh, auth=browser.auth
    )
    first = await subscriptions.subscribe(ivan, shared)
    second = await subscriptions.subscribe(olga, shared)  # the shared tablet, now Olga's
    assert second.id == first.id
    assert await subscriptions.of_client(ivan) == []
    assert [s.client_id for s in await subscriptions.of_client(olga)] == [olga]


async def test_deleting_a_client_deletes_its_subscriptions(
    uow_factory: Any, clock: ManualClock, hasher: Any
) -> None:

    _, (ivan,) = await arrange(uow_factory, clock, hasher, ["i@example.com"])
    browser = Browser(path="/p")
    row = await PushSubscriptions(uow_factory, clock).subscribe(
        ivan,
        SubscribeCommand(endpoint="https://push.example.com/p", p256dh=browser.p256dh, auth=browser.auth),
    )
    await Clients(uow_factory, clock, LibPhoneNumberParser()).delete(ivan)
    async with uow_factory(read_only=True) as uow:
        assert await uow.push_subscriptions.get(row.id) is None


async def test_the_endpoint_is_unique_in_storage(sql_uow_factory: Any, clock: ManualClock) -> None:
    browser = Browser(path="/u")
    now = clock.now()
    async with sql_uow_factory() as uow:
        from domain.clients import Client

        client = await uow.clients.add(Client(first_name="Ivan", create_time=now, update_time=now))
        await uow.commit()
    row = PushSubscription(
        client_id=client.id,
        endpoint="https://push.example.com/u",
        p256dh=browser.p256dh,
        auth=browser.auth,
        create_time=now,
        update_time=now,
    )
    async with sql_uow_factory() as uow:
        await uow.push_subscriptions.add(row)
        await uow.commit()
    with pytest.raises(Conflict):
        async with sql_uow_factory() as uow:
            await uow.push_subscriptions.add(replace(row, id=None))
            await uow.commit()


async def test_the_vapid_key_made_at_first_start_survives_a_restart(uow_factory: Any) -> None:
    first = await StoredVapidKey(uow_factory, ManualClock(), VapidKeyPairs())()
    restarted = await StoredVapidKey(uow_factory, ManualClock(), VapidKeyPairs())()
    assert restarted == first
    assert public_key_of(first)
