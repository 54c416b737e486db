"""Projects, clients, client groups, channel blocks and bookings at the edge (canonical /api/v1).

The legacy contracts' shapes of the same resources are in ``crm_prototype`` and
``mailing_service``; they reuse the field types declared here.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import msgspec
from msgspec import UNSET, UnsetType

from application.clients import Membership
from domain.clients import BookingState, Client
from domain.errors import ValidationFailed
from entrypoints.http.schemas.common import Code, Id, In, Name, Out, aware, patch_of
from entrypoints.http.schemas.organisation import Email
from entrypoints.http.schemas.telegram import TelegramLinkOut
from entrypoints.http.schemas.times import Timestamp, answer

Phone = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=64,
        description="any common notation; stored in E.164",
        examples=["8 (495) 123-45-67", "+74951234567"],
    ),
]
Tag = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Text = Annotated[str, msgspec.Meta(max_length=255)]
LongText = Annotated[str, msgspec.Meta(max_length=2000)]
Language = Annotated[str, msgspec.Meta(min_length=2, max_length=16, examples=["ru", "en-US"])]
TimeZone = Annotated[str, msgspec.Meta(min_length=1, max_length=64, examples=["Europe/Moscow"])]
Guid = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
SocialMedia = dict[Annotated[str, msgspec.Meta(max_length=64)], Annotated[str, msgspec.Meta(max_length=255)]]
BirthDate = Annotated[
    str,
    msgspec.Meta(
        description="a date, or a date-time whose calendar date is taken",
        examples=["1995-06-02", "1995-06-02T00:00:00Z"],
    ),
]
Moment = Annotated[datetime, msgspec.Meta(examples=["2026-06-02T00:00:00Z"])]


def parse_birth_date(text: str) -> date:
    """``1995-06-02`` or ``1995-06-02T00:00:00Z`` (the seed's form): the calendar date as written."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text).date()
    except ValueError:
        raise ValidationFailed.field("birthDate", f"{text!r} is not a date") from None


# -- projects ------------------------------------------------------------------------------


class ProjectIn(In):
    name: Name
    code: Code


ProjectPatch = patch_of(ProjectIn)


class ProjectOut(Out):
    id: int
    name: str
    code: str
    create_time: Timestamp
    update_time: Timestamp


# -- clients -------------------------------------------------------------------------------


class ClientIn(In):
    first_name: Name | None = None
    last_name: Name | None = None
    middle_name: Name | None = None
    birth_date: BirthDate | None = None
    phones: list[Phone] = msgspec.field(default_factory=list)
    email: Email | None = None
    social_media: SocialMedia | None = None
    language: Language | None = None
    time_zone: TimeZone | None = None
    available: bool = True
    project_id: Id | None = None
    guid: Guid | None = None
    tags: list[Tag] = msgspec.field(default_factory=list)

    converters = {"birth_date": parse_birth_date}  # noqa: RUF012


ClientPatch = patch_of(ClientIn)


class ClientOut(Out):
    id: int
    first_name: str | None
    last_name: str | None
    middle_name: str | None
    birth_date: date | None
    phones: list[str]
    email: str | None
    social_media: dict[str, str] | None
    language: str | None
    time_zone: str | None
    available: bool
    project_id: int | None
    guid: str | None
    tags: list[str]
    create_time: Timestamp
    update_time: Timestamp


class ClientDetailOut(ClientOut):
    """One client (GET /api/v1/clients/{key}): the list's fields and the Telegram link state."""

    telegram: TelegramLinkOut | None
    """Whether a chat is linked, and the pending deep-link code and URL; null with no bot configured."""


def client_detail_out(c: Client, telegram: TelegramLinkOut | None) -> ClientDetailOut:
    return ClientDetailOut(**msgspec.structs.asdict(answer(c, ClientOut)), telegram=telegram)


class AvailabilityOut(Out):
    client_id: int
    available: bool
    reasons: list[str]
    """Why not, when not: the client's opt-in, bookings held by others."""


# -- client groups -------------------------------------------------------------------------


class ClientGroupIn(In):
    name: Name
    description: LongText | None = None


ClientGroupPatch = patch_of(ClientGroupIn)


class ClientGroupOut(Out):
    id: int
    name: str
    description: str | None
    create_time: Timestamp
    update_time: Timestamp


class MembersIn(In):
    client_ids: Annotated[list[Id], msgspec.Meta(min_length=1, max_length=10_000)]


class MembersOut(Out):
    group_id: int
    changed: int
    """How many clients were added (or removed) by this request."""
    members: int
    """How many members the group has now."""


def members_out(m: Membership) -> MembersOut:
    # By hand: the answer names the group by id; the use case hands back the whole group.
    return MembersOut(group_id=m.group.id or 0, changed=m.changed, members=m.members)


# -- channel blocks ------------------------------------------------------------------------


class ChannelBlockIn(In):
    client_id: Id
    channel_id: Id
    until: Moment | None = None
    """Leave out (or null) to block for ever."""
    reason: LongText | None = None

    converters = {"until": aware}  # noqa: RUF012


ChannelBlockPatch = patch_of(ChannelBlockIn, without=("client_id", "channel_id"))


class ChannelBlockOut(Out):
    id: int
    client_id: int
    channel_id: int
    until: Timestamp | None
    permanent: bool
    reason: str | None
    create_time: Timestamp
    update_time: Timestamp


# -- bookings ------------------------------------------------------------------------------


class BookingIn(In):
    client_id: Id
    before_date: Moment
    name: Text | None = None
    department_id: Id | None = None
    employee_id: Id | None = None
    """The owner: an employee (their department is filled in), or a department alone."""

    converters = {"before_date": aware}  # noqa: RUF012


class BookingPatch(In):
    before_date: Moment | UnsetType = UNSET
    name: Text | None | UnsetType = UNSET
    status: BookingState | UnsetType = UNSET
    """``released`` releases the booking, ``booked`` takes it again; ``expired`` comes by itself."""

    converters = {"before_date": aware}  # noqa: RUF012


class BookingOut(Out):
    id: int
    client_id: int
    name: str | None
    before_date: Timestamp
    status: BookingState
    """Code of the booking status dictionary: booked, released or expired."""
    department_id: int | None
    employee_id: int | None
    create_time: Timestamp
    update_time: Timestamp


class ExpiredOut(Out):
    expired: int
