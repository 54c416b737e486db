"""Outbound webhooks: a front system's subscription to events, and each event's delivery to it.

A delivery is retried on a schedule that spans about a day (Standard Webhooks' own: 5 s, 5 min,
30 min, 2 h, 5 h, 10 h, 10 h); when the last try fails, the delivery is failed and its subscription
disabled with the reason, until someone enables it again. Times are passed in; nothing reads a clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit

from domain.entity import Entity, Problems


class EventType(StrEnum):
    COMMUNICATION_STATUS_CHANGED = "communication.status_changed"
    COMMUNICATION_RESPONDED = "communication.responded"
    SEND_COMPLETED = "send.completed"
    MISSED_CALL_CREATED = "missed_call.created"


class DeliveryState(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


RETRY_SCHEDULE: tuple[timedelta, ...] = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
"""Waits after each failed try; the first try is at once, so a delivery gets len + 1 tries (~27 h)."""


@dataclass(eq=False, kw_only=True)
class WebhookSubscription(Entity):
    url: str
    event_types: list[EventType]
    secret: str = field(repr=False)
    """``whsec_`` + base64 key (Standard Webhooks); write-only."""
    description: str | None = None
    active: bool = True
    disabled_reason: str | None = None

    def __post_init__(self) -> None:
        problems = Problems()
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            problems.add("url", "must be an http or https URL")
        if not self.event_types:
            problems.add("event_types", "name at least one event type")
        if not self.secret.startswith("whsec_") or len(self.secret) < 30:
            problems.add("secret", "must be whsec_ followed by a base64 key of at least 18 bytes")
        problems.raise_if_any()

    def wants(self, event: EventType) -> bool:
        return self.active and event in self.event_types

    def disable(self, reason: str, at: datetime) -> None:
        self.active = False
        self.disabled_reason = reason
        self.update_time = at


@dataclass(eq=False, kw_only=True)
class WebhookDelivery(Entity):
    subscription_id: int
    message_id: str
    """The ``webhook-id`` header: the same for every try, so the receiver can drop duplicates."""
    event_type: EventType
    payload: str
    """The JSON body as sent, byte for byte what the signature covers."""
    state: DeliveryState = DeliveryState.PENDING
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_status: int | None = None
    last_error: str | None = None
    delivered_at: datetime | None = None

    def succeeded(self, status: int, at: datetime) -> None:
        self.attempts += 1
        self.state = DeliveryState.DELIVERED
        self.last_status, self.last_error = status, None
        self.delivered_at = at
        self.next_attempt_at = None
        self.update_time = at

    def failed(self, status: int | None, error: str, at: datetime) -> bool:
        """Counts a failed try; returns True when it was the last one (the delivery is failed)."""
        self.attempts += 1
        self.last_status, self.last_error = status, error
        self.update_time = at
        if self.attempts > len(RETRY_SCHEDULE):
            self.state = DeliveryState.FAILED
            self.next_attempt_at = None
            return True
        self.next_attempt_at = at + RETRY_SCHEDULE[self.attempts - 1]
        return False

    def redeliver(self, at: datetime) -> None:
        """Another round of tries from now, as when it was new."""
        self.state = DeliveryState.PENDING
        self.attempts = 0
        self.next_attempt_at = at
        self.update_time = at
