"""Companies, departments, roles, employees and service accounts at the edge."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import UNSET, UnsetType

from domain.access import Grant, Permission
from domain.organisation import Department, Role, WorkingDay
from entrypoints.http.schemas.common import (
    ClockTime,
    Code,
    Id,
    In,
    Name,
    Out,
    Weekday,
    clock_time,
    ids,
    patch_of,
)
from entrypoints.http.schemas.times import SeedTime, Timestamp

Login = Annotated[str, msgspec.Meta(min_length=1, max_length=128, pattern=r"^[^:\s]+$")]
Password = Annotated[str, msgspec.Meta(min_length=5, max_length=256)]
Email = Annotated[str, msgspec.Meta(max_length=255, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]


class CompanyIn(In):
    name: Name
    code: Code


CompanyPatch = patch_of(CompanyIn)


class CompanyOut(Out):
    id: int
    name: str
    code: str
    create_time: Timestamp
    update_time: Timestamp


class WorkingDayIo(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, rename="camel"):
    weekday: Weekday
    opens: ClockTime
    closes: ClockTime


def working_days(days: list[WorkingDayIo]) -> tuple[WorkingDay, ...]:
    return tuple(WorkingDay(d.weekday, clock_time(d.opens), clock_time(d.closes)) for d in days)


class DepartmentIn(In):
    company_id: Id
    name: Name
    code: Code
    parent_id: Id | None = None
    time_zone: str = "Europe/Moscow"
    working_hours: list[WorkingDayIo] | UnsetType = UNSET

    converters = {"working_hours": working_days}  # noqa: RUF012


DepartmentPatch = patch_of(DepartmentIn)


class DepartmentOut(Out):
    id: int
    company_id: int
    name: str
    code: str
    parent_id: int | None
    time_zone: str
    working_hours: list[WorkingDayIo]
    create_time: Timestamp
    update_time: Timestamp


def department_out(d: Department) -> DepartmentOut:
    # By hand: the API writes opening hours as HH:MM; msgspec would add the seconds.
    return DepartmentOut(
        id=d.id or 0,
        company_id=d.company_id,
        name=d.name,
        code=d.code,
        parent_id=d.parent_id,
        time_zone=d.time_zone,
        working_hours=[
            WorkingDayIo(
                weekday=w.weekday, opens=w.opens.isoformat("minutes"), closes=w.closes.isoformat("minutes")
            )
            for w in d.working_hours
        ],
        create_time=SeedTime(d.create_time),
        update_time=SeedTime(d.update_time),
    )


class GrantIo(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, rename="camel"):
    permission: Permission
    communication_type_ids: list[Id] = msgspec.field(default_factory=list)
    """For send_communications: the types it allows; empty = all."""
    channel_ids: list[Id] = msgspec.field(default_factory=list)
    """For send_communications: the channels it allows; empty = all."""


def grants(items: list[GrantIo]) -> tuple[Grant, ...]:
    return tuple(
        Grant(
            permission=g.permission,
            type_ids=frozenset(g.communication_type_ids),
            channel_ids=frozenset(g.channel_ids),
        )
        for g in items
    )


class RoleIn(In):
    name: Name
    description: str | None = None
    permissions: list[GrantIo] = msgspec.field(default_factory=list)

    renames = {"permissions": "grants"}  # noqa: RUF012
    converters = {"permissions": grants}  # noqa: RUF012


RolePatch = patch_of(RoleIn)


class RoleOut(Out):
    id: int
    name: str
    description: str | None
    permissions: list[GrantIo]
    create_time: Timestamp
    update_time: Timestamp


def role_out(r: Role) -> RoleOut:
    # By hand: a grant's ids are sets in the domain, sorted lists under other names on the wire.
    return RoleOut(
        id=r.id or 0,
        name=r.name,
        description=r.description,
        permissions=[
            GrantIo(
                permission=g.permission,
                communication_type_ids=ids(g.type_ids),
                channel_ids=ids(g.channel_ids),
            )
            for g in r.grants
        ],
        create_time=SeedTime(r.create_time),
        update_time=SeedTime(r.update_time),
    )


# The employee's PBX abonent: an extension, a phone or a PBX user id (click-to-call, call events).
Extension = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]


class EmployeeIn(In):
    login: Login
    password: Password
    first_name: Name
    last_name: Name
    middle_name: str | None = None
    department_id: Id | None = None
    email: Email | None = None
    phone: str | None = None
    extension: Extension | None = None
    role_ids: list[Id] = msgspec.field(default_factory=list)
    active: bool = True


EmployeePatch = patch_of(EmployeeIn)


class EmployeeOut(Out):
    id: int
    login: str
    first_name: str
    last_name: str
    middle_name: str | None
    department_id: int | None
    email: str | None
    phone: str | None
    extension: str | None
    role_ids: list[int]
    active: bool
    create_time: Timestamp
    update_time: Timestamp


class ServiceAccountIn(In):
    name: Name
    login: Login
    password: Password
    description: str | None = None
    role_ids: list[Id] = msgspec.field(default_factory=list)
    active: bool = True


ServiceAccountPatch = patch_of(ServiceAccountIn)


class ServiceAccountOut(Out):
    id: int
    name: str
    login: str
    description: str | None
    role_ids: list[int]
    active: bool
    create_time: Timestamp
    update_time: Timestamp
