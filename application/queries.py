"""How use cases ask storage for lists: typed conditions, ordering and a page. Storage-neutral.

A condition names its attribute through a typed ``Field`` declared once per aggregate (see
``application/searches.py``): a misspelt field is a mypy error, or an import-time error when the
declaration names no attribute of the entity.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, Generic, TypeVar

T = TypeVar("T")
V = TypeVar("V")

MAX_PAGE_SIZE = 1000
MAX_OFFSET = 2**63 - 1
"""Storage takes a signed 64-bit OFFSET; beyond it the database fails instead of finding nothing."""
MAX_SORT_TERMS = 8
"""Sort terms a list takes (SQLite refuses an ORDER BY of 2,000 or more; nobody needs a dozen)."""


class Op(StrEnum):
    """The comparisons a condition may make."""

    EQ = "eq"
    NE = "ne"
    IN = "in"
    NOT_IN = "not_in"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    CONTAINS = "contains"
    """Case-insensitive substring match on text."""
    IS_NULL = "is_null"


class Field(Generic[V]):
    """A typed reference to one searchable attribute of an aggregate; builds its conditions.

    Declared as a class attribute of a ``Fields`` set, which gives it its name.
    """

    __slots__ = ("name", "owner")
    relation: ClassVar[bool] = False

    def __init__(self) -> None:
        self.name = ""
        self.owner = ""

    def __set_name__(self, owner: type, name: str) -> None:
        # Only the declaration names the field: a use case that keeps it in a class attribute
        # of its own (``login_field = EmployeeFields.login``) must not rename it.
        if not self.name:
            self.name = name
            self.owner = owner.__name__

    def __repr__(self) -> str:
        return f"{self.owner}.{self.name}"

    def asc(self) -> str:
        """This field, ascending, as a ``Query.order_by`` term."""
        return self.name

    def desc(self) -> str:
        """This field, descending, as a ``Query.order_by`` term."""
        return f"-{self.name}"

    def eq(self, value: V) -> Condition:
        return Condition(self, Op.EQ, value)

    def ne(self, value: V) -> Condition:
        return Condition(self, Op.NE, value)

    def in_(self, values: Iterable[V]) -> Condition:
        return Condition(self, Op.IN, tuple(values))

    def not_in(self, values: Iterable[V]) -> Condition:
        return Condition(self, Op.NOT_IN, tuple(values))

    def one_of(self, values: Sequence[V]) -> Condition:
        """Equality for one value (the form every index and planner handles best), else ``in``."""
        return self.eq(values[0]) if len(values) == 1 else self.in_(values)

    def gt(self, value: V) -> Condition:
        return Condition(self, Op.GT, value)

    def gte(self, value: V) -> Condition:
        return Condition(self, Op.GTE, value)

    def lt(self, value: V) -> Condition:
        return Condition(self, Op.LT, value)

    def lte(self, value: V) -> Condition:
        return Condition(self, Op.LTE, value)

    def contains(self, text: str) -> Condition:
        return Condition(self, Op.CONTAINS, text)

    def is_null(self, null: bool = True) -> Condition:
        return Condition(self, Op.IS_NULL, null)


class Relation(Field[V]):
    """A field that is no attribute of the entity but a relation storage keeps beside it
    (a client's phones, its groups): only ``eq`` and ``in`` apply."""

    __slots__ = ()
    relation: ClassVar[bool] = True


class Fields:
    """The searchable fields of one aggregate. Subclasses set ``entity`` and declare ``Field``s;
    each plain ``Field`` must name an attribute of the entity, checked when the module loads."""

    entity: ClassVar[type]
    id: ClassVar[Field[int]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        attributes = {f.name for f in dataclasses.fields(cls.entity)}
        for name, value in vars(cls).items():
            if isinstance(value, Field) and not value.relation and name not in attributes:
                raise TypeError(f"{cls.__name__}.{name}: {cls.entity.__name__} has no attribute {name!r}")


@dataclass(frozen=True)
class Condition:
    """``field op value``; built through the field (``ClientFields.project_id.eq(3)``)."""

    field: Field[Any]
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


@dataclass(frozen=True)
class Query:
    """Criteria, an order and a page: what a list asks storage for."""

    criteria: tuple[Criterion, ...] = ()
    order_by: tuple[str, ...] = ("id",)
    """Attribute names; a leading ``-`` sorts descending. ``id`` is appended to keep pages stable.
    A use case writes them from field references (``ChannelFields.id.asc()``); a list route
    passes the terms it was asked for, checked against what the resource can sort by."""
    limit: int = 50
    offset: int = 0

    def where(self, *criteria: Criterion) -> Query:
        return Query(self.criteria + criteria, self.order_by, self.limit, self.offset)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list, with the total of all matches."""

    items: Sequence[T]
    total: int
    limit: int
    offset: int = 0
    extra: dict[str, object] = field(default_factory=dict)
