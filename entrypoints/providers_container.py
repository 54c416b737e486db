"""The providers part of the composition root: senders by configuration, the router, the webhooks."""

from __future__ import annotations

import os
import time
from dataclasses import replace
from typing import Any
from urllib.parse import quote

from dependency_injector import containers, providers

from adapters.sandbox.sender import SandboxSender
from adapters.smtp.sender import SmtpSender
from adapters.telegram.sender import TelegramSender, TelegramSettings
from adapters.twilio.sender import TwilioSender, TwilioSettings
from adapters.twilio.webhooks import TwilioWebhooks
from adapters.webhooks.poster import HttpWebhookPoster
from application.ports import UnitOfWorkFactory
from application.providers.callbacks import ProviderCallbacks
from application.providers.catalog import Providers
from application.providers.refresh import ProviderRefresh
from application.providers.router import ProviderRouter, Route
from application.providers.telegram import StoredTelegramChats, TelegramLinks, TelegramWebhookSecrets
from application.sending.ports import ChannelSender
from application.sending.ratelimit import TokenBucket
from application.webhooks.delivery import WebhookDeliverer
from application.webhooks.subscriptions import WebhookSubscriptions
from domain.dictionaries import ChannelKind
from domain.providers import CircuitBreaker, Provider, ProviderKind
from entrypoints.provider_settings import ProviderSettings
from entrypoints.push_settings import PushSettings
from entrypoints.push_wiring import provider_webpush_sender, webpush_sender, with_public_key


def twilio_settings(settings: ProviderSettings, public_url: str) -> TwilioSettings | None:
    if not settings.twilio_configured:
        return None
    return TwilioSettings(
        account_sid=settings.twilio_account_sid or "",
        auth_token=settings.twilio_auth_token or "",
        from_number=settings.twilio_from,
        messaging_service_sid=settings.twilio_messaging_service_sid,
        whatsapp_from=settings.twilio_whatsapp_from,
        api_url=settings.twilio_api_url,
        status_callback_url=f"{public_url.rstrip('/')}/webhooks/twilio/status",
        concurrency=settings.twilio_concurrency,
        timeout=settings.twilio_timeout,
    )


def telegram_settings(
    settings: ProviderSettings, bot_token: str, api_url: str | None = None
) -> TelegramSettings:
    return TelegramSettings(
        bot_token=bot_token,
        api_url=api_url or settings.telegram_api_url,
        timeout=settings.telegram_timeout,
    )


def make_sender(
    name: str,
    kind: ChannelKind,
    settings: ProviderSettings,
    public_url: str,
    sandbox: SandboxSender,
    env: dict[str, str],
    uow_factory: UnitOfWorkFactory | None = None,
) -> ChannelSender:
    """One named provider for a channel kind; a name the configuration cannot build is an error at start."""
    if name == "sandbox":
        return sandbox
    if name in ("twilio", "twilio_whatsapp"):
        twilio = twilio_settings(settings, public_url)
        if twilio is None:
            raise SystemExit(
                f"{name} is listed for {kind} but TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN are not set"
            )
        return TwilioSender(twilio, whatsapp=kind is ChannelKind.MESSENGER)
    if name == "telegram" and kind is ChannelKind.MESSENGER:
        if not settings.telegram_bot_token:
            raise SystemExit("telegram is listed for messenger but TELEGRAM_BOT_TOKEN is not set")
        chats = StoredTelegramChats(uow_factory) if uow_factory is not None else None
        return TelegramSender(telegram_settings(settings, settings.telegram_bot_token), chats)
    if name == "smtp" and kind is ChannelKind.EMAIL:
        from entrypoints.worker import smtp_settings

        return SmtpSender(smtp_settings(env))
    if name == "webpush" and kind is ChannelKind.PUSH and uow_factory is not None:
        return webpush_sender(uow_factory, PushSettings.from_env(env))
    raise SystemExit(f"unknown provider {name!r} for {kind} channels")


def provider_router(
    settings: ProviderSettings,
    public_url: str,
    sandbox: SandboxSender,
    env: dict[str, str] | None = None,
    uow_factory: UnitOfWorkFactory | None = None,
) -> ProviderRouter:
    """The providers of each channel kind in the configured order, each with its breaker and rate limit.

    ``RATE_LIMIT_<PROVIDER>`` (messages a second) limits a provider, as before.
    """
    env = dict(os.environ if env is None else env)
    email = settings.email_providers or (
        ("smtp",) if env.get("EMAIL_PROVIDER", "sandbox") == "smtp" else ("sandbox",)
    )
    lists = {
        ChannelKind.SMS: settings.sms_providers,
        ChannelKind.MESSENGER: settings.messenger_providers,
        ChannelKind.EMAIL: email,
        ChannelKind.PUSH: settings.push_providers,
    }
    built: dict[tuple[str, ChannelKind], ChannelSender] = {}
    buckets: dict[str, TokenBucket] = {}
    routes: dict[ChannelKind, list[Route]] = {}
    for kind, names in lists.items():
        for priority, name in enumerate(names):
            sender = built.get((name, kind)) or make_sender(
                name, kind, settings, public_url, sandbox, env, uow_factory
            )
            built[(name, kind)] = sender
            rate = env.get(f"RATE_LIMIT_{sender.provider.upper()}")
            if rate and sender.provider not in buckets:
                buckets[sender.provider] = TokenBucket(float(rate), max(1, int(float(rate))), time.monotonic)
            routes.setdefault(kind, []).append(
                Route(
                    sender=sender,
                    priority=priority,
                    bucket=buckets.get(sender.provider),
                    breaker=CircuitBreaker(
                        failures_to_open=settings.circuit_failures, cooldown=settings.circuit_cooldown_seconds
                    ),
                )
            )
    return ProviderRouter(routes, time.monotonic)


