"""Telegram on every storage: a linked chat is contact data for Messenger, read for the whole audience;
the dispatcher sends through TelegramSender to a local Bot API stub; a reply marks the send responded."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from adapters.phones import LibPhoneNumberParser
from adapters.telegram.sender import TelegramSender, TelegramSettings
from application.providers.callbacks import ProviderCallbacks
from application.providers.router import ProviderRouter
from application.providers.telegram import ChatMessage, StoredTelegramChats, TelegramLinks, UpdateOutcome
from application.sending.dispatch import Dispatcher, DispatchPolicy
from domain.communications import DeliveryStatus, Direction, LifecycleStatus
from domain.dictionaries import ChannelKind
from domain.sending.refusals import RefusalReason
from tests.contract.test_dispatch import communications
from tests.support.clock import ManualClock
from tests.support.sending import SENDER, arrange, command, sending
from tests.support.telegram_stub import TelegramStub, telegram_stub

MESSENGER = 2


@pytest.fixture
def stub() -> Iterator[TelegramStub]:
    with telegram_stub() as running:
        yield running


def links(uow_factory: Any, clock: ManualClock) -> TelegramLinks:
    callbacks = ProviderCallbacks(uow_factory, clock, LibPhoneNumberParser("RU"))
    return TelegramLinks(uow_factory, clock, callbacks)


async def link(telegram: TelegramLinks, client_id: int, chat_id: str) -> None:
    code = (await telegram.link_code(client_id)).code
    assert code is not None
    assert (
        await telegram.received(ChatMessage(chat_id=chat_id, text=f"/start {code}")) is UpdateOutcome.LINKED
    )


async def test_linked_chats_are_messenger_contact_data_and_the_dispatcher_sends_and_a_reply_responds(
    uow_factory: Any, clock: ManualClock, hasher: Any, stub: TelegramStub
) -> None:
    department_id, (linked_id, handle_id, nobody_id) = await arrange(
        uow_factory, clock, hasher, ["a@example.com", "b@example.com", "c@example.com"]
    )
    telegram = links(uow_factory, clock)
    await link(telegram, linked_id, "1001")
    async with uow_factory() as uow:
        handled = await uow.clients.get(handle_id)
        handled.social_media = {"telegram": "1002"}
        await uow.clients.update(handled)
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        facts = await uow.sends.facts([linked_id, handle_id, nobody_id], clock.now())
    assert {i for i, f in facts.items() if f.has_linked_chat} == {linked_id}

    ask = replace(command(department_id, [linked_id, handle_id, nobody_id]), channel_ids=(MESSENGER,))
    answer = await sending(uow_factory, clock)(SENDER, ask)
    assert {a.client_id for a in answer.accepted or ()} == {linked_id, handle_id}
    assert [(r.client_id, r.reason) for r in answer.refused or ()] == [(nobody_id, RefusalReason.NO_CONTACT)]
    uuid_of = {a.client_id: a.uuid for a in answer.accepted or ()}

    stub.script["1001"] = ["429"]
    sender = TelegramSender(
        TelegramSettings(bot_token=stub.token, api_url=stub.url, timeout=5), StoredTelegramChats(uow_factory)
    )
    senders = {ChannelKind.MESSENGER: sender}
    # The provider's pause after the 429 (its retry_after) runs on the test's clock, not the machine's:
    # advancing an hour ends it, however fast the test runs.
    on_test_clock = ProviderRouter.single(senders, {}, lambda: clock.now().timestamp())
    dispatcher = Dispatcher(
        uow_factory, clock, senders, {}, DispatchPolicy(), "w1", random.Random(7), router=on_test_clock
    )
    try:
        assert await dispatcher.run_once() == 2
        first = await communications(uow_factory, list(uuid_of.values()))
        waiting = first[uuid_of[linked_id]]
        assert (
            waiting.delivery_status is not DeliveryStatus.SENT
            and waiting.status is not LifecycleStatus.FAILED
        )
        assert first[uuid_of[handle_id]].delivery_status is DeliveryStatus.SENT
        clock.advance(hours=1)
        assert await dispatcher.run_once() == 1
        assert await dispatcher.run_once() == 0  # nothing is sent twice
    finally:
        await sender.close()
    assert sorted((s.chat_id, s.text) for s in stub.sent) == [("1001", "Hello Ivan"), ("1002", "Hello Ivan")]
    sent = (await communications(uow_factory, [uuid_of[linked_id]]))[uuid_of[linked_id]]
    assert (sent.delivery_status, sent.provider) == (DeliveryStatus.SENT, "telegram")

    outcome = await telegram.received(ChatMessage(chat_id="1001", text="Got it, thanks", message_id="55"))
    assert outcome is UpdateOutcome.REPLY
    answered = (await communications(uow_factory, [uuid_of[linked_id]]))[uuid_of[linked_id]]
    assert (answered.delivery_status, answered.result) == (DeliveryStatus.RESPONDED, "Got it, thanks")
    untouched = (await communications(uow_factory, [uuid_of[handle_id]]))[uuid_of[handle_id]]
    assert untouched.delivery_status is DeliveryStatus.SENT


async def test_a_blocked_bot_fails_finally_and_a_chat_moves_to_the_client_who_used_its_new_code(
    uow_factory: Any, clock: ManualClock, hasher: Any, stub: TelegramStub
) -> None:
    department_id, (first_id, second_id) = await arrange(
        uow_factory, clock, hasher, ["a@example.com", "b@example.com"]
    )
    telegram = links(uow_factory, clock)
    await link(telegram, first_id, "1003")
    await link(telegram, second_id, "1003")  # the same chat, now the second client's
    first, second = await telegram.of_client(first_id), await telegram.of_client(second_id)
    assert first is not None and (first.chat_id, first.code) == (None, None)
    assert second is not None and second.chat_id == "1003"
    again = await telegram.link_code(second_id)  # linked: a fresh code to relink
    assert again.code is not None and again.chat_id == "1003"

    stub.blocked.add("1003")
    ask = replace(command(department_id, [first_id, second_id]), channel_ids=(MESSENGER,))
    answer = await sending(uow_factory, clock)(SENDER, ask)
    assert [a.client_id for a in answer.accepted or ()] == [second_id]
    sender = TelegramSender(
        TelegramSettings(bot_token=stub.token, api_url=stub.url, timeout=5), StoredTelegramChats(uow_factory)
    )
    dispatcher = Dispatcher(
        uow_factory, clock, {ChannelKind.MESSENGER: sender}, {}, DispatchPolicy(), "w1", random.Random(7)
    )
    try:
        assert await dispatcher.run_once() == 1
    finally:
        await sender.close()
    [uuid] = [a.uuid for a in answer.accepted or ()]
    failed = (await communications(uow_factory, [uuid]))[uuid]
    assert (failed.status, failed.delivery_status) == (LifecycleStatus.FAILED, DeliveryStatus.UNDELIVERED)
    assert "blocked" in (failed.failure_reason or "")
    assert failed.direction is Direction.OUTBOUND


async def test_deleting_a_client_forgets_its_link_and_the_chat_is_then_nobody_s(
    uow_factory: Any, clock: ManualClock, hasher: Any
) -> None:
    from application.clients import Clients

    _, (client_id,) = await arrange(uow_factory, clock, hasher, ["a@example.com"])
    telegram = links(uow_factory, clock)
    await link(telegram, client_id, "1001")
    await Clients(uow_factory, clock, LibPhoneNumberParser("RU")).delete(client_id)
    assert await telegram.of_client(client_id) is None
    assert await telegram.received(ChatMessage(chat_id="1001", text="hello?")) is UpdateOutcome.IGNORED
