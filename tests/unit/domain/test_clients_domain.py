"""Clients, projects, groups, channel blocks and bookings check themselves; bookings move by rule."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from domain.clients import (
    Booking,
    BookingState,
    ChannelBlock,
    Client,
    ClientGroup,
    Project,
)
from domain.errors import FieldError, InvalidTransition, ValidationFailed

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
STAMPS = {"create_time": NOW, "update_time": NOW}


def client(**values: Any) -> Client:
    return Client(**STAMPS, **values)


def booking(**values: Any) -> Booking:
    return Booking(**{"client_id": 1, "before_date": NOW + timedelta(days=1), **STAMPS, **values})


def fields_of(error: pytest.ExceptionInfo[ValidationFailed]) -> list[str]:
    return [e.field for e in error.value.errors]


# -- clients ---------------------------------------------------------------------------------


def test_a_client_may_be_almost_empty_and_is_reachable_by_default() -> None:
    built = client()
    assert built.phones == [] and built.tags == [] and built.available is True
    assert built.full_name == ""


@pytest.mark.parametrize("phone", ["+74951234567", "+12025550123", "+4930123456"])
def test_phones_in_e164_are_accepted(phone: str) -> None:
    assert client(phones=[phone]).phones == [phone]


@pytest.mark.parametrize(
    "phone", ["84951234567", "+7 495 123-45-67", "+0123456789", "+123", "+1234567890123456", "", "phone"]
)
def test_phones_must_already_be_e164_and_the_error_points_at_the_number(phone: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        client(phones=["+74951234567", phone])
    assert error.value.errors == [FieldError("phones[1]", f"{phone!r} is not an E.164 number")]


def test_a_phone_number_appears_once() -> None:
    with pytest.raises(ValidationFailed) as error:
        client(phones=["+74951234567", "+74951234567"])
    assert error.value.errors == [FieldError("phones", "a number appears twice")]


@pytest.mark.parametrize("email", ["ivan@example.com", "a.b+c@mail.example.ru"])
def test_plausible_emails_are_accepted(email: str) -> None:
    assert client(email=email).email == email


@pytest.mark.parametrize("email", ["ivan", "ivan@", "@example.com", "ivan@example", "iv an@example.com"])
def test_implausible_emails_are_refused(email: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        client(email=email)
    assert error.value.errors == [FieldError("email", f"{email!r} is not an email address")]


def test_a_guid_belongs_to_a_project() -> None:
    with pytest.raises(ValidationFailed) as error:
        client(guid="crm-42")
    assert error.value.errors == [FieldError("guid", "a guid belongs to a project: give the project too")]
    assert client(guid="crm-42", project_id=3).guid == "crm-42"
    assert client(project_id=3).guid is None


def test_a_guid_is_at_most_255_characters() -> None:
    with pytest.raises(ValidationFailed) as error:
        client(guid="g" * 256, project_id=3)
    assert error.value.errors == [FieldError("guid", "must be at most 255 characters")]


def test_a_client_time_zone_must_exist() -> None:
    assert client(time_zone="Asia/Novosibirsk").time_zone == "Asia/Novosibirsk"
    with pytest.raises(ValidationFailed) as error:
        client(time_zone="Asia/Atlantis")
    assert fields_of(error) == ["time_zone"]


def test_every_problem_of_a_client_is_reported_at_once() -> None:
    with pytest.raises(ValidationFailed) as error:
        client(first_name="x" * 256, middle_name="y" * 300, phones=["1"], email="@", guid="g", time_zone="X")
    assert fields_of(error) == ["first_name", "middle_name", "phones[0]", "email", "time_zone", "guid"]


def test_a_client_full_name_reads_last_first_middle() -> None:
    named = client(
        first_name="Ivan", last_name="Petrov", middle_name="Sergeevich", birth_date=date(1990, 1, 1)
    )
    assert named.full_name == "Petrov Ivan Sergeevich"
    assert client(first_name="Ivan").full_name == "Ivan"


def test_projects_and_groups_need_names() -> None:
    with pytest.raises(ValidationFailed) as error:
        Project(name="", code="", **STAMPS)
    assert fields_of(error) == ["name", "code"]
    with pytest.raises(ValidationFailed) as error:
        ClientGroup(name=" ", **STAMPS)
    assert fields_of(error) == ["name"]
    assert ClientGroup(name="VIP", **STAMPS).description is None


# -- channel blocks --------------------------------------------------------------------------


def test_a_block_without_an_end_is_permanent_and_always_active() -> None:
    block = ChannelBlock(client_id=1, channel_id=2, **STAMPS)
    assert block.permanent
    assert block.is_active(NOW) and block.is_active(NOW + timedelta(days=3650))


def test_a_temporary_block_is_active_until_its_end_exclusive() -> None:
    until = NOW + timedelta(hours=2)
    block = ChannelBlock(client_id=1, channel_id=2, until=until, reason="asked", **STAMPS)
    assert not block.permanent
    assert block.is_active(NOW)
    assert block.is_active(until - timedelta(microseconds=1))
    assert not block.is_active(until)


# -- bookings --------------------------------------------------------------------------------


def test_a_new_booking_holds_the_client_until_its_date() -> None:
    held = booking()
    assert held.status is BookingState.BOOKED
    assert held.holds(NOW)
    assert not held.holds(held.before_date)


def test_a_booking_of_an_employee_belongs_to_that_employee_only() -> None:
    held = booking(employee_id=7, department_id=3)
    assert held.is_held_by(department_id=3, employee_id=7)
    assert not held.is_held_by(department_id=3, employee_id=8)
    assert not held.is_held_by(department_id=3, employee_id=None)


def test_a_booking_of_a_department_belongs_to_anyone_in_it() -> None:
    held = booking(department_id=3)
    assert held.is_held_by(department_id=3, employee_id=None)
    assert held.is_held_by(department_id=3, employee_id=99)
    assert not held.is_held_by(department_id=4, employee_id=99)


def test_an_ownerless_booking_belongs_to_nobody() -> None:
    assert not booking().is_held_by(department_id=None, employee_id=None)


@pytest.mark.parametrize(
    ("move", "state"), [("release", BookingState.RELEASED), ("expire", BookingState.EXPIRED)]
)
def test_a_booked_client_can_be_released_or_expire(move: str, state: BookingState) -> None:
    held = booking()
    later = NOW + timedelta(minutes=5)
    getattr(held, move)(later)
    assert held.status is state
    assert held.update_time == later
    assert not held.holds(NOW)


@pytest.mark.parametrize("first", ["release", "expire"])
@pytest.mark.parametrize("second", ["release", "expire"])
def test_an_ended_booking_cannot_end_again(first: str, second: str) -> None:
    held = booking()
    getattr(held, first)(NOW)
    with pytest.raises(InvalidTransition) as refused:
        getattr(held, second)(NOW + timedelta(minutes=1))
    assert refused.value.machine == "booking"
    assert refused.value.current == held.status.value
    assert refused.value.requested == {"release": "released", "expire": "expired"}[second]
    assert held.update_time == NOW


@pytest.mark.parametrize("ended", ["release", "expire"])
def test_an_ended_booking_can_be_taken_again(ended: str) -> None:
    held = booking()
    getattr(held, ended)(NOW)
    new_end = NOW + timedelta(days=7)
    held.rebook(new_end, NOW + timedelta(hours=1))
    assert held.status is BookingState.BOOKED
    assert held.before_date == new_end
    assert held.update_time == NOW + timedelta(hours=1)
    assert held.holds(NOW + timedelta(days=6))


def test_rebooking_a_held_booking_extends_it() -> None:
    held = booking()
    held.rebook(NOW + timedelta(days=30), NOW)
    assert held.status is BookingState.BOOKED and held.holds(NOW + timedelta(days=29))
