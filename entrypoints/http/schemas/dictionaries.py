"""Communication types, channels, documents and rules at the edge, plus seed 000's dictionary shapes."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from domain.dictionaries import Channel, ChannelKind, CommunicationType, DocumentKind
from domain.rules import QuietHours, QuietHoursPolicy, Rule
from entrypoints.http.schemas.common import (
    ClockTime,
    Code,
    Id,
    In,
    Name,
    Out,
    Weekday,
    clock_time,
    patch_of,
)
from entrypoints.http.schemas.times import SeedTime, Timestamp

Description = Annotated[str, msgspec.Meta(max_length=2000)]
Subject = Annotated[str, msgspec.Meta(max_length=1000)]
Body = Annotated[str, msgspec.Meta(max_length=100_000)]
MediaUrl = Annotated[str, msgspec.Meta(max_length=2000, pattern=r"^https?://\S+$")]
Locale = Annotated[str, msgspec.Meta(max_length=16, pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")]
Count = Annotated[int, msgspec.Meta(ge=0)]
EVERY_DAY = [0, 1, 2, 3, 4, 5, 6]


# -- communication types -------------------------------------------------------------------


class CommunicationTypeIn(In):
    name: Name
    code: Code
    description: Description | None = None
    active: bool = True


CommunicationTypePatch = patch_of(CommunicationTypeIn)


class CommunicationTypeOut(Out):
    id: int
    name: str
    code: str
    description: str | None
    active: bool
    create_time: Timestamp
    update_time: Timestamp


# -- channels -------------------------------------------------------------------------------


class ChannelIn(In):
    name: Name
    code: Code
    kind: ChannelKind
    description: Description | None = None
    dispatchable: bool = False
    active: bool = True


ChannelPatch = patch_of(ChannelIn)


class ChannelOut(Out):
    id: int
    name: str
    code: str
    kind: ChannelKind
    description: str | None
    dispatchable: bool
    active: bool
    create_time: Timestamp
    update_time: Timestamp


# -- documents ------------------------------------------------------------------------------


class DocumentIn(In):
    name: Name
    kind: DocumentKind = DocumentKind.TEXT
    subject: Subject | None = None
    body: Body | None = None
    media_url: MediaUrl | None = None
    locale: Locale | None = None


DocumentPatch = patch_of(DocumentIn)


class DocumentOut(Out):
    id: int
    name: str
    kind: DocumentKind
    subject: str | None
    body: str | None
    media_url: str | None
    locale: str | None
    create_time: Timestamp
    update_time: Timestamp


# -- rules ----------------------------------------------------------------------------------


class QuietHoursIo(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """No sending from ``start`` to ``end`` in the client's local time; ``22:00``–``08:00`` wraps."""

    start: ClockTime
    end: ClockTime
    policy: Literal["defer", "drop"] = "defer"
    """``defer`` holds a message to the next allowed minute; ``drop`` refuses it (reason quiet_hours)."""


def to_quiet_hours(q: QuietHoursIo) -> QuietHours:
    return QuietHours(clock_time(q.start), clock_time(q.end), QuietHoursPolicy(q.policy))


class RuleIn(In):
    department_id: Id
    name: Name
    allowed_type_ids: list[Id] = msgspec.field(default_factory=list)
    """Empty allows every type."""
    allowed_channel_ids: list[Id] = msgspec.field(default_factory=list)
    """Empty allows every channel."""
    channel_priority: list[Id] = msgspec.field(default_factory=list)
    quiet_hours: QuietHoursIo | None = None
    allowed_weekdays: list[Weekday] = msgspec.field(default_factory=lambda: list(EVERY_DAY))
    max_per_day: Count | None = None
    max_per_week: Count | None = None
    min_interval_minutes: Count | None = None
    auto_select: bool = False
    active: bool = True

    converters = {"quiet_hours": to_quiet_hours}  # noqa: RUF012


RulePatch = patch_of(RuleIn)


class RuleOut(Out):
    id: int
    department_id: int
    name: str
    allowed_type_ids: list[int]
    allowed_channel_ids: list[int]
    channel_priority: list[int]
    quiet_hours: QuietHoursIo | None
    allowed_weekdays: list[int]
    max_per_day: int | None
    max_per_week: int | None
    min_interval_minutes: int | None
    auto_select: bool
    active: bool
    create_time: Timestamp
    update_time: Timestamp


def rule_out(r: Rule) -> RuleOut:
    # By hand: the API writes quiet hours as HH:MM; msgspec would add the seconds.
    quiet = r.quiet_hours
    return RuleOut(
        id=r.id or 0,
        department_id=r.department_id,
        name=r.name,
        allowed_type_ids=list(r.allowed_type_ids),
        allowed_channel_ids=list(r.allowed_channel_ids),
        channel_priority=list(r.channel_priority),
        quiet_hours=None
        if quiet is None
        else QuietHoursIo(
            start=quiet.start.isoformat("minutes"),
            end=quiet.end.isoformat("minutes"),
            policy=quiet.policy.value,
        ),
        allowed_weekdays=list(r.allowed_weekdays),
        max_per_day=r.max_per_day,
        max_per_week=r.max_per_week,
        min_interval_minutes=r.min_interval_minutes,
        auto_select=r.auto_select,
        active=r.active,
        create_time=SeedTime(r.create_time),
        update_time=SeedTime(r.update_time),
    )


# -- seed 000, examples 1 and 2: bare arrays with the seed's own field names ------------------
# By hand below: the seed names the id after the dictionary (communicationTypeId), not ``id``.


class SeedCommunicationType(Out):
    communication_type_id: int
    name: str
    description: str | None


def seed_communication_type(t: CommunicationType) -> SeedCommunicationType:
    return SeedCommunicationType(communication_type_id=t.id or 0, name=t.name, description=t.description)


class SeedSendChannelType(Out):
    send_channel_type_id: int
    name: str
    description: str | None


def seed_send_channel_type(c: Channel) -> SeedSendChannelType:
    return SeedSendChannelType(send_channel_type_id=c.id or 0, name=c.name, description=c.description)
