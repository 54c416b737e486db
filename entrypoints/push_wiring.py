"""Web Push composed: the VAPID key source and the push sender, from PushSettings.

The one spot where the webpush adapter meets its ports; a provider router asks ``webpush_sender``
for the Push channel's ``webpush`` provider.
"""

from __future__ import annotations

from adapters.webpush.keys import generate_private_key, public_key_of
from adapters.webpush.sender import WebPushSender, WebPushSettings
from application.ports import UnitOfWorkFactory
from application.sending.push import StoredPushSubscriptions, StoredVapidKey
from entrypoints.push_settings import PushSettings


def vapid_key_source(uow_factory: UnitOfWorkFactory, settings: PushSettings) -> StoredVapidKey:
    """The configured VAPID key (checked against VAPID_PUBLIC_KEY), else the one kept in the database."""
    configured = settings.vapid_private_key
    if configured is not None:
        try:
            public = public_key_of(configured)
        except ValueError as error:
            raise SystemExit(str(error)) from None
        if settings.vapid_public_key and settings.vapid_public_key.rstrip("=") != public:
            raise SystemExit("VAPID_PUBLIC_KEY is not the public key of VAPID_PRIVATE_KEY")
    return StoredVapidKey(uow_factory, generate_private_key, configured)


def webpush_sender(
    uow_factory: UnitOfWorkFactory, settings: PushSettings, key: StoredVapidKey | None = None
) -> WebPushSender:
    """The Push channel's sender through browsers' push services."""
    return WebPushSender(
        StoredPushSubscriptions(uow_factory),
        key or vapid_key_source(uow_factory, settings),
        WebPushSettings(
            subject=settings.vapid_subject,
            concurrency=settings.concurrency,
            timeout=settings.timeout,
            ttl=settings.ttl,
            ca_file=settings.ca_file,
        ),
    )
