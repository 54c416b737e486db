"""Web Push composed: the VAPID key source and the push sender, from PushSettings.

The one spot where the webpush adapter meets its ports; a provider router asks ``webpush_sender``
for the Push channel's ``webpush`` provider, and a ``webpush`` provider configured through the API
gets its sender from ``provider_webpush_sender``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from adapters.system import SystemClock
from adapters.webpush.keys import VapidKeyPairs, public_key_of
from adapters.webpush.sender import WebPushSender, WebPushSettings
from application.ports import Clock, UnitOfWorkFactory
from application.sending.push import StoredPushSubscriptions, StoredVapidKey
from domain.errors import ValidationFailed
from domain.providers import DEFAULT_VAPID_SUBJECT, Provider
from entrypoints.push_settings import PushSettings


def vapid_key_source(
    uow_factory: UnitOfWorkFactory, settings: PushSettings, clock: Clock | None = None
) -> StoredVapidKey:
    """The configured VAPID key (checked against VAPID_PUBLIC_KEY), else the ``webpush`` provider's."""
    configured = settings.vapid_private_key
    if configured is not None:
        try:
            public = public_key_of(configured)
        except ValueError as error:
            raise SystemExit(str(error)) from None
        if settings.vapid_public_key and settings.vapid_public_key.rstrip("=") != public:
            raise SystemExit("VAPID_PUBLIC_KEY is not the public key of VAPID_PRIVATE_KEY")
    return StoredVapidKey(
        uow_factory, clock or SystemClock(), VapidKeyPairs(), configured, settings.vapid_subject
    )


def webpush_sender(
    uow_factory: UnitOfWorkFactory, settings: PushSettings, key: StoredVapidKey | None = None
) -> WebPushSender:
    """The Push channel's sender through browsers' push services."""
    return _sender(
        uow_factory, key or vapid_key_source(uow_factory, settings), settings.vapid_subject, settings
    )


def provider_webpush_sender(
    provider: Provider, uow_factory: UnitOfWorkFactory, settings: PushSettings
) -> WebPushSender:
    """A ``webpush`` provider's sender: its own key pair and subject, the transport of PushSettings."""
    private_key = provider.secrets.get("private_key", "")

    async def key() -> str:
        return private_key

    subject = provider.settings.get("subject") or DEFAULT_VAPID_SUBJECT
    return _sender(uow_factory, key, subject, settings, name=provider.name)


def with_public_key(provider: Provider) -> dict[str, str]:
    """A webpush provider's settings with the public key of its private key; a mismatch is a 400."""
    try:
        public = public_key_of(provider.secrets.get("private_key", ""))
    except ValueError:
        raise ValidationFailed.field(
            "secrets.private_key", "is not a P-256 private key (base64url of 32 raw bytes, or DER)"
        ) from None
    given = provider.settings.get("public_key")
    if given and given.rstrip("=") != public:
        raise ValidationFailed.field("settings.public_key", "is not the public key of secrets.privateKey")
    return {**provider.settings, "public_key": public}


def _sender(
    uow_factory: UnitOfWorkFactory,
    key: Callable[[], Awaitable[str]],
    subject: str,
    settings: PushSettings,
    name: str = "webpush",
) -> WebPushSender:
    return WebPushSender(
        StoredPushSubscriptions(uow_factory),
        key,
        WebPushSettings(
            subject=subject,
            concurrency=settings.concurrency,
            timeout=settings.timeout,
            ttl=settings.ttl,
            ca_file=settings.ca_file,
        ),
        name=name,
    )
