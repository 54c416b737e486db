"""Evaluates storage-neutral queries over Python objects with SQL's semantics.

NULL never equals, differs from or compares with anything; text ``contains`` ignores case;
ordering puts NULLs last. The contract tests hold the SQL adapters to the same answers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from application.queries import AnyOf, Condition, Criterion, Op, Query

T = TypeVar("T")

VirtualField = Callable[[Any, Condition], bool]


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
        case Op.GTE:
            return bool(actual >= expected)
        case Op.LT:
            return bool(actual < expected)
        case Op.LTE:
            return bool(actual <= expected)
        case Op.CONTAINS:
            return str(expected).casefold() in str(actual).casefold()
    raise ValueError(f"unsupported operator {op}")


def matches(item: Any, criterion: Criterion, virtual: Mapping[str, VirtualField]) -> bool:
    if isinstance(criterion, AnyOf):
        return any(matches(item, c, virtual) for c in criterion.conditions)
    if criterion.field in virtual:
        return virtual[criterion.field](item, criterion)
    if not hasattr(item, criterion.field):
        raise ValueError(f"{type(item).__name__} has no field {criterion.field!r}")
    return _compare(getattr(item, criterion.field), criterion)


def select(items: Iterable[T], query: Query, virtual: Mapping[str, VirtualField]) -> list[T]:
    found = [item for item in items if all(matches(item, c, virtual) for c in query.criteria)]
    order = [*query.order_by, *(["id"] if "id" not in {o.lstrip("-") for o in query.order_by} else [])]
    for name in reversed(order):
        descending = name.startswith("-")
        attribute = name.lstrip("-")
        present = [i for i in found if getattr(i, attribute) is not None]
        missing = [i for i in found if getattr(i, attribute) is None]
        present.sort(key=lambda i, a=attribute: getattr(i, a), reverse=descending)  # type: ignore[misc]
        found = present + missing
    return found[query.offset : query.offset + query.limit]
