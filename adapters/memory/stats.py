"""The statistics read model in memory: the fake twin of adapters/sqlalchemy/stats.py."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from application.decisions.ports import CounterRow, DailyRow, SlotCounts, StatsScope
from domain.communications import Communication
from domain.decisions.counting import Contribution, contribution

ZoneOf = Callable[[Communication], str | None]
Values = list[float]


def _empty() -> Values:
    return [0.0] * 6


class Counters:
    """Per client and per day, as the SQL tables; copied with the communications per transaction."""

    def __init__(self) -> None:
        self.by_client: dict[tuple[Any, ...], Values] = defaultdict(_empty)
        self.by_day: dict[tuple[Any, ...], Values] = defaultdict(_empty)

    def copy(self) -> Counters:
        clone = Counters()
        clone.by_client.update({k: list(v) for k, v in self.by_client.items()})
        clone.by_day.update({k: list(v) for k, v in self.by_day.items()})
        return clone

    def apply(self, removed: Iterable[Contribution], added: Iterable[Contribution]) -> None:
        for sign, items in ((-1, removed), (1, added)):
            for item in items:
                amounts = (
                    1,
                    item.delivered,
                    item.responses,
                    item.weight,
                    item.weight * item.delivered,
                    item.weight * item.responses,
                )
                for table, key in (
                    (
                        self.by_client,
                        (item.client_id, item.channel_id, item.type_id, item.weekday, item.hour),
                    ),
                    (self.by_day, (item.day, item.channel_id, item.type_id, item.weekday, item.hour)),
                ):
                    values = table[key]
                    for index, amount in enumerate(amounts):
                        values[index] += sign * amount
                    if round(values[0]) == 0:
                        del table[key]


def contributions(items: Iterable[Communication], zone_of: ZoneOf) -> list[Contribution]:
    found = (contribution(c, zone_of(c)) for c in items)
    return [c for c in found if c is not None]


class MemoryStats:
    def __init__(
        self,
        counters: Callable[[], Counters],
        rows: Callable[[], Mapping[int, Communication]],
        zone_of: ZoneOf,
        memberships: Callable[[], Mapping[int, frozenset[int]]],
    ) -> None:
        self._counters = counters
        self._rows = rows
        self._zone_of = zone_of
        self._memberships = memberships

    async def slot_counts(self, scope: StatsScope) -> list[SlotCounts]:
        sums: dict[tuple[int, int, int, int], Values] = defaultdict(_empty)
        counters = self._counters()
        members: set[int] | None = None
        if scope.group_ids:
            memberships = self._memberships()
            members = set().union(*(memberships.get(g, frozenset()) for g in scope.group_ids))
        personal = scope.client_id is not None or members is not None
        table = counters.by_client if personal else counters.by_day
        for (first, channel_id, type_id, weekday, hour), values in table.items():
            if scope.client_id is not None and first != scope.client_id:
                continue
            if members is not None and first not in members:
                continue
            if not personal and (
                (scope.since is not None and first < scope.since)
                or (scope.until is not None and first > scope.until)
            ):
                continue
            if scope.type_id is not None and type_id != scope.type_id:
                continue
            if scope.channel_id is not None and channel_id != scope.channel_id:
                continue
            total = sums[(channel_id, type_id, weekday, hour)]
            for index, value in enumerate(values):
                total[index] += value
        return [
            SlotCounts(c, t, d, h, round(v[0]), round(v[1]), round(v[2]), v[3], v[4], v[5])
            for (c, t, d, h), v in sorted(sums.items())
        ]

    async def rebuild(self) -> int:
        counters = self._counters()
        counters.by_client.clear()
        counters.by_day.clear()
        found = contributions(self._rows().values(), self._zone_of)
        counters.apply([], found)
        return len(found)

    async def snapshot(self) -> tuple[list[CounterRow], list[DailyRow]]:
        counters = self._counters()
        per_client = [
            CounterRow(c, ch, t, d, h, round(v[0]), round(v[1]), round(v[2]), v[3])
            for (c, ch, t, d, h), v in sorted(counters.by_client.items())
        ]
        daily = [
            DailyRow(day, ch, t, d, h, round(v[0]), round(v[1]), round(v[2]))
            for (day, ch, t, d, h), v in sorted(counters.by_day.items())
        ]
        return per_client, daily
