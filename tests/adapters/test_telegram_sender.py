"""The Telegram sender against a local stub of the Bot API's sendMessage."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from adapters.telegram.sender import TelegramSender, TelegramSettings
from application.sending.ports import OutgoingMessage, SendOutcome
from domain.communications import DeliveryStatus
from domain.dictionaries import ChannelKind
from tests.support.telegram_stub import TelegramStub, telegram_stub
from tests.support.twilio_stub import dropping_server

UUID = "6f1c2a4e-6f0b-4d7e-9a51-0d7f3c1b2a90"


class Chats:
    def __init__(self, linked: dict[int, str]) -> None:
        self.linked = linked

    async def chat_of(self, client_id: int) -> str | None:
        return self.linked.get(client_id)


def message(
    to: str = "client:7", *, client_id: int | None = 7, text: str = "Your code is 1234"
) -> OutgoingMessage:
    return OutgoingMessage(
        uuid=UUID, client_id=client_id, channel_id=2, channel_kind=ChannelKind.MESSENGER, to=to, text=text
    )


@pytest.fixture
def stub() -> Iterator[TelegramStub]:
    with telegram_stub() as running:
        yield running


def sender(
    stub: TelegramStub, linked: dict[int, str] | None = None, token: str | None = None
) -> TelegramSender:
    settings = TelegramSettings(bot_token=token or stub.token, api_url=stub.url, timeout=2.0)
    return TelegramSender(settings, Chats(linked if linked is not None else {7: "1001"}))


async def test_a_message_goes_to_the_linked_chat_as_json_with_the_token_in_the_path(
    stub: TelegramStub,
) -> None:
    bot = sender(stub)
    try:
        result = await bot.send(message())
    finally:
        await bot.close()
    assert result.outcome is SendOutcome.SENT
    [sent] = stub.sent
    assert (sent.chat_id, sent.text) == ("1001", "Your code is 1234")
    assert result.provider_message_id == f"1001:{sent.message_id}"
    [(path, content_type, body)] = stub.requests
    assert path == f"/bot{stub.token}/sendMessage"
    assert content_type.startswith("application/json")
    assert body == {"chat_id": "1001", "text": "Your code is 1234"}


async def test_without_a_linked_chat_the_address_names_the_chat_or_nothing(stub: TelegramStub) -> None:
    bot = sender(stub, linked={})
    try:
        handle = await bot.send(message("telegram:1002"))
        test = await bot.send(message("1003", client_id=None))
        nowhere = await bot.send(message("client:7"))
    finally:
        await bot.close()
    assert (handle.outcome, test.outcome) == (SendOutcome.SENT, SendOutcome.SENT)
    assert [s.chat_id for s in stub.sent] == ["1002", "1003"]
    assert nowhere.outcome is SendOutcome.REJECTED and "no linked Telegram chat" in (nowhere.reason or "")
    assert len(stub.requests) == 2  # nothing was posted for the client without a chat


async def test_blocked_and_unknown_chats_are_final_rejections(stub: TelegramStub) -> None:
    stub.blocked.add("1001")
    bot = sender(stub, linked={7: "1001", 8: "999"})
    try:
        blocked = await bot.send(message())
        unknown = await bot.send(message(client_id=8))
    finally:
        await bot.close()
    assert blocked.outcome is SendOutcome.REJECTED and blocked.delivery_status is DeliveryStatus.UNDELIVERED
    assert blocked.reason == "telegram 403: Forbidden: bot was blocked by the user"
    assert unknown.outcome is SendOutcome.REJECTED and unknown.delivery_status is DeliveryStatus.FAILED
    assert unknown.reason == "telegram 400: Bad Request: chat not found"
    assert stub.sent == []


async def test_429_is_transient_with_its_retry_after_and_5xx_and_a_bad_token_too(stub: TelegramStub) -> None:
    stub.script["1001"] = ["429", "502"]
    bot = sender(stub)
    wrong = sender(stub, token="123456:wrong")
    try:
        limited = await bot.send(message())
        failing = await bot.send(message())
        refused = await wrong.send(message())
        then = await bot.send(message())
    finally:
        await bot.close()
        await wrong.close()
    assert limited.outcome is SendOutcome.RETRY and limited.retry_after == 5
    assert "429" in (limited.reason or "")
    assert failing.outcome is SendOutcome.RETRY and failing.retry_after is None
    assert refused.outcome is SendOutcome.RETRY and "401" in (refused.reason or "")
    assert then.outcome is SendOutcome.SENT and len(stub.sent) == 1


async def test_a_timeout_and_a_dropped_connection_are_transient() -> None:
    with dropping_server() as dropping:
        bot = TelegramSender(
            TelegramSettings(bot_token="1:x", api_url=dropping.url, timeout=2.0), Chats({7: "1"})
        )
        try:
            dropped = await bot.send(message())
        finally:
            await bot.close()
    assert dropped.outcome is SendOutcome.RETRY

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(5)
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    bot = TelegramSender(
        TelegramSettings(bot_token="1:x", api_url=f"http://127.0.0.1:{port}", timeout=0.3), Chats({7: "1"})
    )
    try:
        slow = await bot.send(message())
    finally:
        await bot.close()
        server.close()
    assert slow.outcome is SendOutcome.RETRY and "no answer within 0.3 s" in (slow.reason or "")


def test_the_token_never_shows_in_a_repr() -> None:
    settings = TelegramSettings(bot_token="123456:SECRET")
    assert "SECRET" not in repr(settings)
