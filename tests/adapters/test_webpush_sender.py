"""The Web Push sender against a local push service that checks VAPID and decrypts like a browser."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from adapters.memory.unit_of_work import MemoryUnitOfWorkFactory
from adapters.webpush.keys import VapidKeyPairs, generate_private_key, public_key_of
from adapters.webpush.sender import WebPushSender, WebPushSettings
from application.sending.ports import OutgoingMessage, SendOutcome
from application.sending.push import StoredPushSubscriptions, StoredVapidKey
from domain.communications import DeliveryStatus
from domain.dictionaries import ChannelKind
from domain.push import PushSubscription
from tests.support.clock import ManualClock
from tests.support.push_service import Browser, PushService, push_service

PRIVATE = generate_private_key()
PUBLIC = public_key_of(PRIVATE)
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[PushService, Path]]:
    with push_service(PUBLIC, tmp_path) as running:
        yield running


@pytest.fixture
def uow_factory() -> MemoryUnitOfWorkFactory:
    return MemoryUnitOfWorkFactory()


@pytest.fixture
async def sender(
    service: tuple[PushService, Path], uow_factory: MemoryUnitOfWorkFactory
) -> AsyncIterator[WebPushSender]:
    _, ca = service
    made = WebPushSender(
        StoredPushSubscriptions(uow_factory),
        StoredVapidKey(uow_factory, ManualClock(), VapidKeyPairs(), PRIVATE),
        WebPushSettings(subject="mailto:ops@example.com", ca_file=str(ca), timeout=5),
    )
    yield made
    await made.close()


async def subscribe(
    uow_factory: Any, service: PushService, client_id: int
) -> tuple[Browser, PushSubscription]:
    browser = service.browser()
    async with uow_factory() as uow:
        stored = await uow.push_subscriptions.add(
            PushSubscription(
                client_id=client_id,
                endpoint=service.endpoint(browser),
                p256dh=browser.p256dh,
                auth=browser.auth,
                create_time=NOW,
                update_time=NOW,
            )
        )
        await uow.commit()
    return browser, stored


async def stored_ids(uow_factory: Any, client_id: int) -> set[int | None]:
    return {s.id for s in await StoredPushSubscriptions(uow_factory).of_client(client_id)}


def message(client_id: int, text: str = "Your order is ready — номер 42") -> OutgoingMessage:
    return OutgoingMessage(
        uuid=f"uuid-{client_id}",
        client_id=client_id,
        channel_id=4,
        channel_kind=ChannelKind.PUSH,
        to=f"push:{client_id}",
        subject="Order",
        text=text,
    )


async def test_every_browser_of_the_client_gets_the_message_encrypted_and_vapid_signed(
    service: tuple[PushService, Path], uow_factory: Any, sender: WebPushSender
) -> None:
    push, _ = service
    phone, _ = await subscribe(uow_factory, push, 7)
    laptop, _ = await subscribe(uow_factory, push, 7)
    await subscribe(uow_factory, push, 8)  # someone else's browser hears nothing

    result = await sender.send(message(7))

    assert result.outcome is SendOutcome.SENT
    assert push.refused == []
    assert sorted(d.path for d in push.delivered) == sorted([phone.path, laptop.path])
    for delivered in push.delivered:
        # Decrypted with the browser's own private key and auth secret: the text is real.
        assert delivered.payload == {
            "title": "Order",
            "body": "Your order is ready — номер 42",
            "uuid": "uuid-7",
        }
        assert delivered.headers["content-encoding"] == "aes128gcm"
        assert int(delivered.headers["ttl"]) > 0


async def test_the_vapid_token_is_signed_once_per_push_service_not_per_message(
    service: tuple[PushService, Path], uow_factory: Any, sender: WebPushSender
) -> None:
    push, _ = service
    await subscribe(uow_factory, push, 7)
    for _ in range(3):
        assert (await sender.send(message(7))).outcome is SendOutcome.SENT
    assert len(push.tokens) == 3 and len(set(push.tokens)) == 1


async def test_a_410_removes_that_subscription_and_the_others_still_get_it(
    service: tuple[PushService, Path], uow_factory: Any, sender: WebPushSender
) -> None:
    push, _ = service
    gone, _ = await subscribe(uow_factory, push, 7)
    alive, alive_row = await subscribe(uow_factory, push, 7)
    push.script[gone.path] = [410]

    result = await sender.send(message(7))

    assert result.outcome is SendOutcome.SENT
    assert [d.path for d in push.delivered] == [alive.path]
    assert await stored_ids(uow_factory, 7) == {alive_row.id}


@pytest.mark.parametrize("status", [404, 410])
async def test_when_every_subscription_is_gone_the_message_fails_finally_and_none_is_kept(
    service: tuple[PushService, Path], uow_factory: Any, sender: WebPushSender, status: int
) -> None:
    push, _ = service
    browser, _ = await subscribe(uow_factory, push, 7)
    push.script[browser.path] = [status]

    result = await sender.send(message(7))

    assert result.outcome is SendOutcome.REJECTED
    assert result.delivery_status is DeliveryStatus.UNDELIVERED
    assert result.reason and f"answered {status}" in result.reason
    assert await stored_ids(uow_factory, 7) == set()
    again = await sender.send(message(7))
    assert again.outcome is SendOutcome.REJECTED and again.reason and "no push subscription" in again.reason
    assert push.posts == [browser.path]  # the gone subscription is never tried again


@pytest.mark.parametrize("status", [500, 503, 429])
async def test_a_5xx_or_429_is_transient_the_subscription_stays_and_the_next_try_delivers(
    service: tuple[PushService, Path], uow_factory: Any, sender: WebPushSender, status: int
) -> None:
    push, _ = service
    browser, row = await subscribe(uow_factory, push, 7)
    push.script[browser.path] = [status]

    first = await sender.send(message(7))
    assert first.outcome is SendOutcome.RETRY and first.reason and str(status) in first.reason
    assert await stored_ids(uow_factory, 7) == {row.id}
    assert push.delivered == []

    second = await sender.send(message(7))
    assert second.outcome is SendOutcome.SENT
    assert [d.payload["body"] for d in push.delivered] == ["Your order is ready — номер 42"]


async def test_a_dead_push_service_is_transient(uow_factory: Any, tmp_path: Path) -> None:
    browser = Browser(path="/push/1")
    async with uow_factory() as uow:
        await uow.push_subscriptions.add(
            PushSubscription(
                client_id=7,
                endpoint="https://127.0.0.1:9/push/1",  # nothing listens on the discard port
                p256dh=browser.p256dh,
                auth=browser.auth,
                create_time=NOW,
                update_time=NOW,
            )
        )
        await uow.commit()
    sender = WebPushSender(
        StoredPushSubscriptions(uow_factory),
        StoredVapidKey(uow_factory, ManualClock(), VapidKeyPairs(), PRIVATE),
        WebPushSettings(subject="mailto:ops@example.com", timeout=2),
    )
    try:
        result = await sender.send(message(7))
    finally:
        await sender.close()
    assert result.outcome is SendOutcome.RETRY
    assert len(await stored_ids(uow_factory, 7)) == 1


async def test_a_wrong_vapid_key_is_refused_by_the_push_service_and_not_retried(
    service: tuple[PushService, Path], uow_factory: Any
) -> None:
    push, ca = service
    await subscribe(uow_factory, push, 7)
    stranger = WebPushSender(
        StoredPushSubscriptions(uow_factory),
        StoredVapidKey(uow_factory, ManualClock(), VapidKeyPairs(), generate_private_key()),
        WebPushSettings(subject="mailto:ops@example.com", ca_file=str(ca)),
    )
    try:
        result = await stranger.send(message(7))
    finally:
        await stranger.close()
    assert push.refused and "VAPID" in push.refused[0]
    assert result.outcome is SendOutcome.REJECTED and result.reason and "401" in result.reason
    assert len(await stored_ids(uow_factory, 7)) == 1  # refused, not gone: the subscription stays


async def test_a_client_without_subscriptions_cannot_be_reached(
    uow_factory: Any, sender: WebPushSender
) -> None:
    result = await sender.send(message(99))
    assert result.outcome is SendOutcome.REJECTED
    assert result.delivery_status is DeliveryStatus.UNDELIVERED


async def test_a_key_made_at_first_use_is_kept_and_shared(uow_factory: Any) -> None:
    made: list[str] = []

    class Counted(VapidKeyPairs):
        def generate(self) -> str:
            made.append(super().generate())
            return made[-1]

    first = await StoredVapidKey(uow_factory, ManualClock(), Counted())()
    second = await StoredVapidKey(uow_factory, ManualClock(), Counted())()  # another process, later
    assert first == second == made[0]
    assert public_key_of(first).startswith("B")  # 0x04: an uncompressed point


def test_push_providers_webpush_puts_the_push_sender_in_the_router(uow_factory: Any) -> None:
    from adapters.sandbox.sender import SandboxSender
    from entrypoints.provider_settings import ProviderSettings
    from entrypoints.providers_container import provider_router
    from tests.support.clock import ManualClock

    env = {"PUSH_PROVIDERS": "webpush,sandbox", "VAPID_PRIVATE_KEY": PRIVATE}
    router = provider_router(
        ProviderSettings.from_env(env), "http://localhost", SandboxSender(ManualClock()), env, uow_factory
    )
    names = [route.sender.provider for route in router.routes(ChannelKind.PUSH)]
    assert names == ["webpush", "sandbox"]
