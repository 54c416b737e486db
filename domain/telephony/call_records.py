"""A PBX call as Switchboard records it: one per ``extTrackingId``, built from its halves' events.

Group ringing sends one half per phone; when a colleague answers, the other halves are released
unanswered. So "missed" is decided per call, not per half: a call is missed when an incoming half
was released unanswered and no half has been answered. An answer that arrives after that (events
may come out of order) takes the call back out of the missed ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.communications.statuses import Direction
from domain.entity import Entity
from domain.telephony.call_events import (
    EventType,
    XsiEvent,
    direction_of,
    from_epoch_ms,
    is_answer,
    is_unanswered_incoming_release,
    remote_number,
)


class CallOutcome(StrEnum):
    """What one event changed in the missed-calls queue."""

    NOTHING = "nothing"
    MISSED = "missed"  # the call just became missed: register it
    UNMISSED = "unmissed"  # a call registered as missed turned out answered: take it back


@dataclass(eq=False, kw_only=True)
class CallRecord(Entity):
    call_key: str
    """What identifies the call at its source: the PBX's ``extTrackingId``, or the call center's
    campaign and contact (``ccs:<campaign>:<contact>``)."""
    direction: Direction
    communication_id: int | None = None
    """The Call communication that records this call."""
    remote_number: str | None = None
    target_id: str | None = None
    """The abonent (employee) who answered, or the first one the call reached."""
    started_at: datetime | None = None
    answered_at: datetime | None = None
    released_at: datetime | None = None
    release_cause: str | None = None
    missed: bool = False
    missed_call_id: int | None = None
    """The missed-call card this call was counted in."""
    ring_seconds: int | None = None
    talk_seconds: int | None = None
    """As the source reported it (the call center does); else derived from the times."""
    agent: str | None = None
    station: str | None = None
    recording_url: str | None = None
    external_call_id: str | None = None

    @classmethod
    def first_seen(cls, event: XsiEvent, *, at: datetime) -> CallRecord:
        assert event.call is not None
        return cls(
            call_key=event.call.ext_tracking_id,
            direction=direction_of(event.call.personality),
            create_time=at,
            update_time=at,
        )

    @property
    def answered(self) -> bool:
        return self.answered_at is not None

    @property
    def duration_seconds(self) -> int:
        """Talk time: from the answer to the release; zero for a call nobody answered."""
        if self.talk_seconds is not None:
            return self.talk_seconds
        if self.answered_at is None or self.released_at is None:
            return 0
        return max(0, round((self.released_at - self.answered_at).total_seconds()))

    def apply(self, event: XsiEvent, *, at: datetime) -> CallOutcome:
        """Folds one call event of this call in; says whether the call became (un)missed."""
        call = event.call
        assert call is not None and call.ext_tracking_id == self.call_key
        self.update_time = at
        self.remote_number = self.remote_number or remote_number(call.remote_address)
        self.target_id = self.target_id or event.target_id
        started = from_epoch_ms(call.start_time)
        if started is not None and (self.started_at is None or started < self.started_at):
            self.started_at = started
        if is_answer(event):
            if self.answered_at is None:
                self.answered_at = from_epoch_ms(call.answer_time) or at
                self.target_id = event.target_id or self.target_id
            if event.known_type is EventType.CALL_RELEASED:
                self._released(event)
            if self.missed:
                self.missed = False
                return CallOutcome.UNMISSED
            return CallOutcome.NOTHING
        if event.known_type is EventType.CALL_RELEASED:
            self._released(event)
            if is_unanswered_incoming_release(event) and not self.answered and not self.missed:
                self.missed = True
                self.release_cause = call.release_cause
                return CallOutcome.MISSED
        return CallOutcome.NOTHING

    @property
    def finished(self) -> bool:
        return self.released_at is not None

    def _released(self, event: XsiEvent) -> None:
        assert event.call is not None
        released = from_epoch_ms(event.call.release_time)
        if released is not None and (self.released_at is None or released > self.released_at):
            self.released_at = released
