"""Why a client was not sent a message: the documented refusal codes of a send request."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class RefusalReason(StrEnum):
    NOT_PERMITTED = "not_permitted"
    """The sender lacks the grant for this type and channel, or the department's rule forbids it."""
    UNAVAILABLE = "unavailable"
    """The client opted out (``available`` is false)."""
    CHANNEL_BLOCKED = "channel_blocked"
    BOOKED = "booked"
    """Held by a booking of another owner."""
    FREQUENCY_CAP = "frequency_cap"
    """The rule's per-day or per-week cap is reached."""
    MIN_INTERVAL = "min_interval"
    QUIET_HOURS = "quiet_hours"
    """Inside quiet hours under the ``drop`` policy."""
    WEEKDAY = "weekday"
    """A weekday the rule does not allow."""
    NO_CONTACT = "no_contact"
    """The client has no contact data for the channel."""
    NOT_DISPATCHABLE = "not_dispatchable"
    """The channel has no provider."""


# Reasons that concern the client whatever the channel: trying the next channel cannot help.
CLIENT_WIDE: frozenset[RefusalReason] = frozenset(
    {
        RefusalReason.UNAVAILABLE,
        RefusalReason.BOOKED,
        RefusalReason.FREQUENCY_CAP,
        RefusalReason.MIN_INTERVAL,
        RefusalReason.QUIET_HOURS,
        RefusalReason.WEEKDAY,
    }
)


@dataclass(frozen=True)
class Refusal:
    """One reason a client was not sent a message; ``channel_id`` is None for a client-wide one."""

    reason: RefusalReason
    message: str
    channel_id: int | None = None
