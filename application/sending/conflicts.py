"""Running a short write transaction again when a concurrent one changed what it loaded."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from domain.errors import Conflict

T = TypeVar("T")

ATTEMPTS = 3


async def on_fresh_state(transaction: Callable[[], Awaitable[T]], attempts: int = ATTEMPTS) -> T:
    """Run ``transaction`` (which loads, changes and commits); on a compare-and-set ``Conflict`` run it
    again, so that it loads the new state. The dispatcher's record and a provider's report of the same
    message race each other: the loser must apply its change on top, not drop it."""
    for attempt in range(1, attempts + 1):
        try:
            return await transaction()
        except Conflict:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")
