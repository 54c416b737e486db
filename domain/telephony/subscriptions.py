"""A PBX event subscription as Switchboard keeps it: what was asked, what the PBX granted, its state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from domain.entity import Entity


class SubscriptionType(StrEnum):
    BASIC_CALL = "BASIC_CALL"
    ADVANCED_CALL = "ADVANCED_CALL"


class SubscriptionState(StrEnum):
    PENDING = "pending"  # not (yet) accepted by the PBX; the worker keeps trying
    ACTIVE = "active"
    FAILING = "failing"  # the last attempt to create or renew it failed; retried


@dataclass(eq=False, kw_only=True)
class PbxSubscription(Entity):
    pattern: str | None = None
    subscription_type: SubscriptionType = SubscriptionType.BASIC_CALL
    requested_expires: int = 3600
    """Seconds asked for; the PBX may grant fewer."""
    url: str
    subscription_id: str | None = None
    granted_expires: int | None = None
    expires_at: datetime | None = None
    state: SubscriptionState = SubscriptionState.PENDING
    last_error: str | None = None

    def granted(self, *, subscription_id: str, expires: int, at: datetime) -> None:
        """The PBX accepted it for ``expires`` seconds (kept as granted, even when shorter)."""
        self.subscription_id = subscription_id
        self.granted_expires = expires
        self.expires_at = at + timedelta(seconds=expires)
        self.state = SubscriptionState.ACTIVE
        self.last_error = None
        self.update_time = at

    def failed(self, *, error: str, at: datetime) -> None:
        self.state = SubscriptionState.FAILING
        self.last_error = error
        self.update_time = at

    def lost(self, *, at: datetime) -> None:
        """The PBX no longer knows it (terminated, expired, deleted): it must be created again."""
        self.subscription_id = None
        self.expires_at = None
        self.state = SubscriptionState.PENDING
        self.update_time = at

    def due(self, *, now: datetime, margin: timedelta) -> bool:
        """Whether the worker should (re)create or renew it now: before ``margin`` of its life is left."""
        if self.state is not SubscriptionState.ACTIVE or self.expires_at is None:
            return True
        return now >= self.expires_at - margin
