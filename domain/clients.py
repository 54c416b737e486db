"""The receiving side: clients, their groups and projects, channel blocks and bookings."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from domain.entity import Entity, Problems, full_name
from domain.errors import InvalidTransition
from domain.organisation import check_time_zone

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(eq=False, kw_only=True)
class Project(Entity):
    """A sending project (seed 001): owns mailings and can scope clients by guid."""

    name: str
    code: str

    def __post_init__(self) -> None:
        problems = Problems()
        problems.text("name", self.name)
        problems.text("code", self.code, max_length=64)
        problems.raise_if_any()


@dataclass(eq=False, kw_only=True)
class Client(Entity):
    first_name: str | None = None
    last_name: str | None = None
    middle_name: str | None = None
    birth_date: date | None = None
    phones: list[str] = field(default_factory=list)
    """E.164 numbers; the application normalises what people type before they get here."""
    email: str | None = None
    social_media: dict[str, str] | None = None
    """Messenger and social network handles by network, e.g. ``{"telegram": "@ivan"}``."""
    language: str | None = None
    time_zone: str | None = None
    available: bool = True
    """The client's global opt-in: False means never contact."""
    project_id: int | None = None
    guid: str | None = None
    """The client's id in the project's own system; unique within the project."""
    tags: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        problems = Problems()
        for name, value in (
            ("first_name", self.first_name),
            ("last_name", self.last_name),
            ("middle_name", self.middle_name),
        ):
            problems.text(name, value, required=False)
        for index, phone in enumerate(self.phones):
            if not E164.match(phone):
                problems.add(f"phones[{index}]", f"{phone!r} is not an E.164 number")
        if len(set(self.phones)) != len(self.phones):
            problems.add("phones", "a number appears twice")
        if self.email is not None and not EMAIL.match(self.email):
            problems.add("email", f"{self.email!r} is not an email address")
        check_time_zone(problems, "time_zone", self.time_zone)
        if self.guid is not None and self.project_id is None:
            problems.add("guid", "a guid belongs to a project: give the project too")
        problems.text("guid", self.guid, required=False)
        problems.raise_if_any()

    @property
    def full_name(self) -> str:
        return full_name(self.last_name, self.first_name, self.middle_name)


@dataclass(eq=False, kw_only=True)
class ClientGroup(Entity):
    """A named set of clients. Members are kept apart from the group: a group may hold millions."""

    name: str
    description: str | None = None

    def __post_init__(self) -> None:
        problems = Problems()
        problems.text("name", self.name)
        problems.raise_if_any()


@dataclass(eq=False, kw_only=True)
class ChannelBlock(Entity):
    """The client must not be reached on this channel: for ever, or until a time."""

    client_id: int
    channel_id: int
    until: datetime | None = None
    reason: str | None = None

    @property
    def permanent(self) -> bool:
        return self.until is None

    def is_active(self, at: datetime) -> bool:
        return self.until is None or at < self.until


class BookingState(StrEnum):
    """Well-known codes of the booking status dictionary; names and descriptions are data."""

    BOOKED = "booked"
    RELEASED = "released"
    EXPIRED = "expired"


@dataclass(eq=False, kw_only=True)
class BookingStatusType(Entity):
    code: BookingState
    name: str
    description: str | None = None


@dataclass(eq=False, kw_only=True)
class Booking(Entity):
    """A client held for future communications of one owner until ``before_date``."""

    client_id: int
    before_date: datetime
    status: BookingState = BookingState.BOOKED
    name: str | None = None
    department_id: int | None = None
    employee_id: int | None = None

    def holds(self, at: datetime) -> bool:
        return self.status is BookingState.BOOKED and at < self.before_date

    def is_held_by(self, *, department_id: int | None, employee_id: int | None) -> bool:
        """Whether the booking belongs to this sender: its employee, or else its department."""
        if self.employee_id is not None:
            return self.employee_id == employee_id
        return self.department_id is not None and self.department_id == department_id

    def release(self, at: datetime) -> None:
        self._move(BookingState.RELEASED, at)

    def expire(self, at: datetime) -> None:
        self._move(BookingState.EXPIRED, at)

    def rebook(self, before_date: datetime, at: datetime) -> None:
        """Extend or renew the hold; a released or expired booking may be taken again."""
        self.before_date = before_date
        self.status = BookingState.BOOKED
        self.touch(at)

    def _move(self, target: BookingState, at: datetime) -> None:
        if self.status is not BookingState.BOOKED:
            raise InvalidTransition("booking", self.status.value, target.value)
        self.status = target
        self.touch(at)
