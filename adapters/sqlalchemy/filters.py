"""Turns storage-neutral criteria into SQL, with the same meaning as the in-memory fake."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from application.queries import AnyOf, Condition, Criterion, Op

RelationFilter = Callable[[Condition], sa.ColumnElement[bool]]
"""The SQL of a condition on a ``Relation`` field (kept in another table or inside a JSON list)."""


class fold(FunctionElement[str]):  # noqa: N801 - an SQL function name
    """Unicode case folding: PostgreSQL's lower() knows Cyrillic; on SQLite a Python function does."""

    type = sa.String()
    inherit_cache = True
    name = "fold"


@compiles(fold)
def _fold_default(element: fold, compiler: SQLCompiler, **kw: Any) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(fold, "sqlite")
def _fold_sqlite(element: fold, compiler: SQLCompiler, **kw: Any) -> str:
    return f"sb_fold({compiler.process(element.clauses, **kw)})"


_INT_RANGES: dict[type[Any], tuple[int, int] | None] = {}


def int_range(column: sa.ColumnElement[Any]) -> tuple[int, int] | None:
    """The integers a column can hold (PostgreSQL's widths; SQLite is held to the same)."""
    # Known per type class: every read by id and every write asks, and the isinstance walk is slow.
    type_class = type(column.type)
    if type_class not in _INT_RANGES:
        _INT_RANGES[type_class] = next(
            (
                (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
                for kind, bits in ((sa.BigInteger, 64), (sa.SmallInteger, 16), (sa.Integer, 32))
                if isinstance(column.type, kind)
            ),
            None,
        )
    return _INT_RANGES[type_class]


def unstorable(column: sa.ColumnElement[Any], value: object) -> str | None:
    """Why the column cannot hold ``value`` (the database would fail on it), or None if it can."""
    if isinstance(value, str):
        if "\x00" in value:
            return "must not contain the NUL character"
        length = getattr(column.type, "length", None)
        if isinstance(length, int) and len(value) > length:
            return f"must be at most {length} characters"
    elif isinstance(value, int) and not isinstance(value, bool):
        bounds = int_range(column)
        if bounds is not None and not bounds[0] <= value <= bounds[1]:
            return "is out of range"
    return None


def _condition(column: sa.ColumnElement[Any], condition: Condition) -> sa.ColumnElement[bool]:
    value = condition.value
    if condition.op in (Op.EQ, Op.NE, Op.CONTAINS, Op.GT, Op.GTE, Op.LT, Op.LTE) and unstorable(
        column, value
    ):
        return _beyond_storage(column, condition)
    match condition.op:
        case Op.EQ:
            return column == value
        case Op.NE:
            return column != value
        case Op.IN:
            storable = [v for v in value if not unstorable(column, v)]  # type: ignore[attr-defined]
            return column.in_(storable) if storable else sa.false()
        case Op.NOT_IN:
            # No row holds an unstorable value; NULL is in no list and outside none (as in memory).
            kept = [v for v in value if not unstorable(column, v)]  # type: ignore[attr-defined]
            return column.not_in(kept) if kept else column.is_not(None)
        case Op.GT:
            return column > value
        case Op.GTE:
            return column >= value
        case Op.LT:
            return column < value
        case Op.LTE:
            return column <= value
        case Op.CONTAINS:
            return fold(column).contains(str(value).lower(), autoescape=True)
        case Op.IS_NULL:
            return column.is_(None) if value else column.is_not(None)
    raise ValueError(f"unsupported operator {condition.op}")


def _beyond_storage(column: sa.ColumnElement[Any], condition: Condition) -> sa.ColumnElement[bool]:
    """A comparison with a value no row can hold, answered without sending it (NULL never matches)."""
    if condition.op is Op.NE:
        return column.is_not(None)
    bounds, value = int_range(column), condition.value
    if bounds is not None and isinstance(value, int):
        below = value < bounds[0]
        # Every stored number is above one below the range, and below one above it.
        if (condition.op in (Op.GT, Op.GTE) and below) or (condition.op in (Op.LT, Op.LTE) and not below):
            return column.is_not(None)
    return sa.false()


def where(
    table: sa.Table, criterion: Criterion, relations: Mapping[str, RelationFilter]
) -> sa.ColumnElement[bool]:
    if isinstance(criterion, AnyOf):
        return sa.or_(*(where(table, c, relations) for c in criterion.conditions))
    name = criterion.field.name
    if criterion.field.relation:
        if name not in relations:
            raise ValueError(f"{table.name} keeps no relation {criterion.field!r}")
        return relations[name](criterion)
    if name not in table.c:
        raise ValueError(f"{table.name} has no field {criterion.field!r}")
    return _condition(table.c[name], criterion)


def related(
    owner: sa.ColumnElement[Any], link_owner: sa.Column[Any], link_value: sa.Column[Any]
) -> RelationFilter:
    """A filter on a many-to-many relation: ``owner`` has a link row whose value matches."""

    def build(condition: Condition) -> sa.ColumnElement[bool]:
        if condition.op not in (Op.EQ, Op.IN):
            raise ValueError(f"unsupported operator {condition.op} on a relation")
        return owner.in_(sa.select(link_owner).where(_condition(link_value, condition)))

    return build


def ordering(table: sa.Table, order_by: tuple[str, ...]) -> list[sa.ColumnElement[Any]]:
    names = list(order_by)
    if "id" not in {n.lstrip("-") for n in names}:
        names.append("id")
    clauses: list[sa.ColumnElement[Any]] = []
    for name in names:
        column = table.c[name.lstrip("-")]
        clauses.append((column.desc() if name.startswith("-") else column.asc()).nulls_last())
    return clauses
