"""Whether a client may be contacted now, and why not: pure rules over the client and its bookings.

Channel blocks and sending rules are not part of this answer: they depend on the channel and the
communication, and are weighed when one is sent. This is the client-wide question of seed 000's
"check availability for communication": the client's own opt-in, and bookings held by others.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from domain.clients import Booking, Client


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
