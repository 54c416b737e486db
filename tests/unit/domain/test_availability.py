"""The pure rules of availability: the client's opt-in and bookings held by someone else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.availability import Owner, availability, blocking_bookings
from domain.clients import Booking, BookingState, Client

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def a_client(*, available: bool = True) -> Client:
    return Client(id=1, first_name="Ivan", available=available, create_time=NOW, update_time=NOW)


def a_booking(
    *,
    booking_id: int = 7,
    until: datetime | None = None,
    status: BookingState = BookingState.BOOKED,
    department_id: int | None = None,
    employee_id: int | None = None,
) -> Booking:
    return Booking(
        id=booking_id,
        client_id=1,
        before_date=until or NOW + timedelta(days=1),
        status=status,
        department_id=department_id,
        employee_id=employee_id,
        create_time=NOW,
        update_time=NOW,
    )


def test_a_client_without_bookings_who_opted_in_is_available() -> None:
    assert availability(a_client(), [], NOW, Owner(employee_id=5)) == (True, [])


def test_a_client_who_opted_out_is_unavailable_to_everyone() -> None:
    available, reasons = availability(a_client(available=False), [], NOW, Owner(employee_id=5))
    assert not available
    assert reasons == ["the client has opted out of communications (available is false)"]


def test_a_booking_by_another_employee_makes_the_client_unavailable_and_says_until_when() -> None:
    booking = a_booking(employee_id=9, department_id=2)
    available, reasons = availability(a_client(), [booking], NOW, Owner(employee_id=5, department_id=2))
    assert not available
    assert reasons == ["booked by employee 9 until 2026-03-03T09:00:00+00:00 (booking 7)"]


def test_the_owner_of_a_booking_may_still_contact_the_client() -> None:
    booking = a_booking(employee_id=5, department_id=2)
    assert availability(a_client(), [booking], NOW, Owner(employee_id=5, department_id=2)) == (True, [])


def test_a_department_booking_holds_for_everyone_in_that_department_and_nobody_else() -> None:
    booking = a_booking(department_id=2)
    assert availability(a_client(), [booking], NOW, Owner(employee_id=5, department_id=2))[0]
    available, reasons = availability(a_client(), [booking], NOW, Owner(employee_id=6, department_id=3))
    assert not available
    assert reasons == ["booked by department 2 until 2026-03-03T09:00:00+00:00 (booking 7)"]


def test_an_anonymous_caller_is_kept_away_by_every_holding_booking() -> None:
    for asking in (None, Owner()):
        assert not availability(a_client(), [a_booking(department_id=2)], NOW, asking)[0]


def test_bookings_that_no_longer_hold_do_not_count() -> None:
    gone = [
        a_booking(booking_id=1, employee_id=9, until=NOW),  # beforeDate reached: no longer held
        a_booking(booking_id=2, employee_id=9, until=NOW - timedelta(hours=1)),
        a_booking(booking_id=3, employee_id=9, status=BookingState.RELEASED),
        a_booking(booking_id=4, employee_id=9, status=BookingState.EXPIRED),
    ]
    assert availability(a_client(), gone, NOW, Owner(employee_id=5)) == (True, [])
    assert blocking_bookings(gone, NOW, Owner(employee_id=5)) == []


def test_every_reason_is_listed_soonest_booking_first() -> None:
    later = a_booking(booking_id=1, employee_id=9, until=NOW + timedelta(days=5))
    sooner = a_booking(booking_id=2, department_id=4, until=NOW + timedelta(hours=2))
    available, reasons = availability(a_client(available=False), [later, sooner], NOW, Owner(employee_id=5))
    assert not available
    assert [r.split(" until")[0] for r in reasons] == [
        "the client has opted out of communications (available is false)",
        "booked by department 4",
        "booked by employee 9",
    ]


def test_blocking_bookings_keeps_only_those_held_by_others() -> None:
    mine = a_booking(booking_id=1, employee_id=5)
    theirs = a_booking(booking_id=2, employee_id=9)
    assert blocking_bookings([mine, theirs], NOW, Owner(employee_id=5)) == [theirs]
