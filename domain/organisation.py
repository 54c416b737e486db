"""The company side: companies, departments with their hours, employees, front systems, roles."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.access import Grant
from domain.entity import Entity, Problems, full_name


@dataclass(eq=False, kw_only=True)
class Company(Entity):
    name: str
    code: str

    def __post_init__(self) -> None:
        problems = Problems()
        problems.text("name", self.name)
        problems.text("code", self.code, max_length=64)
        problems.raise_if_any()


@dataclass(frozen=True)
class WorkingDay:
    """Opening hours of one weekday (0 = Monday), in the department's own time zone."""

    weekday: int
    opens: time
    closes: time


DEFAULT_WORKING_HOURS: tuple[WorkingDay, ...] = tuple(WorkingDay(d, time(9), time(18)) for d in range(5))


def check_time_zone(problems: Problems, field_name: str, name: str | None) -> None:
    if name is None:
        return
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        problems.add(field_name, f"unknown time zone {name!r}")


@dataclass(eq=False, kw_only=True)
class Department(Entity):
    company_id: int
    name: str
    code: str
    parent_id: int | None = None
    time_zone: str = "Europe/Moscow"
    working_hours: tuple[WorkingDay, ...] = DEFAULT_WORKING_HOURS

    def __post_init__(self) -> None:
        problems = Problems()
        problems.text("name", self.name)
        problems.text("code", self.code, max_length=64)
        check_time_zone(problems, "time_zone", self.time_zone)
        weekdays = [day.weekday for day in self.working_hours]
        if len(weekdays) != len(set(weekdays)):
            problems.add("working_hours", "a weekday appears twice")
        for index, day in enumerate(self.working_hours):
            if not 0 <= day.weekday <= 6:
                problems.add(f"working_hours[{index}].weekday", "must be 0 (Monday) to 6 (Sunday)")
            if day.opens >= day.closes:
                problems.add(f"working_hours[{index}]", "must open before it closes")
        if self.parent_id is not None and self.parent_id == self.id:
            problems.add("parent_id", "a department cannot be its own parent")
        problems.raise_if_any()


@dataclass(eq=False, kw_only=True)
class Role(Entity):
    name: str
    description: str | None = None
    grants: tuple[Grant, ...] = ()

    def __post_init__(self) -> None:
        problems = Problems()
        problems.text("name", self.name)
        problems.text("description", self.description, required=False, max_length=2000)
        problems.raise_if_any()


@dataclass(eq=False, kw_only=True)
class User(Entity):
    """What employees and service accounts share: they log in and hold roles."""

    login: str
    password_hash: str
    role_ids: list[int] = field(default_factory=list)
    active: bool = True

    def check_login(self, problems: Problems) -> None:
        problems.text("login", self.login, max_length=128)
        if self.login and (":" in self.login or any(ch.isspace() for ch in self.login)):
            problems.add("login", "must not contain ':' or white space")


@dataclass(eq=False, kw_only=True)
class Employee(User):
    department_id: int | None = None
    first_name: str
    last_name: str
    middle_name: str | None = None
    email: str | None = None
    phone: str | None = None
    extension: str | None = None
    """The employee's PBX abonent (extension, phone or PBX user id) for click-to-call and call events."""

    def __post_init__(self) -> None:
        problems = Problems()
        problems.text("first_name", self.first_name)
        problems.text("last_name", self.last_name)
        self.check_login(problems)
        problems.raise_if_any()

    @property
    def full_name(self) -> str:
        return full_name(self.last_name, self.first_name, self.middle_name)


@dataclass(eq=False, kw_only=True)
class ServiceAccount(User):
    """A front system (portal, app, CRM) calling the API."""

    name: str
    description: str | None = None

    def __post_init__(self) -> None:
        problems = Problems()
        problems.text("name", self.name)
        self.check_login(problems)
        problems.raise_if_any()
