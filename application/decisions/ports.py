"""What decisions and statistics need from storage: the counters read model."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol


@dataclass(frozen=True)
class StatsScope:
    """Which counters to sum: one client, the members of some groups, or everybody.

    A period (``since`` / ``until``, local days, both included) is answered from the per-day
    counters, which are kept for everybody only; a period with a client or groups is refused.
    """

    client_id: int | None = None
    group_ids: tuple[int, ...] = ()
    type_id: int | None = None
    channel_id: int | None = None
    since: date | None = None
    until: date | None = None

    def __post_init__(self) -> None:
        if self.client_id is not None and self.group_ids:
            raise ValueError("a scope is one client or some groups, not both")
        if (self.since or self.until) and (self.client_id is not None or self.group_ids):
            raise ValueError("periods are kept for all clients only")


@dataclass(frozen=True)
class SlotCounts:
    """The counters of one channel and type at one local weekday x hour, summed over a scope.

    The ``weighted_`` sums carry epoch weights (see domain.decisions.counting): multiply by
    ``decay_factor(now)`` for recency weights as of now. Periods have none (zeros).
    """

    channel_id: int
    type_id: int
    weekday: int
    hour: int
    attempts: int
    delivered: int
    responses: int
    weighted_attempts: float = 0.0
    weighted_delivered: float = 0.0
    weighted_responses: float = 0.0


@dataclass(frozen=True)
class CounterRow:
    """One stored counter of the per-client table, for comparing maintained and rebuilt states."""

    client_id: int
    channel_id: int
    type_id: int
    weekday: int
    hour: int
    attempts: int
    delivered: int
    responses: int
    weighted_attempts: float


@dataclass(frozen=True)
class DailyRow:
    day: date
    channel_id: int
    type_id: int
    weekday: int
    hour: int
    attempts: int
    delivered: int
    responses: int


class StatsReadModel(Protocol):
    """Counters kept with the writes of communications, so that no request scans the history."""

    async def slot_counts(self, scope: StatsScope) -> list[SlotCounts]:
        """The counters of the scope, summed by channel x type x local weekday x hour."""

    async def rebuild(self) -> int:
        """Recomputes every counter from the stored communications; returns how many counted."""

    async def snapshot(self) -> tuple[list[CounterRow], list[DailyRow]]:
        """Every non-empty counter, ordered by key (for checks and exports)."""
