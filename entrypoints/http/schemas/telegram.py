"""Telegram at the edge: the link answer on /api/v1 (camelCase), and the Bot API's ``Update`` JSON.

``Update`` is Telegram's shape (snake_case, many fields we do not read): unknown fields are allowed,
since Telegram adds fields to it over time and a 400 would make it resend the update forever.
"""

from __future__ import annotations

from urllib.parse import quote

import msgspec

from application.providers.telegram import ChatMessage
from domain.telegram import TelegramLink
from entrypoints.http.schemas.common import Out, iso


class TelegramLinkOut(Out):
    client_id: int
    linked: bool
    chat_id: str | None
    """The linked chat; null until the client sent ``/start CODE``."""
    linked_at: str | None
    code: str | None
    """The pending one-time code; null once used (POST makes a new one)."""
    deep_link: str | None
    """``https://t.me/<bot>?start=<code>``; null without a pending code or TELEGRAM_BOT_USERNAME."""


def telegram_link_out(link: TelegramLink | None, client_id: int, bot_username: str | None) -> TelegramLinkOut:
    # By hand: a client without a link still answers, and the deep link is built here.
    if link is None:
        return TelegramLinkOut(
            client_id=client_id, linked=False, chat_id=None, linked_at=None, code=None, deep_link=None
        )
    deep_link = None
    if link.code is not None and bot_username:
        deep_link = f"https://t.me/{quote(bot_username)}?start={link.code}"
    return TelegramLinkOut(
        client_id=client_id,
        linked=link.linked,
        chat_id=link.chat_id,
        linked_at=iso(link.linked_at),
        code=link.code,
        deep_link=deep_link,
    )


class TelegramChat(msgspec.Struct):
    id: int


class TelegramMessage(msgspec.Struct):
    message_id: int
    chat: TelegramChat
    text: str | None = None


class TelegramUpdate(msgspec.Struct):
    update_id: int
    message: TelegramMessage | None = None

    def chat_message(self) -> ChatMessage | None:
        """The text message this update carries; None for any other kind of update."""
        message = self.message
        if message is None or message.text is None:
            return None
        return ChatMessage(
            chat_id=str(message.chat.id), text=message.text, message_id=str(message.message_id)
        )


decode_update = msgspec.json.Decoder(TelegramUpdate).decode
