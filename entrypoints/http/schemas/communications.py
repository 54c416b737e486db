"""Communications at the edge: request bodies, answers and the list filters (seed 002)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import UNSET, UnsetType

from application.communications.bulk import BulkOutcome, BulkStatusChange
from application.communications.listing import CommunicationFilter, CommunicationPage, PageRequest
from application.communications.records import NewCommunication, PrimaryInfo
from application.queries import MAX_PAGE_SIZE
from domain.catalog import Channel, ChannelKind
from domain.communications import (
    Communication,
    CommunicationKind,
    DeliveryStatus,
    Direction,
    IdTranslation,
    LifecycleStatus,
    StatusChange,
)
from domain.errors import ValidationFailed
from entrypoints.http.schemas.common import In, Out, Timestamp, aware, iso, stamp

# Ids of rows a communication points at are 32-bit in storage; larger ones can name nothing.
RefId = Annotated[int, msgspec.Meta(ge=1, le=2_147_483_647)]
CommunicationId = Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)]
Text = Annotated[str, msgspec.Meta(max_length=100_000)]
Subject = Annotated[str, msgspec.Meta(max_length=1000)]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=10_000)]
Uuid = Annotated[
    str, msgspec.Meta(min_length=32, max_length=38, examples=["0d7c3f6e-2b1a-4c5d-9e8f-7a6b5c4d3e2f"])
]
System = Annotated[str, msgspec.Meta(min_length=1, max_length=64, examples=["oracle"])]
ExternalId = Annotated[str, msgspec.Meta(min_length=1, max_length=255, examples=["1-2F3K9"])]

# Seed 002's names of the lifecycle statuses, for front ends.
STATUS_NAMES: dict[LifecycleStatus, str] = {
    LifecycleStatus.CREATED: "Создана",
    LifecycleStatus.IN_PROGRESS: "В работе",
    LifecycleStatus.DONE: "Выполнена",
    LifecycleStatus.CANCELLED: "Отменена",
    LifecycleStatus.FAILED: "Аут",
}


def _moment(value: datetime | None) -> datetime | None:
    return None if value is None else aware(value)


# --- requests -------------------------------------------------------------------------------


class CommunicationIn(In):
    kind: CommunicationKind
    """fact: happening now (starts in_progress); planned: to happen later (starts created)."""
    direction: Direction
    communication_type_id: RefId
    channel_id: RefId
    """The communication method: any channel, calls and visits included."""
    uuid: Uuid | None = None
    """Your own uuid for it; one is generated when absent."""
    client_id: RefId | None = None
    employee_id: RefId | None = None
    """Defaults to the calling employee."""
    department_id: RefId | None = None
    """Defaults to the employee's department."""
    project_id: RefId | None = None
    document_id: RefId | None = None
    subject: Subject | None = None
    content: Text | None = None
    scheduled_at: datetime | None = None

    def to_command(self) -> NewCommunication:
        return NewCommunication(
            kind=self.kind,
            direction=self.direction,
            type_id=self.communication_type_id,
            channel_id=self.channel_id,
            uuid=self.uuid,
            client_id=self.client_id,
            employee_id=self.employee_id,
            department_id=self.department_id,
            project_id=self.project_id,
            document_id=self.document_id,
            subject=self.subject,
            content=self.content,
            scheduled_at=_moment(self.scheduled_at),
        )


class CommunicationPatch(In):
    """The fields to change; absent ones stay, null clears. Status moves through the actions."""

    communication_type_id: RefId | UnsetType = UNSET
    channel_id: RefId | UnsetType = UNSET
    client_id: RefId | None | UnsetType = UNSET
    employee_id: RefId | None | UnsetType = UNSET
    department_id: RefId | None | UnsetType = UNSET
    project_id: RefId | None | UnsetType = UNSET
    document_id: RefId | None | UnsetType = UNSET
    subject: Subject | None | UnsetType = UNSET
    content: Text | None | UnsetType = UNSET
    scheduled_at: datetime | None | UnsetType = UNSET
    result: Text | None | UnsetType = UNSET

    renames = {"communication_type_id": "type_id"}  # noqa: RUF012
    converters = {"scheduled_at": aware}  # noqa: RUF012


class CloseIn(In):
    result: Text | None = None


