"""The statistics read model in memory: the fake twin of adapters/sqlalchemy/stats.py."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from application.decisions.ports import (
    CounterRow,
    DailyRow,
    DetailRow,
    EmployeeCounts,
    SlotCounts,
    StatsScope,
    StatsSnapshot,
    TeamDayRow,
    TotalRow,
)
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
        self.by_detail: dict[tuple[Any, ...], Values] = defaultdict(_empty)
        """client, day, hour, channel, type, department, employee, weekday (as stats_client_days)."""

    def copy(self) -> Counters:
        clone = Counters()
        clone.by_client.update({k: list(v) for k, v in self.by_client.items()})
        clone.by_day.update({k: list(v) for k, v in self.by_day.items()})
        clone.by_detail.update({k: list(v) for k, v in self.by_detail.items()})
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
                    (
                        self.by_detail,
                        (
                            item.client_id,
                            item.day,
                            item.hour,
                            item.channel_id,
                            item.type_id,
                            item.department_id,
                            item.employee_id,
                            item.weekday,
                        ),
                    ),
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

    def _detail(self, scope: StatsScope) -> Iterable[tuple[tuple[Any, ...], Values]]:
        """The detailed counters of the scope, (client, day, hour, channel, type, dept, employee, weekday)."""
        members: set[int] | None = None
        if scope.group_ids:
            memberships = self._memberships()
            members = set().union(*(memberships.get(g, frozenset()) for g in scope.group_ids))
        for key, values in self._counters().by_detail.items():
            client_id, day, _, channel_id, type_id, department_id, employee_id, _ = key
            if scope.client_id is not None and client_id != scope.client_id:
                continue
            if members is not None and client_id not in members:
                continue
            if (scope.since is not None and day < scope.since) or (
                scope.until is not None and day > scope.until
            ):
                continue
            wanted = (
                (scope.type_id, type_id),
                (scope.channel_id, channel_id),
                (scope.department_id, department_id),
                (scope.employee_id, employee_id),
            )
            if any(asked is not None and asked != value for asked, value in wanted):
                continue
            yield key, values

    async def slot_counts(self, scope: StatsScope) -> list[SlotCounts]:
        sums: dict[tuple[int, int, int, int], Values] = defaultdict(_empty)
        # The detailed counters answer every scope; the SQL adapter reads smaller tables when it can.
        for (_, _, hour, channel_id, type_id, _, _, weekday), values in self._detail(scope):
            total = sums[(channel_id, type_id, weekday, hour)]
            for index, value in enumerate(values):
                total[index] += value
        return [
            SlotCounts(c, t, d, h, round(v[0]), round(v[1]), round(v[2]), v[3], v[4], v[5])
            for (c, t, d, h), v in sorted(sums.items())
        ]

    async def slot_counts_by_client(
        self, client_ids: list[int], type_id: int | None
    ) -> dict[int, list[SlotCounts]]:
        found: dict[int, list[SlotCounts]] = {}
        for client_id in dict.fromkeys(client_ids):
            rows = await self.slot_counts(StatsScope(client_id=client_id, type_id=type_id))
            if rows:
                found[client_id] = rows
        return found

    async def employee_counts(self, scope: StatsScope) -> list[EmployeeCounts]:
        sums: dict[int, Values] = defaultdict(_empty)
        for key, values in self._detail(scope):
            total = sums[key[6]]
            for index, value in enumerate(values):
                total[index] += value
        return [
            EmployeeCounts(e, round(v[0]), round(v[1]), round(v[2]))
            for e, v in sorted(sums.items())
            if round(v[0])
        ]

    async def rebuild(self) -> int:
        counters = self._counters()
        counters.by_client.clear()
        counters.by_day.clear()
        counters.by_detail.clear()
        found = contributions(self._rows().values(), self._zone_of)
        counters.apply([], found)
        return len(found)

    async def snapshot(self) -> StatsSnapshot:
        counters = self._counters()
        per_client = [
            CounterRow(c, ch, t, d, h, round(v[0]), round(v[1]), round(v[2]), v[3])
            for (c, ch, t, d, h), v in sorted(counters.by_client.items())
        ]
        daily = [
            DailyRow(day, ch, t, d, h, round(v[0]), round(v[1]), round(v[2]))
            for (day, ch, t, d, h), v in sorted(counters.by_day.items())
        ]
        detail = [
            DetailRow(c, day, h, ch, t, dept, emp, d, round(v[0]), round(v[1]), round(v[2]))
            for (c, day, h, ch, t, dept, emp, d), v in sorted(counters.by_detail.items())
        ]
        # Memory keeps the finest tables only; everybody's are their sums, as SQL stores them.
        teams: dict[tuple[Any, ...], Values] = defaultdict(_empty)
        for (_, day, h, ch, t, dept, emp, d), v in counters.by_detail.items():
            _add_to(teams[(day, h, ch, t, dept, emp, d)], v)
        totals: dict[tuple[Any, ...], Values] = defaultdict(_empty)
        for (_, ch, t, d, h), v in counters.by_client.items():
            _add_to(totals[(ch, t, d, h)], v)
        return StatsSnapshot(
            per_client,
            daily,
            detail,
            [
                TeamDayRow(day, h, ch, t, dept, emp, d, round(v[0]), round(v[1]), round(v[2]))
                for (day, h, ch, t, dept, emp, d), v in sorted(teams.items())
            ],
            [
                TotalRow(ch, t, d, h, round(v[0]), round(v[1]), round(v[2]), v[3])
                for (ch, t, d, h), v in sorted(totals.items())
            ],
        )


def _add_to(total: Values, values: Values) -> None:
    for index, value in enumerate(values):
        total[index] += value
