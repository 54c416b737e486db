"""Browser push subscriptions at the edge: the W3C ``PushSubscription.toJSON()`` shape, camelCase."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import msgspec

from application.sending.push import SubscribeCommand
from domain.errors import ValidationFailed
from domain.push import MAX_ENDPOINT, PushSubscription
from entrypoints.http.schemas.common import In, Out
from entrypoints.http.schemas.times import SeedTime, Timestamp, seed_time

Key = Annotated[str, msgspec.Meta(min_length=1, max_length=128, description="base64url")]
MAX_EXPIRATION_MS = 253_402_300_799_000
"""9999-12-31T23:59:59Z in milliseconds: later is no time a browser means."""


class PushKeysIn(In):
    p256dh: Key
    auth: Key


class PushSubscriptionIn(In):
    """What ``JSON.stringify(await registration.pushManager.subscribe(...))`` gives in a browser."""

    endpoint: Annotated[
        str,
        msgspec.Meta(
            min_length=1, max_length=MAX_ENDPOINT, examples=["https://fcm.googleapis.com/fcm/send/abc"]
        ),
    ]
    keys: PushKeysIn
    expiration_time: Annotated[float, msgspec.Meta(ge=0, le=MAX_EXPIRATION_MS)] | None = None
    """Milliseconds since the epoch, as browsers give it; null or left out when it does not expire."""

    def to_command(self) -> SubscribeCommand:
        expires = None
        if self.expiration_time is not None:
            try:
                expires = datetime.fromtimestamp(self.expiration_time / 1000, UTC)
            except (OverflowError, OSError, ValueError):
                raise ValidationFailed.field("expirationTime", "must be milliseconds since 1970") from None
        return SubscribeCommand(
            endpoint=self.endpoint, p256dh=self.keys.p256dh, auth=self.keys.auth, expiration_time=expires
        )


class PushKeysOut(Out):
    p256dh: str
    auth: str


class PushSubscriptionOut(Out):
    id: int
    client_id: int
    endpoint: str
    keys: PushKeysOut
    expiration_time: Timestamp | None
    create_time: Timestamp
    update_time: Timestamp


class PushSubscriptionListOut(Out):
    items: list[PushSubscriptionOut]
    total: int


class VapidKeyOut(Out):
    public_key: str
    """The ``applicationServerKey`` for ``pushManager.subscribe``: base64url of the P-256 point."""


def push_subscription_out(s: PushSubscription) -> PushSubscriptionOut:
    # By hand: the keys are two attributes of the subscription, one object on the wire.
    return PushSubscriptionOut(
        id=s.id or 0,
        client_id=s.client_id,
        endpoint=s.endpoint,
        keys=PushKeysOut(p256dh=s.p256dh, auth=s.auth),
        expiration_time=seed_time(s.expiration_time),
        create_time=SeedTime(s.create_time),
        update_time=SeedTime(s.update_time),
    )
