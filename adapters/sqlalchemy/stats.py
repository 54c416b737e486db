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

import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy.tables import client_group_members, clients, departments, metadata
from application.decisions.ports import (
    CounterRow,
    DailyRow,
    DetailRow,
    EmployeeCounts,
    SlotCounts,
    StatsScope,
)
from domain.communications import Communication, LifecycleStatus
from domain.decisions.counting import Contribution, contribution

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

stats_client_days = sa.Table(
    "stats_client_days",
    metadata,
    sa.Column("client_id", sa.Integer, primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("hour", sa.SmallInteger, primary_key=True),
    sa.Column("channel_id", sa.Integer, primary_key=True),
    sa.Column("type_id", sa.Integer, primary_key=True),
    sa.Column("department_id", sa.Integer, primary_key=True),
    sa.Column("employee_id", sa.Integer, primary_key=True),
    sa.Column("weekday", sa.SmallInteger, nullable=False),
    *_counters(),
)
"""Per client and local day, with the department and the employee: periods for one client or a
group, and the department and employee figures of a client or a group. 0 stands for none."""

stats_team_days = sa.Table(
    "stats_team_days",
    metadata,
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("hour", sa.SmallInteger, primary_key=True),
    sa.Column("channel_id", sa.Integer, primary_key=True),
    sa.Column("type_id", sa.Integer, primary_key=True),
    sa.Column("department_id", sa.Integer, primary_key=True),
    sa.Column("employee_id", sa.Integer, primary_key=True),
    sa.Column("weekday", sa.SmallInteger, nullable=False),
    *_counters(),
)
"""Everybody's per local day with the department and the employee: far fewer rows than clients."""

sa.Index("ix_stats_client_days_day", stats_client_days.c.day)

_CLIENT_KEY = ("client_id", "channel_id", "type_id", "weekday", "hour")
_DAILY_KEY = ("day", "channel_id", "type_id", "weekday", "hour")
_CLIENT_DAY_KEY = ("client_id", "day", "hour", "channel_id", "type_id", "department_id", "employee_id")
_TEAM_DAY_KEY = ("day", "hour", "channel_id", "type_id", "department_id", "employee_id")
Deltas = dict[tuple[Any, ...], list[float]]

# Each counter table, its key, and the extra columns its rows carry that the key implies.
_TABLES: tuple[tuple[sa.Table, tuple[str, ...], tuple[str, ...]], ...] = (
    (stats_client_slots, _CLIENT_KEY, ()),
    (stats_daily_slots, _DAILY_KEY, ()),
    (stats_client_days, _CLIENT_DAY_KEY, ("weekday",)),
    (stats_team_days, _TEAM_DAY_KEY, ("weekday",)),
)


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


def _deltas(removed: Iterable[Contribution], added: Iterable[Contribution]) -> list[Deltas]:
    found: list[Deltas] = [defaultdict(lambda: [0.0] * 6) for _ in _TABLES]
    for sign, items in ((-1, removed), (1, added)):
        for item in items:
            for into, (_, key, extra) in zip(found, _TABLES, strict=True):
                _accumulate(into, tuple(getattr(item, k) for k in (*key, *extra)), item, sign)
    return found


def _insert(conn: AsyncConnection, table: sa.Table) -> Any:
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


COUNTS, WEIGHTED = _COUNTS, _WEIGHTED
TableDeltas = tuple[sa.Table, tuple[str, ...], tuple[str, ...], Deltas]


def table_deltas(removed: Sequence[Contribution], added: Sequence[Contribution]) -> list[TableDeltas]:
    """Per counter table: its key, extra columns and the deltas the contributions make."""
    return [
        (table, key, extra, deltas)
        for deltas, (table, key, extra) in zip(_deltas(removed, added), _TABLES, strict=True)
    ]


def delta_rows(key: tuple[str, ...], extra: tuple[str, ...], deltas: Deltas) -> list[dict[str, Any]]:
    names = (*key, *extra)
    return [
        {
            **dict(zip(names, k, strict=True)),
            **{name: round(v) for name, v in zip(_COUNTS, values[:3], strict=True)},
            **dict(zip(_WEIGHTED, values[3:], strict=True)),
        }
        for k, values in deltas.items()
        if any(values)
    ]


async def _upsert(
    conn: AsyncConnection, table: sa.Table, key: tuple[str, ...], extra: tuple[str, ...], deltas: Deltas
) -> None:
    rows = delta_rows(key, extra, deltas)
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


async def driver(conn: AsyncConnection) -> Any:
    """The asyncpg connection under SQLAlchemy's, in the same transaction."""
    raw = await conn.get_raw_connection()
    return raw.driver_connection


async def copy_counters(conn: AsyncConnection, deltas: Sequence[TableDeltas]) -> None:
    """Adds counter deltas: COPY into a temporary twin of each table, then one upsert per table."""
    pg = await driver(conn)
    for table, key, extra, values in deltas:
        names = [*key, *extra, *COUNTS, *WEIGHTED]
        records = [
            (*k, round(v[0]), round(v[1]), round(v[2]), v[3], v[4], v[5]) for k, v in values.items() if any(v)
        ]
        if not records:
            continue
        temporary = f"tmp_{table.name}_{next(_names)}"
        await conn.execute(sa.text(f"CREATE TEMPORARY TABLE {temporary} (LIKE {table.name}) ON COMMIT DROP"))
        await pg.copy_records_to_table(temporary, records=records, columns=names)
        counted = [*COUNTS, *WEIGHTED]
        columns = ", ".join(names)
        updates = ", ".join(f"{n} = {table.name}.{n} + EXCLUDED.{n}" for n in counted)
        await conn.execute(
            sa.text(
                f"INSERT INTO {table.name} ({columns}) SELECT {columns} FROM {temporary} "
                f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}"
            )
        )
        await conn.execute(sa.text(f"DROP TABLE {temporary}"))


