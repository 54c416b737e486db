"""How use cases ask storage for lists: conditions, ordering and a page. Storage-neutral."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, TypeVar

T = TypeVar("T")

MAX_PAGE_SIZE = 1000
MAX_OFFSET = 2**63 - 1
"""Storage takes a signed 64-bit OFFSET; beyond it the database fails instead of finding nothing."""
MAX_SORT_TERMS = 8
"""Sort terms a list takes (SQLite refuses an ORDER BY of 2,000 or more; nobody needs a dozen)."""


class Op(StrEnum):
    EQ = "eq"
    NE = "ne"
    IN = "in"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    CONTAINS = "contains"
    """Case-insensitive substring match on text."""
    IS_NULL = "is_null"


@dataclass(frozen=True)
class Condition:
    """``field op value`` on an entity attribute, or on a virtual field a repository documents."""

    field: str
    op: Op
    value: object = None


@dataclass(frozen=True)
class AnyOf:
    """True when at least one of its conditions is: a free-text search over several fields."""

    conditions: tuple[Condition, ...]


Criterion = Condition | AnyOf


class Filters:
    """The criteria a caller's filter parameters asked for (a plain class: frameworks pass it as is)."""

    __slots__ = ("criteria",)

    def __init__(self, *criteria: Criterion) -> None:
        self.criteria = criteria


def eq(field_name: str, value: object) -> Condition:
    return Condition(field_name, Op.EQ, value)


@dataclass(frozen=True)
class Query:
    criteria: tuple[Criterion, ...] = ()
    order_by: tuple[str, ...] = ("id",)
    """Attribute names; a leading ``-`` sorts descending. ``id`` is appended to keep pages stable."""
    limit: int = 50
    offset: int = 0

    def where(self, *criteria: Criterion) -> Query:
        return Query(self.criteria + criteria, self.order_by, self.limit, self.offset)


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    total: int
    limit: int
    offset: int = 0
    extra: dict[str, object] = field(default_factory=dict)
