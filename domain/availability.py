"""Whether a client may be contacted now, and why not: pure rules over the client and its bookings.

Channel blocks and caps are not part of this answer: they depend on the channel and the
communication, and are weighed when one is sent. This is the client-wide question of seed 000's
"check availability for communication": the client's own opt-in, bookings held by others, and the
department rules' allowed weekdays and quiet hours in the client's time zone (the same window
functions the send decision uses, ``domain.sending.windows``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from domain.clients import Booking, Client
from domain.rules import Rule
from domain.sending.windows import in_quiet_hours, on_allowed_weekday


@dataclass(frozen=True)
class Owner:
    """Who books or asks: an employee (and their department), or a department alone.

    Neither set is an anonymous caller, such as a front system speaking for nobody: every booking
    held at the time keeps it away.
    """

    department_id: int | None = None
    employee_id: int | None = None

    @property
    def anonymous(self) -> bool:
        return self.department_id is None and self.employee_id is None


def blocking_bookings(bookings: Iterable[Booking], now: datetime, asking: Owner | None) -> list[Booking]:
    """The bookings holding a client at ``now`` for someone other than ``asking``."""
    asker = asking or Owner()
    return [
        b
        for b in bookings
        if b.holds(now) and not b.is_held_by(department_id=asker.department_id, employee_id=asker.employee_id)
    ]


def describe_holder(booking: Booking) -> str:
    if booking.employee_id is not None:
        return f"employee {booking.employee_id}"
    if booking.department_id is not None:
        return f"department {booking.department_id}"
    return "another owner"


def availability(
    client: Client, bookings: Iterable[Booking], now: datetime, asking: Owner | None
) -> tuple[bool, list[str]]:
    """Whether ``asking`` may contact ``client`` at ``now``; when not, every reason why."""
    reasons: list[str] = []
    if not client.available:
        reasons.append("the client has opted out of communications (available is false)")
    for booking in sorted(blocking_bookings(bookings, now, asking), key=lambda b: b.before_date):
        until = booking.before_date.astimezone(UTC).isoformat(timespec="seconds")
        reasons.append(f"booked by {describe_holder(booking)} until {until} (booking {booking.id})")
    return not reasons, reasons


class HoursKind(StrEnum):
    WEEKDAY = "weekday"
    QUIET_HOURS = "quiet_hours"


@dataclass(frozen=True)
class HoursReason:
    """One rule that keeps a client away at a moment: not its weekday, or within its quiet hours."""

    kind: HoursKind
    message: str


def outside_hours(rules: Iterable[Rule], now: datetime, tz: ZoneInfo) -> list[HoursReason]:
    """Why the active ``rules`` keep a client living in ``tz`` away at ``now`` (empty: they allow it).

    Quiet hours count whatever their policy: a deferred message is not sent now either.
    """
    reasons: list[HoursReason] = []
    for rule in rules:
        if not rule.active:
            continue
        if not on_allowed_weekday(now, rule.allowed_weekdays, tz):
            reasons.append(
                HoursReason(
                    HoursKind.WEEKDAY,
                    f"rule {rule.name!r} does not allow sending on {now.astimezone(tz):%A} "
                    f"in the client's time zone ({tz.key})",
                )
            )
        quiet = rule.quiet_hours
        if quiet is not None and in_quiet_hours(now, quiet, tz):
            reasons.append(
                HoursReason(
                    HoursKind.QUIET_HOURS,
                    f"{now.astimezone(tz):%H:%M} is within the quiet hours of rule {rule.name!r} "
                    f"({quiet.start:%H:%M}-{quiet.end:%H:%M}, {tz.key})",
                )
            )
    return reasons
