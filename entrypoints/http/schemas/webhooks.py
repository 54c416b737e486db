"""Webhook subscriptions on /api/v1: URL, event types, a write-only secret; the delivery log."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import UNSET, UnsetType

from domain.providers import mask
from domain.webhooks import DeliveryState, EventType, WebhookSubscription
from entrypoints.http.schemas.common import In, Out
from entrypoints.http.schemas.times import SeedTime, Timestamp

Url = Annotated[str, msgspec.Meta(min_length=1, max_length=2048)]
Events = Annotated[list[EventType], msgspec.Meta(min_length=1, max_length=10)]
Secret = Annotated[str, msgspec.Meta(max_length=255)]


class SubscriptionIn(In):
    url: Url
    event_types: Events
    secret: Secret | None = None
    """``whsec_…``; made for you when left out (shown once, in the answer to this request)."""
    description: Annotated[str, msgspec.Meta(max_length=1000)] | None = None
    active: bool = True


class SubscriptionPatch(In):
    url: Url | UnsetType = UNSET
    event_types: Events | UnsetType = UNSET
    secret: Secret | UnsetType = UNSET
    description: Annotated[str, msgspec.Meta(max_length=1000)] | None | UnsetType = UNSET
    active: bool | UnsetType = UNSET
    """``true`` enables a subscription disabled after failures (and clears its reason)."""


class SubscriptionOut(Out):
    id: int
    url: str
    event_types: list[EventType]
    secret: str
    """Masked; in full only in the answer to the POST that made it."""
    description: str | None
    active: bool
    disabled_reason: str | None
    create_time: Timestamp
    update_time: Timestamp


def subscription_out(s: WebhookSubscription, *, reveal: bool = False) -> SubscriptionOut:
    # By hand: the secret is masked unless revealed.
    return SubscriptionOut(
        id=s.id or 0,
        url=s.url,
        event_types=[EventType(e) for e in s.event_types],
        secret=s.secret if reveal else mask(s.secret),
        description=s.description,
        active=s.active,
        disabled_reason=s.disabled_reason,
        create_time=SeedTime(s.create_time),
        update_time=SeedTime(s.update_time),
    )


class DeliveryOut(Out):
    id: int
    subscription_id: int
    message_id: str
    event_type: EventType
    state: DeliveryState
    attempts: int
    next_attempt_at: Timestamp | None
    last_status: int | None
    last_error: str | None
    delivered_at: Timestamp | None
    payload: str
    create_time: Timestamp


class DeliveriesOut(Out):
    items: list[DeliveryOut]
    total: int
    limit: int
    offset: int
