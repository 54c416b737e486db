"""Evaluates storage-neutral queries over Python objects with SQL's semantics.

NULL never equals, differs from or compares with anything; text ``contains`` ignores case;
ordering puts NULLs last. The contract tests hold the SQL adapters to the same answers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from application.queries import AnyOf, Condition, Criterion, Op, Query

T = TypeVar("T")

RelationTest = Callable[[Any, Condition], bool]
"""Whether an item meets a condition on a ``Relation`` field (its groups, its phones)."""


def _compare(actual: Any, condition: Condition) -> bool:
    op, expected = condition.op, condition.value
    if op is Op.IS_NULL:
        return (actual is None) == bool(expected)
    if actual is None:
        return False
    match op:
        case Op.EQ:
            return bool(actual == expected)
        case Op.NE:
            return bool(actual != expected)
        case Op.IN:
            return actual in set(expected)  # type: ignore[call-overload]
        case Op.NOT_IN:
            return actual not in set(expected)  # type: ignore[call-overload]
        case Op.GT:
            return bool(actual > expected)
        case Op.GTE:
            return bool(actual >= expected)
        case Op.LT:
            return bool(actual < expected)
        case Op.LTE:
            return bool(actual <= expected)
        case Op.CONTAINS:
            return str(expected).casefold() in str(actual).casefold()
    raise ValueError(f"unsupported operator {op}")


def matches(item: Any, criterion: Criterion, relations: Mapping[str, RelationTest]) -> bool:
    if isinstance(criterion, AnyOf):
        return any(matches(item, c, relations) for c in criterion.conditions)
    name = criterion.field.name
    if criterion.field.relation:
        if name not in relations:
            raise ValueError(f"{type(item).__name__} keeps no relation {criterion.field!r}")
        return relations[name](item, criterion)
    if not hasattr(item, name):
        raise ValueError(f"{type(item).__name__} has no field {criterion.field!r}")
    return _compare(getattr(item, name), criterion)


def select(items: Iterable[T], query: Query, relations: Mapping[str, RelationTest]) -> list[T]:
    found = [item for item in items if all(matches(item, c, relations) for c in query.criteria)]
    order = [*query.order_by, *(["id"] if "id" not in {o.lstrip("-") for o in query.order_by} else [])]
    for name in reversed(order):
        descending = name.startswith("-")
        attribute = name.lstrip("-")
        present = [i for i in found if getattr(i, attribute) is not None]
        missing = [i for i in found if getattr(i, attribute) is None]
        present.sort(key=lambda i, a=attribute: getattr(i, a), reverse=descending)  # type: ignore[misc]
        found = present + missing
    return found[query.offset : query.offset + query.limit]
