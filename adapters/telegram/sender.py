"""The Telegram ChannelSender: Messenger messages through the Bot API's ``sendMessage``, over aiohttp.

``POST {api_url}/bot<token>/sendMessage`` with JSON ``{"chat_id", "text"}``. The chat is the one the
client linked by ``/start CODE``, read when the message goes; a message to no client (a provider test)
or to a client without a linked chat goes to the chat id or ``@channel`` its address names.

Telegram answers ``{"ok": true, "result": Message}`` or ``{"ok": false, "error_code", "description",
"parameters": {"retry_after"}}``. Outcomes, as the dispatcher and the provider router read them:

* ``ok``: ``sent``, with ``<chat id>:<message id>`` as the provider's message id;
* 429 (with ``parameters.retry_after``), 5xx, a timeout, a dropped or refused connection, and 401/404
  (a revoked or wrong bot token: the bot's fault, not the message's): transient, worth another provider;
* 400 (chat not found, message text empty, ...: ``failed``) and 403 (bot blocked by the user, kicked
  from the group: ``undelivered``): a final rejection of this message, never tried elsewhere.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import aiohttp
import msgspec

from application.sending.ports import OutgoingMessage, SendResult, StatusReport
from domain.communications import DeliveryStatus
from domain.dictionaries import ChannelKind

API_URL = "https://api.telegram.org"
TRANSIENT_STATUSES = frozenset({401, 404, 408, 429})
MAX_TEXT = 4096
"""sendMessage takes at most 4096 characters of text."""


class LinkedChats(Protocol):
    async def chat_of(self, client_id: int) -> str | None:
        """The chat id the client linked; None when they linked none."""


@dataclass(frozen=True, kw_only=True)
class TelegramSettings:
    bot_token: str
    api_url: str = API_URL
    concurrency: int = 50
    timeout: float = 10.0

    def __repr__(self) -> str:  # the token never reaches a log through a repr
        return f"TelegramSettings(bot_token='***', api_url={self.api_url!r})"


class _Parameters(msgspec.Struct):
    retry_after: float | None = None
    migrate_to_chat_id: int | None = None


class _Message(msgspec.Struct):
    message_id: int


class _Answer(msgspec.Struct):
    ok: bool
    result: _Message | None = None
    error_code: int | None = None
    description: str | None = None
    parameters: _Parameters | None = None


_decode = msgspec.json.Decoder(_Answer).decode
_encode = msgspec.json.Encoder().encode


class TelegramSender:
    """Messenger messages through one Telegram bot."""

    def __init__(
        self, settings: TelegramSettings, chats: LinkedChats | None, *, name: str = "telegram"
    ) -> None:
        if not settings.bot_token:
            raise ValueError("a Telegram sender needs a bot token")
        self.provider = name
        self.kinds = frozenset({ChannelKind.MESSENGER})
        self._settings = settings
        self._chats = chats
        self._url = f"{settings.api_url.rstrip('/')}/bot{settings.bot_token}/sendMessage"
        self._session: aiohttp.ClientSession | None = None
        self._slots = asyncio.Semaphore(max(1, settings.concurrency))

    def _pool(self) -> aiohttp.ClientSession:
        # aiohttp binds its session to the running loop: made on first use, inside the loop.
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=max(1, self._settings.concurrency))
            )
        return self._session

    async def _chat(self, message: OutgoingMessage) -> str | None:
        if message.client_id is not None and self._chats is not None:
            linked = await self._chats.chat_of(message.client_id)
            if linked is not None:
                return linked
        to = message.to.strip()
        if not to or to.startswith(("client:", "whatsapp:")):
            return None
        # A ``telegram`` handle on the client, or the address a provider test gives.
        return to.removeprefix("telegram:") or None

    async def send(self, message: OutgoingMessage) -> SendResult:
        chat = await self._chat(message)
        if chat is None:
            return SendResult.rejected(f"{self.provider}: the client has no linked Telegram chat")
        body = _encode({"chat_id": chat, "text": message.text[:MAX_TEXT]})
        async with self._slots:
            try:
                async with asyncio.timeout(self._settings.timeout):
                    async with self._pool().post(
                        self._url, data=body, headers={"Content-Type": "application/json"}
                    ) as answer:
                        status = answer.status
                        raw = await answer.read()
            except TimeoutError:
                return SendResult.retry(f"{self.provider}: no answer within {self._settings.timeout:g} s")
            except aiohttp.ClientError as error:
                return SendResult.retry(f"{self.provider}: {type(error).__name__}: {error}")
        try:
            decoded = _decode(raw)
        except (msgspec.DecodeError, msgspec.ValidationError):
            decoded = None
        if decoded is not None and decoded.ok and decoded.result is not None and status == 200:
            return SendResult.sent(f"{chat}:{decoded.result.message_id}")
        return self._refused(status, decoded)

    def _refused(self, status: int, answer: _Answer | None) -> SendResult:
        if answer is None:
            # Not Telegram's verdict on the message (a proxy's page, a cut answer): try again.
            return SendResult.retry(f"{self.provider}: HTTP {status} without a Bot API answer")
        code = answer.error_code or status
        reason = f"{self.provider} {code}: {answer.description or f'HTTP {status}'}"
        if code in TRANSIENT_STATUSES or code >= 500:
            wait = answer.parameters.retry_after if answer.parameters is not None else None
            return SendResult.retry(reason, retry_after=wait)
        # 403: the user blocked the bot (the recipient refused it); 400: it never went out.
        status_of = DeliveryStatus.UNDELIVERED if code == 403 else DeliveryStatus.FAILED
        return SendResult.rejected(reason, status_of)

    async def statuses(self, provider_message_ids: Sequence[str]) -> list[StatusReport]:
        # The Bot API reports no delivery or read receipts for bot messages.
        return []

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
