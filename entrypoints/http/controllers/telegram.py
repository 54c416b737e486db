"""Telegram: a client's deep-link code and link state (/api/v1), and the bot's webhook.

``POST /webhooks/telegram`` is public (Telegram cannot log in): it must carry the secret configured
with setWebhook in ``X-Telegram-Bot-Api-Secret-Token`` (a Telegram provider's ``webhookSecret``, else
``TELEGRAM_WEBHOOK_SECRET``); a wrong or missing one answers 403 before anything is read. Every
update with the right secret answers 200, also those we ignore, since Telegram resends an update
until it gets a 2xx.
"""

# No `from __future__ import annotations`: Litestar must see the handlers' annotation objects.

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.exceptions import PermissionDeniedException
from litestar.params import FromPath

from application.clients import Clients
from application.providers.telegram import TelegramLinks, TelegramWebhookSecrets
from entrypoints.http.auth import manage_clients
from entrypoints.http.errors import error_responses
from entrypoints.http.resource import use_case
from entrypoints.http.schemas.telegram import TelegramLinkOut, decode_update, telegram_link_out


def telegram_links_of(state: State) -> TelegramLinks:
    links: TelegramLinks = state.container.delivery.telegram_links()
    return links


def bot_username(state: State) -> str | None:
    username: str | None = state.container.delivery.settings().telegram_bot_username
    return username


class TelegramLinkController(Controller):
    path = "/api/v1"
    tags = ["telegram"]  # noqa: RUF012
    dependencies = {  # noqa: RUF012
        "clients": use_case("clients"),
        "telegram_links": Provide(telegram_links_of, sync_to_thread=False),
    }

    @post(
        "/clients/{key:str}/telegram-link",
        guards=[manage_clients],
        status_code=200,
        summary="The client's one-time Telegram deep-link code: made, or the pending one returned",
    )
    async def telegram_link_code(
        self,
        state: State,
        clients: NamedDependency[Clients],
        telegram_links: NamedDependency[TelegramLinks],
        key: FromPath[str],
    ) -> TelegramLinkOut:
        client = await clients.find(key)
        assert client.id is not None
        link = await telegram_links.link_code(client.id)
        return telegram_link_out(link, client.id, bot_username(state))

    @get("/clients/{key:str}/telegram-link", summary="Whether the client linked a Telegram chat")
    async def telegram_link_state(
        self,
        state: State,
        clients: NamedDependency[Clients],
        telegram_links: NamedDependency[TelegramLinks],
        key: FromPath[str],
    ) -> TelegramLinkOut:
        client = await clients.find(key)
        assert client.id is not None
        return telegram_link_out(await telegram_links.of_client(client.id), client.id, bot_username(state))


class TelegramWebhookController(Controller):
    path = "/webhooks/telegram"
    tags = ["Provider webhooks"]  # noqa: RUF012

    @post(
        "",
        status_code=200,
        summary="Telegram bot updates (JSON Update, X-Telegram-Bot-Api-Secret-Token)",
        responses=error_responses(403),
        description="`/start CODE` links the chat to the code's client; other messages of a linked "
        "chat are recorded as the client's replies. Other updates are ignored with 200.",
    )
    async def telegram_update(self, request: Request[Any, Any, Any], state: State) -> Response[bytes]:
        secrets: TelegramWebhookSecrets = state.container.delivery.telegram_webhook_secrets()
        if not await secrets.accepts(request.headers.get("x-telegram-bot-api-secret-token", "")):
            raise PermissionDeniedException("the request does not carry the bot's webhook secret")
        try:
            message = decode_update(await request.body()).chat_message()
        except (msgspec.DecodeError, msgspec.ValidationError):
            message = None  # not an update we understand: answered 200 so Telegram does not resend it
        if message is not None:
            await telegram_links_of(state).received(message)
        return Response(b"", status_code=200, media_type="text/plain")


CONTROLLERS = [TelegramLinkController, TelegramWebhookController]