class FailIn(In):
    reason: Reason
    """What was attempted and why it did not happen (e.g. "no answer after 3 calls")."""


class CancelIn(In):
    reason: Reason | None = None


class FilterFields(In):
    """The list filters as a JSON body (POST /v3/collections/communications)."""

    communication_type_id: list[RefId] = msgspec.field(default_factory=list)
    channel_id: list[RefId] = msgspec.field(default_factory=list)
    client_id: RefId | None = None
    client_group_id: RefId | None = None
    status: list[LifecycleStatus] = msgspec.field(default_factory=list)
    delivery_status: list[DeliveryStatus] = msgspec.field(default_factory=list)
    department_id: RefId | None = None
    employee_id: RefId | None = None
    project_id: RefId | None = None
    mailing_id: RefId | None = None
    direction: Direction | None = None
    kind: CommunicationKind | None = None
    date_from: datetime | None = msgspec.field(default=None, name="from")
    date_to: datetime | None = msgspec.field(default=None, name="to")
    scheduled_from: datetime | None = None
    scheduled_to: datetime | None = None
    q: Annotated[str, msgspec.Meta(max_length=255)] | None = None
    """Words in the result, case-blind."""
    uuids: Annotated[
        list[Annotated[str, msgspec.Meta(max_length=64)]], msgspec.Meta(max_length=MAX_PAGE_SIZE)
    ] = msgspec.field(default_factory=list)


class CollectionQuery(FilterFields):
    limit: Annotated[int, msgspec.Meta(ge=1, le=MAX_PAGE_SIZE)] = 50
    offset: Annotated[int, msgspec.Meta(ge=0)] = 0
    cursor: Annotated[str, msgspec.Meta(max_length=512)] | None = None
    sort: Annotated[str, msgspec.Meta(max_length=255)] | None = None
    with_total: bool = True

    def page(self) -> PageRequest:
        return page_request(self.limit, self.offset, self.cursor, self.sort, self.with_total)


def filters_of(f: FilterFields) -> CommunicationFilter:
    return CommunicationFilter(
        type_ids=tuple(f.communication_type_id),
        channel_ids=tuple(f.channel_id),
        client_id=f.client_id,
        client_group_id=f.client_group_id,
        statuses=tuple(f.status),
        delivery_statuses=tuple(f.delivery_status),
        department_id=f.department_id,
        employee_id=f.employee_id,
        project_id=f.project_id,
        mailing_id=f.mailing_id,
        direction=f.direction,
        kind=f.kind,
        created_from=_moment(f.date_from),
        created_to=_moment(f.date_to),
        scheduled_from=_moment(f.scheduled_from),
        scheduled_to=_moment(f.scheduled_to),
        text=f.q,
        uuids=tuple(f.uuids),
    )


# Sort keys as the answers name them, where that differs from the domain's attribute.
SORT_ALIASES = {"date_start": "started_at", "date_finish": "finished_at"}


def page_request(
    limit: int, offset: int, cursor: str | None, sort: str | None, with_total: bool
) -> PageRequest:
    order = tuple(_sort_key(s.strip()) for s in (sort or "").split(",") if s.strip())
    return PageRequest(
        order_by=order or ("-create_time",), limit=limit, offset=offset, cursor=cursor, with_total=with_total
    )


def _sort_key(name: str) -> str:
    sign = "-" if name.startswith("-") else ""
    snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in name.lstrip("-"))
    return sign + SORT_ALIASES.get(snake, snake)


class BulkStatusIn(In):
    """Name exactly one scope: a communication (id or uuid), a department, a client, a group, or all."""

    status: LifecycleStatus
    communication_id: CommunicationId | None = None
    uuid: Uuid | None = None
    department_id: RefId | None = None
    client_id: RefId | None = None
    client_group_id: RefId | None = None
    all: bool = False
    only_statuses: list[LifecycleStatus] = msgspec.field(default_factory=list)
    """Touch only communications now in one of these statuses."""
    reason: Reason | None = None
    """Required to fail; noted when cancelling."""
    result: Text | None = None
    """Written when closing (done)."""

    def to_command(self) -> BulkStatusChange:
        if self.communication_id is not None and self.uuid is not None:
            raise ValidationFailed.field("uuid", "give communicationId or uuid, not both")
        return BulkStatusChange(
            status=self.status,
            communication=self.communication_id if self.communication_id is not None else self.uuid,
            department_id=self.department_id,
            client_id=self.client_id,
            client_group_id=self.client_group_id,
            everything=self.all,
            only_statuses=tuple(self.only_statuses),
            reason=self.reason,
            result=self.result,
        )


