"""BroadWorks XSI call events, as the PBX adapter hands them over, and what they mean (SPEC §5.1).

The adapter parses the XML; these functions decide. A PBX call (one ``extTrackingId``) rings one or
more phones, each a *call half* with its own events. Times are epoch milliseconds, as XSI sends them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from domain.communications.statuses import Direction


class Personality(StrEnum):
    ORIGINATOR = "Originator"
    TERMINATOR = "Terminator"
    CLICK_TO_DIAL = "Click-to-Dial"


class EventType(StrEnum):
    """The XSI event types Switchboard acts on; every other type is accepted and ignored."""

    CALL_RECEIVED = "CallReceivedEvent"
    CALL_ORIGINATED = "CallOriginatedEvent"
    CALL_ANSWERED = "CallAnsweredEvent"
    CALL_RELEASED = "CallReleasedEvent"
    SUBSCRIPTION_TERMINATED = "SubscriptionTerminatedEvent"


@dataclass(frozen=True, kw_only=True)
class CallHalf:
    """The ``call`` element of a call event: one phone's side of a PBX call."""

    call_id: str
    ext_tracking_id: str
    personality: str
    state: str | None = None
    release_cause: str | None = None
    """``releaseCause/internalReleaseCause`` (Busy, Forbidden, ...): only present on failures."""
    remote_address: str | None = None
    remote_name: str | None = None
    start_time: int | None = None
    answer_time: int | None = None
    release_time: int | None = None


@dataclass(frozen=True, kw_only=True)
class XsiEvent:
    event_id: str
    event_type: str
    """The local name of ``eventData``'s schema-instance type, e.g. ``CallReleasedEvent``."""
    subscription_id: str | None = None
    target_id: str | None = None
    """The abonent the event is about (the employee's PBX id)."""
    sequence_number: int | None = None
    call: CallHalf | None = None

    @property
    def known_type(self) -> EventType | None:
        try:
            return EventType(self.event_type)
        except ValueError:
            return None


def from_epoch_ms(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value / 1000, tz=UTC)


def direction_of(personality: str) -> Direction:
    """Terminator: the abonent receives the call. Originator and Click-to-Dial: the abonent calls."""
    return Direction.INBOUND if personality == Personality.TERMINATOR else Direction.OUTBOUND


def remote_number(address: str | None) -> str | None:
    """The number in a party address: ``tel:+7495...`` or ``sip:8495...@host`` -> the digits part."""
    if not address:
        return None
    number = address.strip()
    for scheme in ("tel:", "sip:", "sips:"):
        if number.lower().startswith(scheme):
            number = number[len(scheme) :]
            break
    number = number.split("@", 1)[0].split(";", 1)[0]
    return number or None


def is_unanswered_incoming_release(event: XsiEvent) -> bool:
    """A Terminator half released without ``answerTime``: missed, busy or rejected alike.

    Busy and rejected calls carry a release cause, a call that rang out carries none; neither was
    answered, so the caller is waiting for a call back either way.
    """
    call = event.call
    return (
        event.known_type is EventType.CALL_RELEASED
        and call is not None
        and call.personality == Personality.TERMINATOR
        and call.answer_time is None
    )


def is_answer(event: XsiEvent) -> bool:
    """Any sign that a half of the call was answered (an answered event, or a release with answerTime)."""
    return event.call is not None and (
        event.known_type is EventType.CALL_ANSWERED or event.call.answer_time is not None
    )
