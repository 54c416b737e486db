"""The statistics read model in SQL: counters kept in the transaction that writes communications.

Two tables, both plain Core (no entities):

* ``stats_client_slots``: per client x channel x type x local weekday x hour, with the
  recency-weighted sums; a client's or a group's figures read a handful of rows.
* ``stats_daily_slots``: the same without the client, per local day; everybody's figures and
  periods read this small table instead of the history.

Deltas are summed per key in Python first, then applied by one upsert per table (a statement may
not touch one row twice on PostgreSQL).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy.tables import client_group_members, clients, departments, metadata
from application.decisions.ports import CounterRow, DailyRow, SlotCounts, StatsScope
from domain.communications import Communication, LifecycleStatus
from domain.decisions.counting import Contribution, contribution
from domain.decisions.measures import counts

_COUNTS = ("attempts", "delivered", "responses")
_WEIGHTED = ("w_attempts", "w_delivered", "w_responses")


def _counters() -> list[sa.Column[Any]]:
    return [
        *(sa.Column(name, sa.Integer, nullable=False) for name in _COUNTS),
        *(sa.Column(name, sa.Float, nullable=False) for name in _WEIGHTED),
    ]


stats_client_slots = sa.Table(
    "stats_client_slots",
    metadata,
    sa.Column("client_id", sa.Integer, primary_key=True),
    sa.Column("channel_id", sa.Integer, primary_key=True),
    sa.Column("type_id", sa.Integer, primary_key=True),
    sa.Column("weekday", sa.SmallInteger, primary_key=True),
    sa.Column("hour", sa.SmallInteger, primary_key=True),
    *_counters(),
)

stats_daily_slots = sa.Table(
    "stats_daily_slots",
    metadata,
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("channel_id", sa.Integer, primary_key=True),
    sa.Column("type_id", sa.Integer, primary_key=True),
    sa.Column("weekday", sa.SmallInteger, primary_key=True),
    sa.Column("hour", sa.SmallInteger, primary_key=True),
    *_counters(),
)

_CLIENT_KEY = ("client_id", "channel_id", "type_id", "weekday", "hour")
_DAILY_KEY = ("day", "channel_id", "type_id", "weekday", "hour")
Deltas = dict[tuple[Any, ...], list[float]]


def _accumulate(into: Deltas, key: tuple[Any, ...], item: Contribution, sign: int) -> None:
    values = into[key]
    for index, amount in enumerate(
        (
            1,
            item.delivered,
            item.responses,
            item.weight,
            item.weight * item.delivered,
            item.weight * item.responses,
        )
    ):
        values[index] += sign * amount


def _deltas(removed: Iterable[Contribution], added: Iterable[Contribution]) -> tuple[Deltas, Deltas]:
    by_client: Deltas = defaultdict(lambda: [0.0] * 6)
    by_day: Deltas = defaultdict(lambda: [0.0] * 6)
    for sign, items in ((-1, removed), (1, added)):
        for item in items:
            _accumulate(
                by_client,
                (item.client_id, item.channel_id, item.type_id, item.weekday, item.hour),
                item,
                sign,
            )
            _accumulate(
                by_day, (item.day, item.channel_id, item.type_id, item.weekday, item.hour), item, sign
            )
    return by_client, by_day


def _insert(conn: AsyncConnection, table: sa.Table) -> Any:
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


async def _upsert(conn: AsyncConnection, table: sa.Table, key: tuple[str, ...], deltas: Deltas) -> None:
    rows = [
        {
            **dict(zip(key, k, strict=True)),
            **{name: round(v) for name, v in zip(_COUNTS, values[:3], strict=True)},
            **dict(zip(_WEIGHTED, values[3:], strict=True)),
        }
        for k, values in deltas.items()
        if any(values)
    ]
    if not rows:
        return
    statement = _insert(conn, table)
    statement = statement.on_conflict_do_update(
        index_elements=list(key),
        set_={name: table.c[name] + statement.excluded[name] for name in (*_COUNTS, *_WEIGHTED)},
    )
    await conn.execute(statement, rows)
    if any(values[0] < 0 for values in deltas.values()):
        # A communication moved away: drop the counters it emptied, as a rebuild would not have them.
        await conn.execute(table.delete().where(table.c.attempts == 0))


async def apply(
    conn: AsyncConnection, removed: Sequence[Contribution], added: Sequence[Contribution]
) -> None:
    """Moves the counters by what communications stopped and started contributing."""
    if not removed and not added:
        return
    by_client, by_day = _deltas(removed, added)
    await _upsert(conn, stats_client_slots, _CLIENT_KEY, by_client)
    await _upsert(conn, stats_daily_slots, _DAILY_KEY, by_day)


async def zones(
    conn: AsyncConnection, items: Iterable[Communication]
) -> Callable[[Communication], str | None]:
    """Each communication's local time zone: its client's, else its department's (one query each)."""
    items = list(items)
    client_ids = {c.client_id for c in items if c.client_id is not None}
    department_ids = {c.department_id for c in items if c.department_id is not None}
    by_client: dict[int, str | None] = {}
    by_department: dict[int, str | None] = {}
    if client_ids:
        rows = await conn.execute(
            sa.select(clients.c.id, clients.c.time_zone).where(clients.c.id.in_(client_ids))
        )
        by_client = {row.id: row.time_zone for row in rows}
    if department_ids:
        rows = await conn.execute(
            sa.select(departments.c.id, departments.c.time_zone).where(departments.c.id.in_(department_ids))
        )
        by_department = {row.id: row.time_zone for row in rows}
    return lambda c: by_client.get(c.client_id or 0) or by_department.get(c.department_id or 0)


