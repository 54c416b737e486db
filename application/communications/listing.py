"""Finding communications: the filters that combine, the order, offset and cursor pages."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from application.communications.ports import NOT_NULL_SORTABLE, SORTABLE, Keyset, total_order
from application.queries import MAX_OFFSET, MAX_PAGE_SIZE, MAX_SORT_TERMS, Criterion, Field
from application.searches import CommunicationFields
from domain.communications import Communication, CommunicationKind, DeliveryStatus, Direction, LifecycleStatus
from domain.entity import Problems
from domain.errors import FieldError, ValidationFailed


def canonical_uuid(value: str, field: str = "uuid") -> str:
    """The canonical spelling of a UUID given in any common one (upper case, braces, no dashes)."""
    try:
        return str(UUID(value.strip()))
    except (ValueError, AttributeError):
        raise ValidationFailed.field(field, f"not a UUID: {value!r}") from None


@dataclass(frozen=True, kw_only=True)
class CommunicationFilter:
    """Every filter a list may combine (all given ones must hold). Empty tuples mean "any".

    The period (``created_from`` inclusive, ``created_to`` exclusive) is on ``create_time``:
    when a fact happened, or when a planned communication was planned. The planned time has
    its own period, ``scheduled_from`` / ``scheduled_to``.
    """

    type_ids: tuple[int, ...] = ()
    channel_ids: tuple[int, ...] = ()
    client_id: int | None = None
    client_group_id: int | None = None
    statuses: tuple[LifecycleStatus, ...] = ()
    delivery_statuses: tuple[DeliveryStatus, ...] = ()
    department_id: int | None = None
    employee_id: int | None = None
    project_id: int | None = None
    mailing_id: int | None = None
    direction: Direction | None = None
    kind: CommunicationKind | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    scheduled_from: datetime | None = None
    scheduled_to: datetime | None = None
    text: str | None = None
    """Case-blind words in the result."""
    uuids: tuple[str, ...] = ()

    def criteria(self) -> tuple[Criterion, ...]:
        """The filters as criteria on communications (400 naming a period or uuid that is wrong)."""
        problems = Problems()
        # A time given without an offset is read as UTC.
        created_from, created_to, scheduled_from, scheduled_to = (
            None if t is None else t if t.tzinfo is not None else t.replace(tzinfo=UTC)
            for t in (self.created_from, self.created_to, self.scheduled_from, self.scheduled_to)
        )
        for low, high, name in (
            (created_from, created_to, "to"),
            (scheduled_from, scheduled_to, "scheduled_to"),
        ):
            if low is not None and high is not None and high <= low:
                problems.add(name, "must be later than the start of the period")
        uuids = []
        for index, value in enumerate(self.uuids):
            try:
                uuids.append(canonical_uuid(value))
            except ValidationFailed:
                problems.add(f"uuids[{index}]", f"not a UUID: {value!r}")
        problems.raise_if_any()

        f = CommunicationFields
        found: list[Criterion] = []
        many: tuple[tuple[Field[Any], Sequence[object]], ...] = (
            (f.type_id, self.type_ids),
            (f.channel_id, self.channel_ids),
            (f.status, self.statuses),
            (f.delivery_status, self.delivery_statuses),
            (f.uuid, uuids),
        )
        found.extend(field.one_of(values) for field, values in many if values)
        singles: tuple[tuple[Field[Any], object], ...] = (
            (f.client_id, self.client_id),
            (f.client_group_id, self.client_group_id),
            (f.department_id, self.department_id),
            (f.employee_id, self.employee_id),
            (f.project_id, self.project_id),
            (f.mailing_id, self.mailing_id),
            (f.direction, self.direction),
            (f.kind, self.kind),
        )
        found.extend(field.eq(value) for field, value in singles if value is not None)
        periods = (
            (f.create_time.gte, created_from),
            (f.create_time.lt, created_to),
            (f.scheduled_at.gte, scheduled_from),
            (f.scheduled_at.lt, scheduled_to),
        )
        found.extend(bound(moment) for bound, moment in periods if moment is not None)
        if self.text and self.text.strip():
            found.append(f.result.contains(self.text.strip()))
        return tuple(found)


@dataclass(frozen=True, kw_only=True)
class PageRequest:
    """Which page: by ``offset``, or after a ``cursor`` from the previous page (no deep scans)."""

    order_by: tuple[str, ...] = ("-create_time",)
    limit: int = 50
    offset: int = 0
    cursor: str | None = None
    with_total: bool = True
    """Counting every match costs a scan of them all; a cursor walk may not need it."""

    def checked(self) -> PageRequest:
        problems = Problems()
        if not 1 <= self.limit <= MAX_PAGE_SIZE:
            problems.add("limit", f"must be between 1 and {MAX_PAGE_SIZE}")
        if self.offset < 0:
            problems.add("offset", "must not be negative")
        if self.offset > MAX_OFFSET:
            problems.add("offset", f"must be at most {MAX_OFFSET}")
        if len(self.order_by) > MAX_SORT_TERMS:
            problems.add("sort", f"at most {MAX_SORT_TERMS} sort terms")
        unknown = [name for name in self.order_by if name.lstrip("-") not in SORTABLE]
        if unknown:
            known = ", ".join(SORTABLE)
            problems.add("sort", f"cannot sort by {', '.join(unknown)}; use one of {known}")
        problems.raise_if_any()
        return self

    @property
    def order(self) -> tuple[str, ...]:
        return total_order(self.order_by)

    def keyset_key(self) -> str | None:
        """The sort key a cursor carries, or None when this order cannot be walked by cursor."""
        order = self.order
        if order in (("id",), ("-id",)):
            return "id"
        first, second = (*order, "")[:2]
        same_direction = second == ("-id" if first.startswith("-") else "id")
        if len(order) == 2 and same_direction and first.lstrip("-") in NOT_NULL_SORTABLE:
            return first.lstrip("-")
        return None

    def after(self) -> Keyset | None:
        if self.cursor is None:
            return None
        key = self.keyset_key()
        if key is None:
            raise ValidationFailed.field(
                "cursor", f"a cursor needs a sort by one of {', '.join(sorted(NOT_NULL_SORTABLE))}"
            )
        return decode_cursor(self.cursor, key)

    def next_cursor(self, items: Sequence[Communication]) -> str | None:
        key = self.keyset_key()
        if key is None or len(items) < self.limit or not items:
            return None
        last = items[-1]
        assert last.id is not None
        return encode_cursor(key, getattr(last, key), last.id)


def encode_cursor(key: str, value: object, row_id: int) -> str:
    raw = value.isoformat() if isinstance(value, datetime) else value
    text = json.dumps({"k": key, "v": raw, "i": row_id}, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, key: str) -> Keyset:
    refused = ValidationFailed([FieldError("cursor", "not a cursor of this list: start again without it")])
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(data, dict) or data.get("k") != key or not isinstance(data.get("i"), int):
            raise refused
        value: object = data["v"]
        if key == "id":
            if value != data["i"]:
                raise refused
        else:
            value = datetime.fromisoformat(str(value))
            if value.tzinfo is None:
                raise refused
        return Keyset(value=value, id=data["i"])
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, KeyError):
        raise refused from None


@dataclass(frozen=True)
class CommunicationPage:
    """One page of communications, with the cursor to the next."""

    items: list[Communication]
    total: int | None
    limit: int
    offset: int
    next_cursor: str | None
