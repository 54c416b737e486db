"""Lists of communications: the filters (as a JSON body), the page asked for, and the page answered."""

from __future__ import annotations

import dataclasses
import types
from typing import Annotated, Any, Union, get_args, get_origin, get_type_hints

import msgspec

from application.communications.listing import CommunicationFilter, CommunicationPage, PageRequest
from application.queries import MAX_OFFSET, MAX_PAGE_SIZE
from entrypoints.http.schemas.common import In, Out, sort_field
from entrypoints.http.schemas.communications.fields import RefId
from entrypoints.http.schemas.communications.records import CommunicationOut, communication_out
from entrypoints.http.wire_names import camel_with

# The filters are the application's CommunicationFilter fields, in its order; the edge adds only
# its wire names, its limits (ids that fit storage, bounded texts and lists) and its help texts.
FILTER_WIRE_NAMES = {
    "type_ids": "communication_type_id",
    "channel_ids": "channel_id",
    "statuses": "status",
    "delivery_statuses": "delivery_status",
    "created_from": "from",
    "created_to": "to",
    "text": "q",
}
FILTER_HELP = {
    "type_ids": "one or more type ids",
    "channel_ids": "one or more channel (method) ids",
    "statuses": "lifecycle statuses",
    "created_from": "created at or after (ISO 8601)",
    "created_to": "created before (ISO 8601)",
    "text": "words in the result",
    "uuids": "one or more uuids",
}
UuidText = Annotated[str, msgspec.Meta(max_length=64)]


def _edge_type(hint: Any) -> Any:
    """The application's type of a filter as a body states it: tuples are lists, ids are bounded."""
    if get_origin(hint) is tuple:
        item = get_args(hint)[0]
        if item is str:  # uuids: one page of them at the most
            return Annotated[list[UuidText], msgspec.Meta(max_length=MAX_PAGE_SIZE)]
        return list[RefId] if item is int else list[item]
    if hint == int | None:
        return RefId | None
    if hint == str | None:
        return Annotated[str, msgspec.Meta(max_length=255)] | None
    return hint


def _filter_field(field: dataclasses.Field[Any], hint: Any) -> tuple[str, Any, Any]:
    edge = _edge_type(hint)
    if field.name in FILTER_HELP:
        help_text = msgspec.Meta(description=FILTER_HELP[field.name])
        # On the value, not around its "| None", where a schema would lose the value's limits.
        optional = get_origin(edge) is Union or isinstance(edge, types.UnionType)
        edge = Annotated[get_args(edge)[0], help_text] | None if optional else Annotated[edge, help_text]
    default: Any = msgspec.field(default_factory=list) if get_origin(hint) is tuple else None
    return field.name, edge, default


_FILTER_HINTS = get_type_hints(CommunicationFilter)
FILTER_FIELDS = [_filter_field(f, _FILTER_HINTS[f.name]) for f in dataclasses.fields(CommunicationFilter)]

FilterFields = msgspec.defstruct(
    "FilterFields", FILTER_FIELDS, bases=(In,), rename=camel_with(FILTER_WIRE_NAMES), module=__name__
)
"""The list filters as a JSON body, and (through ``query_form``) as a query string."""


NEXT_CURSOR = "nextCursor of the previous page"


class PageFields(In):
    """The page asked for: as a query string, or after the filters in a ``/v3/collections`` body."""

    limit: Annotated[int, msgspec.Meta(ge=1, le=MAX_PAGE_SIZE, description="page size")] = 50
    offset: Annotated[int, msgspec.Meta(ge=0, le=MAX_OFFSET, description="items to skip")] = 0
    cursor: Annotated[str, msgspec.Meta(max_length=512, description=NEXT_CURSOR)] | None = None
    sort: (
        Annotated[
            str,
            msgspec.Meta(
                max_length=255,
                description="createTime (default -createTime), updateTime, scheduledAt, dateStart, "
                "dateFinish or id; a leading '-' sorts descending",
            ),
        ]
        | None
    ) = None
    with_total: Annotated[bool, msgspec.Meta(description="count all matches")] = True


def _default(field: msgspec.structs.FieldInfo) -> Any:
    if field.default is msgspec.NODEFAULT:
        return msgspec.field(default_factory=field.default_factory)
    return field.default


CollectionQuery = msgspec.defstruct(
    "CollectionQuery",
    [*FILTER_FIELDS, *((f.name, f.type, _default(f)) for f in msgspec.structs.fields(PageFields))],
    bases=(In,),
    rename=camel_with(FILTER_WIRE_NAMES),
    module=__name__,
)
"""The body of ``/v3/collections/communications``: the filters and the page, side by side."""


def filters_of(given: Any) -> CommunicationFilter:
    """The application's filter from the body or query form (same attribute names)."""
    return msgspec.convert(given, CommunicationFilter, from_attributes=True)


def page_of(given: Any) -> PageRequest:
    return page_request(given.limit, given.offset, given.cursor, given.sort, given.with_total)


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
    # By hand: each item goes through communication_out (its shape differs from the entity's).
    return CommunicationPageOut(
        items=[communication_out(c) for c in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
        next_cursor=page.next_cursor,
    )
