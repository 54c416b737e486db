"""Statistics of SPEC §4 from the counters: channels, types, the best-time matrix, responses.

Every figure reads the counters kept with the writes (StatsReadModel); none scans the history.
Rates are per attempt (a communication that ended: done or failed); raw activity is never ranked.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from application.decisions.ports import SlotCounts, StatsScope
from application.ports import UnitOfWorkFactory
from domain.errors import ValidationFailed


@dataclass(frozen=True)
class StatsQuery:
    """Which counters a statistics read asks for: the scope, the period and the grouping."""

    client_id: int | None = None
    group_id: int | None = None
    type_id: int | None = None
    channel_id: int | None = None
    since: date | None = None
    until: date | None = None

    def scope(self) -> StatsScope:
        if self.client_id is not None and self.group_id is not None:
            raise ValidationFailed.field("group_id", "ask for one client or one group, not both")
        if (self.since or self.until) and (self.client_id is not None or self.group_id is not None):
            raise ValidationFailed.field(
                "since", "periods are kept for all clients; leave out client_id and group_id"
            )
        if self.since and self.until and self.since > self.until:
            raise ValidationFailed.field("since", "must not be after until")
        return StatsScope(
            client_id=self.client_id,
            group_ids=() if self.group_id is None else (self.group_id,),
            type_id=self.type_id,
            channel_id=self.channel_id,
            since=self.since,
            until=self.until,
        )


@dataclass(frozen=True)
class Figures:
    """Counts and rates of one row of a statistic (a channel, a type, a weekday x hour)."""

    key: int
    attempts: int
    delivered: int
    responses: int

    @property
    def delivered_rate(self) -> float:
        return self.delivered / self.attempts if self.attempts else 0.0

    @property
    def response_rate(self) -> float:
        return self.responses / self.attempts if self.attempts else 0.0

    @property
    def ignored(self) -> int:
        return self.attempts - self.responses


@dataclass(frozen=True)
class Cell:
    weekday: int
    hour: int
    attempts: int
    delivered: int
    responses: int


def _by(rows: Sequence[SlotCounts], field: str) -> list[Figures]:
    sums: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in rows:
        total = sums[getattr(row, field)]
        total[0] += row.attempts
        total[1] += row.delivered
        total[2] += row.responses
    return [Figures(key, *values) for key, values in sums.items() if values[0]]


class Statistics:
    """Answers of /api/v1/stats/…, for all time or a period, everybody, one client or a group."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def _rows(self, query: StatsQuery) -> list[SlotCounts]:
        scope = query.scope()
        async with self._uow_factory(read_only=True) as uow:
            return await uow.stats.slot_counts(scope)

    async def channels(self, query: StatsQuery) -> list[Figures]:
        """Channels ranked by delivered count, then delivered rate."""
        found = _by(await self._rows(query), "channel_id")
        return sorted(found, key=lambda f: (-f.delivered, -f.delivered_rate, f.key))

    async def types(self, query: StatsQuery) -> list[Figures]:
        """Communication types that ended successfully (delivered), most first."""
        found = _by(await self._rows(query), "type_id")
        return sorted((f for f in found if f.delivered), key=lambda f: (-f.delivered, f.key))

    async def responses(self, query: StatsQuery) -> Figures:
        """Response vs ignore over the whole scope (key 0)."""
        rows = await self._rows(query)
        return Figures(
            0, sum(r.attempts for r in rows), sum(r.delivered for r in rows), sum(r.responses for r in rows)
        )

    async def best_time(self, query: StatsQuery) -> list[Cell]:
        """The 7 x 24 matrix by local weekday and hour, every cell present (zeros included)."""
        sums: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0, 0])
        for row in await self._rows(query):
            total = sums[(row.weekday, row.hour)]
            total[0] += row.attempts
            total[1] += row.delivered
            total[2] += row.responses
        return [Cell(d, h, *sums.get((d, h), [0, 0, 0])) for d in range(7) for h in range(24)]