class TranslationIn(In):
    """Links a communication (by uuid or id) to its id in another system."""

    system: System
    external_id: ExternalId
    uuid: Uuid | None = None
    communication_id: CommunicationId | None = None

    def communication(self) -> int | str:
        if (self.uuid is None) == (self.communication_id is None):
            raise ValidationFailed.field("uuid", "give the communication's uuid or its communicationId")
        return self.communication_id if self.communication_id is not None else str(self.uuid)


# --- answers --------------------------------------------------------------------------------


class ExternalIdOut(Out):
    system: str
    external_id: str


class CommunicationOut(Out):
    """The full info model of a communication."""

    id: int
    uuid: str
    kind: CommunicationKind
    direction: Direction
    status: LifecycleStatus
    delivery_status: DeliveryStatus | None
    communication_type_id: int
    channel_id: int
    client_id: int | None
    employee_id: int | None
    department_id: int | None
    project_id: int | None
    mailing_id: int | None
    document_id: int | None
    subject: str | None
    content: str | None
    scheduled_at: Timestamp | None
    date_start: Timestamp | None
    date_finish: Timestamp | None
    """Set when done (seed 002: "Выполнена" is `date_finish is not null`)."""
    is_cancelled: bool
    is_failed: bool
    result: str | None
    failure_reason: str | None
    provider: str | None
    provider_message_id: str | None
    attempts: int
    create_time: Timestamp
    update_time: Timestamp
    external_ids: list[ExternalIdOut] | UnsetType = UNSET
    """Its ids in other systems (single-communication answers only)."""


def communication_out(c: Communication, external_ids: list[IdTranslation] | None = None) -> CommunicationOut:
    return CommunicationOut(
        id=c.id or 0,
        uuid=c.uuid,
        kind=c.kind,
        direction=c.direction,
        status=c.status,
        delivery_status=c.delivery_status,
        communication_type_id=c.type_id,
        channel_id=c.channel_id,
        client_id=c.client_id,
        employee_id=c.employee_id,
        department_id=c.department_id,
        project_id=c.project_id,
        mailing_id=c.mailing_id,
        document_id=c.document_id,
        subject=c.subject,
        content=c.content,
        scheduled_at=iso(c.scheduled_at),
        date_start=iso(c.started_at),
        date_finish=iso(c.finished_at),
        is_cancelled=c.status is LifecycleStatus.CANCELLED,
        is_failed=c.status is LifecycleStatus.FAILED,
        result=c.result,
        failure_reason=c.failure_reason,
        provider=c.provider,
        provider_message_id=c.provider_message_id,
        attempts=c.attempts,
        create_time=stamp(c.create_time),
        update_time=stamp(c.update_time),
        external_ids=UNSET
        if external_ids is None
        else [ExternalIdOut(system=t.system, external_id=t.external_id) for t in external_ids],
    )


class CommunicationShortOut(Out):
    """The short info model (``GET /v2/communications/{uuid}?model=short``)."""

    id: int
    uuid: str
    kind: CommunicationKind
    direction: Direction
    status: LifecycleStatus
    communication_type_id: int
    channel_id: int
    client_id: int | None
    create_time: Timestamp


def short_out(c: Communication) -> CommunicationShortOut:
    return CommunicationShortOut(
        id=c.id or 0,
        uuid=c.uuid,
        kind=c.kind,
        direction=c.direction,
        status=c.status,
        communication_type_id=c.type_id,
        channel_id=c.channel_id,
        client_id=c.client_id,
        create_time=stamp(c.create_time),
    )


class NamedRef(Out):
    id: int
    code: str | None
    name: str


class PrimaryInfoOut(Out):
    """What a front end shows at a glance."""

    uuid: str
    id: int
    kind: CommunicationKind
    direction: Direction
    status: LifecycleStatus
    status_name: str
    type: NamedRef | None
    method: NamedRef | None
    client: NamedRef | None
    employee: NamedRef | None
    subject: str | None
    scheduled_at: Timestamp | None
    date_start: Timestamp | None
    date_finish: Timestamp | None
    result: str | None
    create_time: Timestamp


