"""Companies, departments, roles, employees and service accounts check themselves when built."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, time
from typing import Any

import pytest

from domain.access import Grant, Permission
from domain.entity import Problems
from domain.errors import FieldError, ValidationFailed
from domain.organisation import (
    DEFAULT_WORKING_HOURS,
    Company,
    Department,
    Employee,
    Role,
    ServiceAccount,
    WorkingDay,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
STAMPS = {"create_time": NOW, "update_time": NOW}


def fields_of(error: pytest.ExceptionInfo[ValidationFailed]) -> list[str]:
    return [e.field for e in error.value.errors]


def department(**values: Any) -> Department:
    return Department(**{"company_id": 1, "name": "Sales", "code": "sales", **STAMPS, **values})


def employee(**values: Any) -> Employee:
    defaults = {"login": "ivanov", "password_hash": "h", "first_name": "Ivan", "last_name": "Ivanov"}
    return Employee(**{**defaults, **STAMPS, **values})


# -- the shared checks -----------------------------------------------------------------------


def test_problems_collects_every_invalid_field_before_raising() -> None:
    problems = Problems()
    problems.text("name", "")
    problems.text("code", "x" * 65, max_length=64)
    problems.text("note", None, required=False)
    problems.text("title", "   ")
    with pytest.raises(ValidationFailed) as error:
        problems.raise_if_any()
    assert error.value.errors == [
        FieldError("name", "must not be empty"),
        FieldError("code", "must be at most 64 characters"),
        FieldError("title", "must not be empty"),
    ]


def test_problems_without_errors_raises_nothing() -> None:
    problems = Problems()
    problems.text("name", "fine")
    problems.raise_if_any()
    assert problems.errors == []


def test_a_validation_error_reads_as_its_fields() -> None:
    error = ValidationFailed([FieldError("name", "must not be empty"), FieldError("", "broken")])
    assert error.message == "name: must not be empty; broken"
    assert ValidationFailed("plain").errors == [FieldError("", "plain")]


def test_entities_are_equal_by_type_and_id_only() -> None:
    first = Company(id=7, name="A", code="a", **STAMPS)
    same_row = Company(id=7, name="Renamed", code="b", **STAMPS)
    other_kind = Role(id=7, name="A", **STAMPS)
    assert first == same_row and hash(first) == hash(same_row)
    assert first != other_kind
    unsaved, other_unsaved = Company(name="A", code="a", **STAMPS), Company(name="A", code="a", **STAMPS)
    assert unsaved == unsaved  # noqa: PLR0124 - an unsaved entity is only itself
    assert unsaved != other_unsaved


def test_touch_moves_only_the_update_time() -> None:
    company = Company(name="A", code="a", **STAMPS)
    later = datetime(2026, 3, 3, tzinfo=UTC)
    company.touch(later)
    assert (company.create_time, company.update_time) == (NOW, later)


# -- companies -------------------------------------------------------------------------------


def test_a_company_needs_a_name_and_a_short_code() -> None:
    with pytest.raises(ValidationFailed) as error:
        Company(name=" ", code="c" * 65, **STAMPS)
    assert error.value.errors == [
        FieldError("name", "must not be empty"),
        FieldError("code", "must be at most 64 characters"),
    ]
    assert Company(name="Acme", code="c" * 64, **STAMPS).code == "c" * 64


# -- departments -----------------------------------------------------------------------------


def test_a_department_works_monday_to_friday_nine_to_six_in_moscow_by_default() -> None:
    built = department()
    assert built.time_zone == "Europe/Moscow"
    assert built.working_hours == DEFAULT_WORKING_HOURS
    assert [d.weekday for d in built.working_hours] == [0, 1, 2, 3, 4]
    assert {(d.opens, d.closes) for d in built.working_hours} == {(time(9), time(18))}


def test_a_department_refuses_an_unknown_time_zone() -> None:
    with pytest.raises(ValidationFailed) as error:
        department(time_zone="Mars/Olympus")
    assert error.value.errors == [FieldError("time_zone", "unknown time zone 'Mars/Olympus'")]


@pytest.mark.parametrize("zone", ["", "../etc/passwd", "Europe/"])
def test_a_department_refuses_time_zone_names_that_are_not_zones(zone: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        department(time_zone=zone)
    assert fields_of(error) == ["time_zone"]


def test_working_hours_must_open_before_they_close_on_a_real_weekday_once() -> None:
    hours = (
        WorkingDay(0, time(9), time(18)),
        WorkingDay(0, time(10), time(11)),
        WorkingDay(7, time(9), time(10)),
        WorkingDay(2, time(18), time(9)),
        WorkingDay(3, time(9), time(9)),
    )
    with pytest.raises(ValidationFailed) as error:
        department(working_hours=hours)
    assert fields_of(error) == [
        "working_hours",
        "working_hours[2].weekday",
        "working_hours[3]",
        "working_hours[4]",
    ]


def test_a_department_may_have_no_working_hours_and_sunday_hours() -> None:
    assert department(working_hours=()).working_hours == ()
    assert department(working_hours=(WorkingDay(6, time(0), time(23, 59)),)).working_hours[0].weekday == 6


def test_a_department_cannot_be_its_own_parent() -> None:
    with pytest.raises(ValidationFailed) as error:
        department(id=4, parent_id=4)
    assert error.value.errors == [FieldError("parent_id", "a department cannot be its own parent")]
    assert department(id=4, parent_id=3).parent_id == 3


def test_changing_a_department_checks_the_whole_again() -> None:
    built = department(id=1)
    with pytest.raises(ValidationFailed) as error:
        dataclasses.replace(built, name="", time_zone="Nowhere/Land")
    assert fields_of(error) == ["name", "time_zone"]


# -- roles -----------------------------------------------------------------------------------


def test_a_role_needs_a_name_and_at_most_a_long_description() -> None:
    with pytest.raises(ValidationFailed) as error:
        Role(name="", description="d" * 2001, **STAMPS)
    assert fields_of(error) == ["name", "description"]
    role = Role(name="Operator", grants=(Grant(permission=Permission.MANAGE_CLIENTS),), **STAMPS)
    assert role.description is None and role.grants[0].permission is Permission.MANAGE_CLIENTS


# -- employees and service accounts ----------------------------------------------------------


def test_an_employee_needs_first_and_last_names_and_a_login() -> None:
    with pytest.raises(ValidationFailed) as error:
        employee(first_name="", last_name=" ", login="")
    assert fields_of(error) == ["first_name", "last_name", "login"]


@pytest.mark.parametrize("login", ["ivan ivanov", "ivan:ivanov", "ivan\tivanov", "tab\n"])
def test_a_login_cannot_hold_what_basic_auth_cannot_carry(login: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        employee(login=login)
    assert error.value.errors == [FieldError("login", "must not contain ':' or white space")]


def test_a_login_is_at_most_128_characters() -> None:
    assert employee(login="l" * 128).login == "l" * 128
    with pytest.raises(ValidationFailed) as error:
        employee(login="l" * 129)
    assert error.value.errors == [FieldError("login", "must be at most 128 characters")]


def test_an_employee_is_active_with_no_roles_until_told_otherwise() -> None:
    built = employee()
    assert built.active is True and built.role_ids == [] and built.department_id is None


def test_full_name_reads_last_first_middle_and_skips_what_is_missing() -> None:
    assert employee(middle_name="Petrovich").full_name == "Ivanov Ivan Petrovich"
    assert employee().full_name == "Ivanov Ivan"


def test_a_service_account_needs_a_name_and_a_valid_login() -> None:
    with pytest.raises(ValidationFailed) as error:
        ServiceAccount(name="", login="crm bot", password_hash="h", **STAMPS)
    assert fields_of(error) == ["name", "login"]
    account = ServiceAccount(name="CRM", login="crm", password_hash="h", **STAMPS)
    assert account.active and account.role_ids == []