async def contributions(conn: AsyncConnection, items: Sequence[Communication]) -> list[Contribution]:
    # Only ended communications with a client count: the rest need no time zone, and a batch of
    # new or merely sent ones (the send request, the dispatcher) asks nothing of the database.
    counted = [c for c in items if c.client_id is not None and counts(c.status)]
    if not counted:
        return []
    zone_of = await zones(conn, counted)
    found = (contribution(c, zone_of(c)) for c in counted)
    return [c for c in found if c is not None]


class SqlStats:
    """The StatsReadModel over the two counter tables."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._conn = connection

    async def slot_counts(self, scope: StatsScope) -> list[SlotCounts]:
        personal = scope.client_id is not None or bool(scope.group_ids)
        table = stats_client_slots if personal else stats_daily_slots
        c = table.c
        statement = sa.select(
            c.channel_id,
            c.type_id,
            c.weekday,
            c.hour,
            *(sa.func.sum(c[name]).label(name) for name in (*_COUNTS, *_WEIGHTED)),
        ).group_by(c.channel_id, c.type_id, c.weekday, c.hour)
        if scope.client_id is not None:
            statement = statement.where(c.client_id == scope.client_id)
        if scope.group_ids:
            members = (
                sa.select(client_group_members.c.client_id)
                .where(client_group_members.c.group_id.in_(scope.group_ids))
                .distinct()
            )
            statement = statement.where(c.client_id.in_(members))
        if scope.type_id is not None:
            statement = statement.where(c.type_id == scope.type_id)
        if scope.channel_id is not None:
            statement = statement.where(c.channel_id == scope.channel_id)
        if scope.since is not None:
            statement = statement.where(c.day >= scope.since)
        if scope.until is not None:
            statement = statement.where(c.day <= scope.until)
        rows = await self._conn.execute(statement)
        return [
            SlotCounts(
                row.channel_id,
                row.type_id,
                row.weekday,
                row.hour,
                int(row.attempts),
                int(row.delivered),
                int(row.responses),
                float(row.w_attempts),
                float(row.w_delivered),
                float(row.w_responses),
            )
            for row in rows
        ]

    async def rebuild(self) -> int:
        from adapters.sqlalchemy.communications import communications as history

        await self._conn.execute(stats_client_slots.delete())
        await self._conn.execute(stats_daily_slots.delete())
        h = history.c
        statement = (
            sa.select(
                history, clients.c.time_zone.label("client_zone"), departments.c.time_zone.label("dept_zone")
            )
            .outerjoin(clients, clients.c.id == h.client_id)
            .outerjoin(departments, departments.c.id == h.department_id)
            .where(h.client_id.is_not(None), h.status.in_([LifecycleStatus.DONE, LifecycleStatus.FAILED]))
        )
        counted, chunk = 0, []
        result = await self._conn.stream(statement)
        async for row in result:
            communication = Communication.__new__(Communication)
            communication.__dict__.update(row._mapping)
            found = contribution(communication, row.client_zone or row.dept_zone)
            if found is not None:
                chunk.append(found)
            if len(chunk) >= 20_000:
                await apply(self._conn, [], chunk)
                counted, chunk = counted + len(chunk), []
        await apply(self._conn, [], chunk)
        return counted + len(chunk)

    async def snapshot(self) -> tuple[list[CounterRow], list[DailyRow]]:
        c, d = stats_client_slots.c, stats_daily_slots.c
        per_client = await self._conn.execute(
            sa.select(stats_client_slots).where(c.attempts != 0).order_by(*(c[k] for k in _CLIENT_KEY))
        )
        daily = await self._conn.execute(
            sa.select(stats_daily_slots).where(d.attempts != 0).order_by(*(d[k] for k in _DAILY_KEY))
        )
        return (
            [
                CounterRow(
                    **{k: row._mapping[k] for k in _CLIENT_KEY},
                    attempts=row.attempts,
                    delivered=row.delivered,
                    responses=row.responses,
                    weighted_attempts=row.w_attempts,
                )
                for row in per_client
            ],
            [
                DailyRow(
                    **{k: row._mapping[k] for k in _DAILY_KEY},
                    attempts=row.attempts,
                    delivered=row.delivered,
                    responses=row.responses,
                )
                for row in daily
            ],
        )
