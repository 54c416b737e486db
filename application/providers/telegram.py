"""Telegram: linking a client to a chat by a one-time deep-link code, and the updates the bot gets.

``/start CODE`` from a chat with a valid unused code links that chat to the code's client and uses the
code up. Any other message from a linked chat is a reply of that client, recorded as Twilio's are
(``ProviderCallbacks.inbound``). Messages from chats nobody linked, and updates that are not messages,
are ignored: Telegram must get its 200 or it sends them again.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from application.ports import Clock, UnitOfWorkFactory
from application.providers.callbacks import InboundMessage, ProviderCallbacks
from application.queries import Query
from application.searches import ProviderFields, TelegramLinkFields
from domain.dictionaries import ChannelKind
from domain.errors import NotFound
from domain.providers import ProviderKind
from domain.telegram import TelegramLink

PROVIDER = "telegram"


def new_code() -> str:
    """A one-time code that fits a Telegram start parameter: 32 URL-safe characters."""
    return secrets.token_urlsafe(24)


@dataclass(frozen=True, kw_only=True)
class ChatMessage:
    """One message a chat sent the bot: what the webhook's ``Update`` carries that matters here."""

    chat_id: str
    text: str
    message_id: str | None = None


class UpdateOutcome(StrEnum):
    LINKED = "linked"
    REPLY = "reply"
    IGNORED = "ignored"


class TelegramWebhookSecrets:
    """The ``X-Telegram-Bot-Api-Secret-Token`` values the bot webhook accepts.

    Those of the active Telegram providers configured through the API (secret ``webhook_secret``),
    one per bot; when none has one, the environment's (``TELEGRAM_WEBHOOK_SECRET``); with neither,
    nothing is accepted.
    """

    def __init__(self, uow_factory: UnitOfWorkFactory, fallback: str | None) -> None:
        self._uow = uow_factory
        self._fallback = fallback

    async def accepts(self, given: str) -> bool:
        """Whether ``given`` is one of the configured secrets (compared in constant time)."""
        async with self._uow(read_only=True) as uow:
            bots = await uow.providers.find(
                Query(
                    (ProviderFields.kind.eq(ProviderKind.TELEGRAM), ProviderFields.active.eq(True)),
                    limit=100,
                )
            )
        configured = [p.secrets["webhook_secret"] for p in bots if p.secrets.get("webhook_secret")]
        expected = configured or ([self._fallback] if self._fallback else [])
        # Every candidate is compared, so the time taken does not tell which one came close.
        matches = [hmac.compare_digest(given.encode(), secret.encode()) for secret in expected]
        return any(matches)


class TelegramLinks:
    """Deep-link codes of clients, their link state, and the chat messages the bot receives."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        callbacks: ProviderCallbacks,
        codes: Callable[[], str] = new_code,
    ) -> None:
        self._uow = uow_factory
        self._clock = clock
        self._callbacks = callbacks
        self._codes = codes

    async def link_code(self, client_id: int) -> TelegramLink:
        """The client's pending code, made if there is none (a linked client gets one to relink)."""
        now = self._clock.now()
        async with self._uow() as uow:
            if await uow.clients.get(client_id) is None:
                raise NotFound("client", client_id)
            link = await uow.telegram_links.first(TelegramLinkFields.client_id.eq(client_id))
            if link is not None and link.code is not None:
                return link
            if link is None:
                link = await uow.telegram_links.add(
                    TelegramLink(client_id=client_id, code=self._codes(), create_time=now, update_time=now)
                )
            else:
                link.code = self._codes()
                link.update_time = now
                await uow.telegram_links.update(link)
            await uow.commit()
            return link

    async def of_client(self, client_id: int) -> TelegramLink | None:
        """The client's link state: pending code and linked chat; None when never asked."""
        async with self._uow(read_only=True) as uow:
            return await uow.telegram_links.first(TelegramLinkFields.client_id.eq(client_id))

    async def received(self, message: ChatMessage) -> UpdateOutcome:
        """Link a chat by ``/start CODE``, or record a linked chat's message as the client's reply."""
        text = message.text.strip()
        if text == "/start" or text.startswith(("/start ", "/start@")):
            parts = text.split(maxsplit=1)
            return await self._link(message.chat_id, parts[1].strip() if len(parts) > 1 else "")
        async with self._uow(read_only=True) as uow:
            link = await uow.telegram_links.first(TelegramLinkFields.chat_id.eq(message.chat_id))
        if link is None or not text:
            return UpdateOutcome.IGNORED
        await self._callbacks.inbound(
            InboundMessage(
                provider=PROVIDER,
                channel_kind=ChannelKind.MESSENGER,
                sender=f"telegram:{message.chat_id}",
                text=message.text,
                provider_message_id=message.message_id,
                client_id=link.client_id,
            )
        )
        return UpdateOutcome.REPLY

    async def _link(self, chat_id: str, code: str) -> UpdateOutcome:
        if not code:
            return UpdateOutcome.IGNORED
        now = self._clock.now()
        async with self._uow() as uow:
            link = await uow.telegram_links.first(TelegramLinkFields.code.eq(code))
            if link is None:
                return UpdateOutcome.IGNORED
            # The chat belongs to one client: a chat linked before to another client moves here.
            for earlier in await uow.telegram_links.find(
                Query((TelegramLinkFields.chat_id.eq(chat_id),), limit=100)
            ):
                if earlier.id != link.id:
                    earlier.chat_id = None
                    earlier.linked_at = None
                    earlier.update_time = now
                    await uow.telegram_links.update(earlier)
            link.chat_id = chat_id
            link.code = None
            link.linked_at = now
            link.update_time = now
            await uow.telegram_links.update(link)
            await uow.commit()
        return UpdateOutcome.LINKED


class StoredTelegramChats:
    """The Telegram sender's view of links: the chat a client linked, read when a message goes."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow = uow_factory

    async def chat_of(self, client_id: int) -> str | None:
        """The chat id the client linked; None when they linked none."""
        async with self._uow(read_only=True) as uow:
            link = await uow.telegram_links.first(TelegramLinkFields.client_id.eq(client_id))
        return link.chat_id if link is not None else None
