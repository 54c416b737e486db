"""Lists of communications: the filters (as a JSON body), the page asked for, and the page answered."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from application.communications.listing import CommunicationFilter, CommunicationPage, PageRequest
from application.queries import MAX_OFFSET, MAX_PAGE_SIZE
from domain.communications import CommunicationKind, DeliveryStatus, Direction, LifecycleStatus
from entrypoints.http.schemas.common import In, Out, sort_field
from entrypoints.http.schemas.communications.fields import RefId, moment
from entrypoints.http.schemas.communications.records import CommunicationOut, communication_out


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
    offset: Annotated[int, msgspec.Meta(ge=0, le=MAX_OFFSET)] = 0
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
        created_from=moment(f.date_from),
        created_to=moment(f.date_to),
        scheduled_from=moment(f.scheduled_from),
        scheduled_to=moment(f.scheduled_to),
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
    field = sort_field(name)
    sign = "-" if field.startswith("-") else ""
    return sign + SORT_ALIASES.get(field.lstrip("-"), field.lstrip("-"))


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