def primary_info_out(info: PrimaryInfo) -> PrimaryInfoOut:
    c = info.communication
    return PrimaryInfoOut(
        uuid=c.uuid,
        id=c.id or 0,
        kind=c.kind,
        direction=c.direction,
        status=c.status,
        status_name=STATUS_NAMES[c.status],
        type=None
        if info.type is None
        else NamedRef(id=info.type.id or 0, code=info.type.code, name=info.type.name),
        method=None
        if info.channel is None
        else NamedRef(id=info.channel.id or 0, code=info.channel.code, name=info.channel.name),
        client=None
        if info.client is None
        else NamedRef(id=info.client.id or 0, code=info.client.guid, name=info.client.full_name),
        employee=None
        if info.employee is None
        else NamedRef(id=info.employee.id or 0, code=info.employee.login, name=info.employee.full_name),
        subject=c.subject,
        scheduled_at=iso(c.scheduled_at),
        date_start=iso(c.started_at),
        date_finish=iso(c.finished_at),
        result=c.result,
        create_time=stamp(c.create_time),
    )


class CommunicationPageOut(Out):
    items: list[CommunicationOut]
    total: int | None
    """All matches; null when asked for withTotal=false."""
    limit: int
    offset: int
    next_cursor: str | None
    """Pass as ``cursor`` for the next page; null on the last page or for a sort without cursors."""


def page_out(page: CommunicationPage) -> CommunicationPageOut:
    return CommunicationPageOut(
        items=[communication_out(c) for c in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
        next_cursor=page.next_cursor,
    )


class HistoryEntryOut(Out):
    field: str
    """status (lifecycle), delivery_status, or edit (the changed fields are in note)."""
    from_status: str | None = msgspec.field(name="from")
    to_status: str = msgspec.field(name="to")
    at: Timestamp
    actor: str | None
    """Who: employee:5, service_account:2, provider:twilio…"""
    note: str | None


class HistoryOut(Out):
    uuid: str
    items: list[HistoryEntryOut]


def history_out(c: Communication, entries: list[StatusChange]) -> HistoryOut:
    return HistoryOut(
        uuid=c.uuid,
        items=[
            HistoryEntryOut(
                field=h.field,
                from_status=h.from_status,
                to_status=h.to_status,
                at=stamp(h.at),
                actor=h.actor,
                note=h.note,
            )
            for h in entries
        ],
    )


class RefusalOut(Out):
    id: int
    uuid: str
    status: LifecycleStatus
    """Its status, unchanged."""
    reason: str


class BulkOutcomeOut(Out):
    matched: int
    changed: int
    unchanged: int
    """Already in the requested status."""
    refused: list[RefusalOut]


def bulk_out(outcome: BulkOutcome) -> BulkOutcomeOut:
    return BulkOutcomeOut(
        matched=outcome.matched,
        changed=outcome.changed,
        unchanged=outcome.unchanged,
        refused=[
            RefusalOut(id=r.communication_id, uuid=r.uuid, status=r.status, reason=r.reason)
            for r in outcome.refused
        ],
    )


class TranslationOut(Out):
    id: int
    communication_id: int
    uuid: str
    system: str
    external_id: str
    create_time: Timestamp


def translation_out(t: IdTranslation) -> TranslationOut:
    return TranslationOut(
        id=t.id or 0,
        communication_id=t.communication_id,
        uuid=t.communication_uuid,
        system=t.system,
        external_id=t.external_id,
        create_time=stamp(t.create_time),
    )


class MethodOut(Out):
    id: int
    code: str
    name: str
    description: str | None
    kind: ChannelKind
    dispatchable: bool
    """Sent through a provider (SMS, email…); calls and visits are only recorded."""
    active: bool


def method_out(c: Channel) -> MethodOut:
    return MethodOut(
        id=c.id or 0,
        code=c.code,
        name=c.name,
        description=c.description,
        kind=c.kind,
        dispatchable=c.dispatchable,
        active=c.active,
    )


class MethodsOut(Out):
    items: list[MethodOut]
    total: int