class ConfiguredSenders:
    """The SenderFactory: builds the adapter of a provider configured through the API."""

    def __init__(
        self,
        settings: ProviderSettings,
        public_url: str,
        sandbox: SandboxSender,
        uow_factory: UnitOfWorkFactory | None = None,
        push: PushSettings | None = None,
    ) -> None:
        self._settings = settings
        self._push = push or PushSettings()
        self._uow_factory = uow_factory
        self._public_url = public_url.rstrip("/")
        self._sandbox = sandbox

    def completed(self, provider: Provider, previous: Provider | None = None) -> Provider:
        if provider.kind is not ProviderKind.WEBPUSH:
            return provider
        settings = dict(provider.settings)
        if (
            previous is not None
            and previous.settings.get("public_key") == settings.get("public_key")
            and previous.secrets.get("private_key") != provider.secrets.get("private_key")
        ):
            settings.pop("public_key", None)  # the key kept was the replaced private key's
        return replace(provider, settings=with_public_key(replace(provider, settings=settings)))

    def build(self, provider: Provider) -> ChannelSender:
        if provider.kind is ProviderKind.SANDBOX:
            return self._sandbox
        if provider.kind is ProviderKind.WEBPUSH:
            if self._uow_factory is None:
                raise SystemExit("a webpush provider needs storage for the push subscriptions")
            return provider_webpush_sender(provider, self._uow_factory, self._push)
        options = provider.settings
        if provider.kind is ProviderKind.TELEGRAM:
            chats = StoredTelegramChats(self._uow_factory) if self._uow_factory is not None else None
            settings = telegram_settings(
                self._settings, provider.secrets.get("bot_token", ""), options.get("api_url") or None
            )
            return TelegramSender(settings, chats, name=provider.name)
        twilio = TwilioSettings(
            account_sid=options.get("account_sid", ""),
            auth_token=provider.secrets.get("auth_token", ""),
            from_number=options.get("from_number") or None,
            messaging_service_sid=options.get("messaging_service_sid") or None,
            whatsapp_from=options.get("whatsapp_from") or None,
            api_url=options.get("api_url") or self._settings.twilio_api_url,
            # Names the provider, so that the callback is checked with this account's own token.
            status_callback_url=f"{self._public_url}/webhooks/twilio/status?provider={quote(provider.name)}",
            concurrency=self._settings.twilio_concurrency,
            timeout=self._settings.twilio_timeout,
        )
        return TwilioSender(
            twilio, whatsapp=provider.kind is ProviderKind.TWILIO_WHATSAPP, name=provider.name
        )


def twilio_webhooks(settings: ProviderSettings, public_url: str) -> TwilioWebhooks | None:
    if not settings.twilio_auth_token:
        return None
    return TwilioWebhooks(settings.twilio_auth_token, public_url)


class ProvidersContainer(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=ProviderSettings)
    push_settings = providers.Dependency(instance_of=PushSettings)
    public_url = providers.Dependency(instance_of=str)
    core = providers.DependenciesContainer()
    storage = providers.DependenciesContainer()
    fallback: providers.Provider[Any] = providers.Object(None)
    """The channel fallback (the use cases'), which a failed or undelivered status report triggers."""

    router: providers.Provider[Any] = providers.Singleton(
        provider_router, settings, public_url, core.sandbox, uow_factory=storage.uow_factory
    )
    twilio_webhooks: providers.Provider[Any] = providers.Singleton(twilio_webhooks, settings, public_url)
    callbacks = providers.Singleton(
        ProviderCallbacks, storage.uow_factory, core.clock, core.phones, fallback=fallback
    )
    senders = providers.Singleton(
        ConfiguredSenders, settings, public_url, core.sandbox, storage.uow_factory, push_settings
    )
    telegram_links = providers.Singleton(TelegramLinks, storage.uow_factory, core.clock, callbacks)
    telegram_webhook_secrets = providers.Singleton(
        TelegramWebhookSecrets, storage.uow_factory, settings.provided.telegram_webhook_secret
    )
    catalog = providers.Singleton(Providers, storage.uow_factory, core.clock, senders, router)
    webhook_poster = providers.Singleton(HttpWebhookPoster, core.clock)
    webhook_deliverer = providers.Singleton(WebhookDeliverer, storage.uow_factory, core.clock, webhook_poster)
    webhook_subscriptions = providers.Singleton(WebhookSubscriptions, storage.uow_factory, core.clock)
    refresh = providers.Singleton(
        ProviderRefresh,
        catalog,
        router,
        senders,
        failures_to_open=settings.provided.circuit_failures,
        cooldown=settings.provided.circuit_cooldown_seconds,
    )