_names = itertools.count()


async def apply(
    conn: AsyncConnection, removed: Sequence[Contribution], added: Sequence[Contribution]
) -> None:
    """Moves the counters by what communications stopped and started contributing."""
    if not removed and not added:
        return
    for deltas, (table, key, extra) in zip(_deltas(removed, added), _TABLES, strict=True):
        await _upsert(conn, table, key, extra, deltas)


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
    zone_of = await zones(conn, items)
    found = (contribution(c, zone_of(c)) for c in items)
    return [c for c in found if c is not None]


class SqlStats:
    """The StatsReadModel over the two counter tables."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._conn = connection

    def _table(self, scope: StatsScope) -> sa.Table:
        if scope.personal:
            return stats_client_days if scope.detailed else stats_client_slots
        return stats_team_days if scope.detailed else stats_daily_slots

    def _where(self, statement: Any, table: sa.Table, scope: StatsScope) -> Any:
        c = table.c
        if scope.client_id is not None:
            statement = statement.where(c.client_id == scope.client_id)
        if scope.group_ids:
            members = (
                sa.select(client_group_members.c.client_id)
                .where(client_group_members.c.group_id.in_(scope.group_ids))
                .distinct()
            )
            statement = statement.where(c.client_id.in_(members))
        for name in ("type_id", "channel_id", "department_id", "employee_id"):
            if getattr(scope, name) is not None:
                statement = statement.where(c[name] == getattr(scope, name))
        if scope.since is not None:
            statement = statement.where(c.day >= scope.since)
        if scope.until is not None:
            statement = statement.where(c.day <= scope.until)
        return statement

    async def slot_counts(self, scope: StatsScope) -> list[SlotCounts]:
        table = self._table(scope)
        c = table.c
        statement = sa.select(
            c.channel_id,
            c.type_id,
            c.weekday,
            c.hour,
            *(sa.func.sum(c[name]).label(name) for name in (*_COUNTS, *_WEIGHTED)),
        ).group_by(c.channel_id, c.type_id, c.weekday, c.hour)
        rows = await self._conn.execute(self._where(statement, table, scope))
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

    async def slot_counts_by_client(
        self, client_ids: list[int], type_id: int | None
    ) -> dict[int, list[SlotCounts]]:
        c = stats_client_slots.c
        found: dict[int, list[SlotCounts]] = defaultdict(list)
        # Chunks keep each query under the drivers' bound-parameter limits.
        for start in range(0, len(client_ids), 5_000):
            statement = sa.select(
                c.client_id,
                c.channel_id,
                c.type_id,
                c.weekday,
                c.hour,
                *(c[name] for name in (*_COUNTS, *_WEIGHTED)),
            ).where(c.client_id.in_(client_ids[start : start + 5_000]))
            if type_id is not None:
                statement = statement.where(c.type_id == type_id)
            for row in await self._conn.execute(statement):
                found[row.client_id].append(
                    SlotCounts(
                        row.channel_id,
                        row.type_id,
                        row.weekday,
                        row.hour,
                        row.attempts,
                        row.delivered,
                        row.responses,
                        row.w_attempts,
                        row.w_delivered,
                        row.w_responses,
                    )
                )
        return dict(found)

    async def employee_counts(self, scope: StatsScope) -> list[EmployeeCounts]:
        table = stats_client_days if scope.personal else stats_team_days
        c = table.c
        statement = (
            sa.select(c.employee_id, *(sa.func.sum(c[name]).label(name) for name in _COUNTS))
            .group_by(c.employee_id)
            .order_by(c.employee_id)
        )
        rows = await self._conn.execute(self._where(statement, table, scope))
        return [
            EmployeeCounts(row.employee_id, int(row.attempts), int(row.delivered), int(row.responses))
            for row in rows
            if row.attempts
        ]

    async def rebuild(self) -> int:
        from adapters.sqlalchemy.communications import communications as history

        for table, _, _ in _TABLES:
            await self._conn.execute(table.delete())
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
                await self._add(chunk)
                counted, chunk = counted + len(chunk), []
        await self._add(chunk)
        return counted + len(chunk)

    async def _add(self, chunk: list[Contribution]) -> None:
        # PostgreSQL: COPY into temporary tables and one merge each, as the history import does.
        if self._conn.dialect.name == "postgresql":
            await copy_counters(self._conn, table_deltas([], chunk))
        else:
            await apply(self._conn, [], chunk)

    async def snapshot(self) -> tuple[list[CounterRow], list[DailyRow], list[DetailRow]]:
        c, d, e = stats_client_slots.c, stats_daily_slots.c, stats_client_days.c
        per_client = await self._conn.execute(
            sa.select(stats_client_slots).where(c.attempts != 0).order_by(*(c[k] for k in _CLIENT_KEY))
        )
        daily = await self._conn.execute(
            sa.select(stats_daily_slots).where(d.attempts != 0).order_by(*(d[k] for k in _DAILY_KEY))
        )
        detail = await self._conn.execute(
            sa.select(stats_client_days).where(e.attempts != 0).order_by(*(e[k] for k in _CLIENT_DAY_KEY))
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
            [
                DetailRow(
                    **{k: row._mapping[k] for k in (*_CLIENT_DAY_KEY, "weekday")},
                    attempts=row.attempts,
                    delivered=row.delivered,
                    responses=row.responses,
                )
                for row in detail
            ],
        )
