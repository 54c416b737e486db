"""The statistics read model in SQL: counters kept in the transaction that writes communications.

Five tables, all plain Core (no entities), each answering one kind of scope from few rows:

* ``stats_client_slots``: per client x channel x type x local weekday x hour, with the
  recency-weighted sums; a client's or a group's figures, all time.
* ``stats_client_days``: per client and local day, with the department and the employee; a
  client's or a group's figures over a period or for a department or an employee.
* ``stats_slots``: everybody's, all time (channel x type x weekday x hour).
* ``stats_daily_slots``: everybody's per local day: periods.
* ``stats_team_days``: everybody's per local day with the department and the employee.

A write of a few communications sums its deltas per key in Python, then applies one upsert per
table (a statement may not touch one row twice on PostgreSQL). Bulk work on PostgreSQL (the
history import, the rebuild) counts in SQL instead: see ``count_imported`` and ``count_stored``.
"""

from __future__ import annotations

import functools
import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from operator import attrgetter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy.bulk import among
from adapters.sqlalchemy.tables import client_group_members, clients, departments, metadata
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
from domain.communications import SUCCESSFUL_DELIVERY, Communication, LifecycleStatus
from domain.decisions.counting import (
    DEFAULT_HALF_LIFE_DAYS,
    WEIGHT_EPOCH,
    Contribution,
    contribution,
)
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
    sqlite_with_rowid=False,  # stored in key order: see migration 0016
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
    sqlite_with_rowid=False,  # stored in key order: see migration 0016
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

stats_slots = sa.Table(
    "stats_slots",
    metadata,
    sa.Column("channel_id", sa.Integer, primary_key=True),
    sa.Column("type_id", sa.Integer, primary_key=True),
    sa.Column("weekday", sa.SmallInteger, primary_key=True),
    sa.Column("hour", sa.SmallInteger, primary_key=True),
    *_counters(),
    sqlite_with_rowid=False,  # stored in key order: see migration 0016
)
"""Everybody's, all time: a few thousand rows whatever the size of the history or of the
client base, so "everybody" never sums per-client or per-day rows."""

sa.Index("ix_stats_client_days_day", stats_client_days.c.day)

_CLIENT_KEY = ("client_id", "channel_id", "type_id", "weekday", "hour")
_DAILY_KEY = ("day", "channel_id", "type_id", "weekday", "hour")
_CLIENT_DAY_KEY = ("client_id", "day", "hour", "channel_id", "type_id", "department_id", "employee_id")
_TEAM_DAY_KEY = ("day", "hour", "channel_id", "type_id", "department_id", "employee_id")
_SLOT_KEY = ("channel_id", "type_id", "weekday", "hour")
Deltas = dict[tuple[Any, ...], list[float]]

# Each counter table, its key, and the extra columns its rows carry that the key implies.
_TABLES: tuple[tuple[sa.Table, tuple[str, ...], tuple[str, ...]], ...] = (
    (stats_client_slots, _CLIENT_KEY, ()),
    (stats_daily_slots, _DAILY_KEY, ()),
    (stats_client_days, _CLIENT_DAY_KEY, ("weekday",)),
    (stats_team_days, _TEAM_DAY_KEY, ("weekday",)),
    (stats_slots, _SLOT_KEY, ()),
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


# Each table's key (and extra columns) of a contribution, read in one call of C code.
_KEY_OF = tuple(attrgetter(*key, *extra) for _, key, extra in _TABLES)


def _deltas(removed: Iterable[Contribution], added: Iterable[Contribution]) -> list[Deltas]:
    found: list[Deltas] = [defaultdict(lambda: [0.0] * 6) for _ in _TABLES]
    for sign, items in ((-1, removed), (1, added)):
        for item in items:
            for into, key_of in zip(found, _KEY_OF, strict=True):
                _accumulate(into, key_of(item), item, sign)
    return found


def _insert(conn: AsyncConnection, table: sa.Table) -> Any:
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


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


@functools.cache
def _unnest_upsert(
    table: sa.Table, key: tuple[str, ...], extra: tuple[str, ...], dialect: Dialect
) -> sa.TextClause:
    """PostgreSQL's upsert of a table's deltas from one array per column: the statement never
    changes, and its values are bound as a dozen arrays, not a dozen parameters a row (a report
    batch moves a counter row per client in the client-keyed tables)."""
    names = (*key, *extra, *_COUNTS, *_WEIGHTED)
    arrays = ", ".join(f"CAST(:{n} AS {table.c[n].type.compile(dialect=dialect)}[])" for n in names)
    updates = ", ".join(f"{n} = {table.name}.{n} + EXCLUDED.{n}" for n in _COUNTED)
    return sa.text(
        f"INSERT INTO {table.name} ({', '.join(names)}) SELECT * FROM unnest({arrays}) "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}"
    ).bindparams(*(sa.bindparam(n, type_=postgresql.ARRAY(table.c[n].type)) for n in names))


def _delta_arrays(names: tuple[str, ...], deltas: Deltas) -> dict[str, list[Any]] | None:
    """``delta_rows`` as one list per column (the rows that move a counter), or None when none do."""
    kept = [(k, values) for k, values in deltas.items() if any(values)]
    if not kept:
        return None
    columns = zip(*(k for k, _ in kept), strict=True)  # each key a tuple of len(names) values
    arrays: dict[str, list[Any]] = {name: list(column) for name, column in zip(names, columns, strict=True)}
    for index, name in enumerate(_COUNTS):
        arrays[name] = [round(values[index]) for _, values in kept]
    for index, name in enumerate(_WEIGHTED, start=len(_COUNTS)):
        arrays[name] = [values[index] for _, values in kept]
    return arrays


async def _upsert(
    conn: AsyncConnection, table: sa.Table, key: tuple[str, ...], extra: tuple[str, ...], deltas: Deltas
) -> None:
    if conn.dialect.name == "postgresql":
        arrays = _delta_arrays((*key, *extra), deltas)
        if arrays is None:
            return
        await conn.execute(_unnest_upsert(table, key, extra, conn.dialect), arrays)
    else:
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


_names = itertools.count()


async def apply(
    conn: AsyncConnection, removed: Sequence[Contribution], added: Sequence[Contribution]
) -> None:
    """Moves the counters by what communications stopped and started contributing."""
    if not removed and not added:
        return
    for deltas, (table, key, extra) in zip(_deltas(removed, added), _TABLES, strict=True):
        await _upsert(conn, table, key, extra, deltas)


# What one stored communication contributes, in SQL, as domain.decisions.counting.contribution and
# domain.decisions.measures define it: local time in the client's zone, else the department's, else
# UTC; delivered and response from the delivery status, else from the lifecycle; the epoch weight.
_CONTRIBUTIONS = f"""
SELECT c.client_id, c.channel_id, c.type_id,
       coalesce(c.department_id, 0) AS department_id, coalesce(c.employee_id, 0) AS employee_id,
       local::date AS day, (extract(isodow FROM local) - 1)::smallint AS weekday,
       extract(hour FROM local)::smallint AS hour,
       CASE WHEN c.delivery_status IS NOT NULL
            THEN (c.delivery_status IN ({", ".join(f"'{s.value}'" for s in SUCCESSFUL_DELIVERY)}))::int
            ELSE (c.status = 'done')::int END AS delivered,
       CASE WHEN c.delivery_status IS NOT NULL THEN (c.delivery_status = 'responded')::int
            ELSE (c.status = 'done')::int END AS responses,
       power(2.0::float8, extract(epoch FROM moment - '{WEIGHT_EPOCH.isoformat()}'::timestamptz)::float8
             / 86400.0 / {DEFAULT_HALF_LIFE_DAYS!r}) AS weight
FROM {{source}}
JOIN clients k ON k.id = c.client_id
LEFT JOIN departments d ON d.id = c.department_id
CROSS JOIN LATERAL (SELECT coalesce(c.started_at, c.scheduled_at, c.create_time) AS moment) m
CROSS JOIN LATERAL (
    SELECT m.moment AT TIME ZONE coalesce(nullif(k.time_zone, ''), nullif(d.time_zone, ''), 'UTC') AS local
) l
WHERE c.status IN ('done', 'failed') AND ({{condition}})
"""


_DETAIL = (*_CLIENT_DAY_KEY, "weekday")
_COUNTED = (*_COUNTS, *_WEIGHTED)


_ALL = "communications c"

# The communications ``c`` of the id array ``:ids``, each found by its primary key. A join on the ids or
# `c.id = ANY(...)` let the planner, misled by rows copied since the last ANALYZE, take the status
# index and read every ended communication (290,000 index entries for 10,000 imported rows, a third
# of the statement's time, growing with the history); the fence (OFFSET 0) keeps one key lookup each.
OF_IDS = (
    "unnest(CAST(:ids AS BIGINT[])) AS imported(id) "
    "CROSS JOIN LATERAL (SELECT * FROM communications WHERE id = imported.id OFFSET 0) c"
)


def _summed(condition: str, source: str = _ALL) -> str:
    """The contributions of the communications in ``source`` matching ``condition``, summed per
    detail key."""
    return (
        f"SELECT {', '.join(_DETAIL)}, count(*) AS attempts, sum(delivered) AS delivered, "
        f"sum(responses) AS responses, sum(weight) AS w_attempts, "
        f"sum(weight * delivered) AS w_delivered, sum(weight * responses) AS w_responses "
        f"FROM ({_CONTRIBUTIONS.format(source=source, condition=condition)}) x GROUP BY {', '.join(_DETAIL)}"
    )


def _merge(table: sa.Table, key: tuple[str, ...], extra: tuple[str, ...], source: str) -> str:
    """Adds the detail sums in ``source`` to ``table``'s counters, summed to its key."""
    names = ", ".join((*key, *extra))
    updates = ", ".join(f"{n} = {table.name}.{n} + EXCLUDED.{n}" for n in _COUNTED)
    if (*key, *extra) == _DETAIL:
        selected = f"SELECT {names}, {', '.join(_COUNTED)} FROM {source}"  # summed to this key already
    else:
        sums = ", ".join(f"sum({n})" for n in _COUNTED)
        selected = f"SELECT {names}, {sums} FROM {source} GROUP BY {names}"
    # In key order: after a rebuild one client's counters share a page, so a group of N clients
    # reads about N pages rather than one per counter.
    return (
        f"INSERT INTO {table.name} ({names}, {', '.join(_COUNTED)}) {selected} ORDER BY {names} "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}"
    )


async def count_stored(conn: AsyncConnection, condition: str, parameters: dict[str, Any]) -> None:
    """Adds to every counter table what the stored communications matching ``condition`` (SQL over
    ``c``, the communications) contribute, set-based in SQL (PostgreSQL): for the rebuild, where
    the detail may be millions of rows (a temporary table, not one statement's memory)."""
    detail = f"tmp_counted_{next(_names)}"
    await conn.execute(
        sa.text(f"CREATE TEMPORARY TABLE {detail} ON COMMIT DROP AS {_summed(condition)}"), parameters
    )
    for table, key, extra in _TABLES:
        await conn.execute(sa.text(_merge(table, key, extra, detail)))
    await conn.execute(sa.text(f"DROP TABLE {detail}"))


async def count_imported(conn: AsyncConnection, ids: list[int]) -> None:
    """``count_stored`` for the communications of one import (at most 10,000, by their ids), in one
    statement: the sums once (a materialised CTE), each table's merge a data-modifying CTE of it.
    No temporary table to create and drop, and one round trip instead of seven (PostgreSQL)."""
    await conn.execute(_COUNT_IMPORTED, {"ids": ids})


_COUNT_IMPORTED = sa.text(
    "WITH detail AS MATERIALIZED ({summed}), {merges} SELECT 1".format(
        summed=_summed("true", OF_IDS),
        merges=", ".join(
            f"merged_{table.name} AS ({_merge(table, key, extra, 'detail')})" for table, key, extra in _TABLES
        ),
    )
)


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
            # = ANY(array) on PostgreSQL: a report batch names up to 2,000 clients, each a parameter
            # of an IN list to render and bind at every execution.
            sa.select(clients.c.id, clients.c.time_zone).where(
                among(clients.c.id, sorted(client_ids), conn.dialect)
            )
        )
        by_client = {row.id: row.time_zone for row in rows}
    if department_ids:
        rows = await conn.execute(
            sa.select(departments.c.id, departments.c.time_zone).where(
                among(departments.c.id, sorted(department_ids), conn.dialect)
            )
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

    def _table(self, scope: StatsScope) -> sa.Table:
        if scope.personal:
            return stats_client_days if scope.detailed else stats_client_slots
        if scope.department_id is not None or scope.employee_id is not None:
            return stats_team_days
        return stats_daily_slots if scope.detailed else stats_slots

    async def _source(self, table: sa.Table, scope: StatsScope) -> tuple[Any, Any]:
        """Where the scope's counters are read from, and their columns: the table, or a group's
        members joined to it."""
        if not scope.group_ids:
            return table, table.c
        m = client_group_members.c
        members = sa.select(m.client_id).where(m.group_id.in_(scope.group_ids)).distinct()
        if self._conn.dialect.name != "postgresql":
            joined = members.subquery("members")
            return sa.join(joined, table, table.c.client_id == joined.c.client_id), table.c
        # Member by member (LATERAL, kept apart by OFFSET 0): each walks the primary key to its few
        # counters. Joined plainly, the planner misjudges how many counters 10,000 members have
        # and scans every client's.
        ids = list((await self._conn.execute(members)).scalars())
        listed = sa.bindparam("members", ids, type_=postgresql.ARRAY(sa.Integer))
        each = sa.func.unnest(listed).table_valued("client_id").render_derived(name="m")
        mine = sa.select(table).where(table.c.client_id == each.c.client_id)
        # The scope's other filters inside too (the fence keeps them from being pushed down).
        counters = self._where(mine, table.c, scope).offset(0).lateral("s")
        return sa.join(each, counters, sa.true()), counters.c

    def _where(self, statement: Any, c: Any, scope: StatsScope) -> Any:
        if scope.client_id is not None:
            statement = statement.where(c.client_id == scope.client_id)
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
        source, c = await self._source(table, scope)
        slot = (c.channel_id, c.type_id, c.weekday, c.hour)
        counted = [c[name] for name in (*_COUNTS, *_WEIGHTED)]
        if table is stats_slots or (table is stats_client_slots and scope.client_id is not None):
            statement = sa.select(*slot, *counted)  # one row per slot already: nothing to sum
        else:
            statement = sa.select(*slot, *(sa.func.sum(n) for n in counted)).group_by(*slot)
        rows = await self._conn.execute(self._where(statement.select_from(source), c, scope))
        # Positional: thousands of rows for everybody, where reading each field by name shows.
        return [SlotCounts(*row) for row in rows]

    async def slot_counts_by_client(
        self, client_ids: list[int], type_id: int | None
    ) -> dict[int, list[SlotCounts]]:
        c = stats_client_slots.c
        found: dict[int, list[SlotCounts]] = defaultdict(list)
        columns = (
            c.client_id,
            c.channel_id,
            c.type_id,
            c.weekday,
            c.hour,
            *(c[name] for name in (*_COUNTS, *_WEIGHTED)),
        )
        # One statement on PostgreSQL (an array parameter, nothing rendered per id); chunks keep
        # SQLite under its bound-parameter limit.
        step = max(len(client_ids), 1) if self._conn.dialect.name == "postgresql" else 5_000
        for start in range(0, len(client_ids), step):
            chunk = client_ids[start : start + step]
            statement = sa.select(*columns).where(among(c.client_id, chunk, self._conn.dialect))
            if type_id is not None:
                statement = statement.where(c.type_id == type_id)
            # Positional, as in ``slot_counts``: an audience's counters are tens of thousands of rows.
            for client_id, *counted in await self._conn.execute(statement):
                found[client_id].append(SlotCounts(*counted))
        return dict(found)

    async def employee_counts(self, scope: StatsScope) -> list[EmployeeCounts]:
        table = stats_client_days if scope.personal else stats_team_days
        source, c = await self._source(table, scope)
        statement = (
            sa.select(c.employee_id, *(sa.func.sum(c[name]).label(name) for name in _COUNTS))
            .select_from(source)
            .group_by(c.employee_id)
            .order_by(c.employee_id)
        )
        rows = await self._conn.execute(self._where(statement, c, scope))
        return [
            EmployeeCounts(row.employee_id, int(row.attempts), int(row.delivered), int(row.responses))
            for row in rows
            if row.attempts
        ]

    async def rebuild(self) -> int:
        from adapters.sqlalchemy.communications import communications as history

        for table, _, _ in _TABLES:
            await self._conn.execute(table.delete())
        if self._conn.dialect.name == "postgresql":
            await count_stored(self._conn, "true", {})
            found = await self._conn.execute(sa.select(sa.func.sum(stats_slots.c.attempts)))
            return int(found.scalar_one() or 0)
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
        await apply(self._conn, [], chunk)

    async def snapshot(self) -> StatsSnapshot:
        async def rows(table: sa.Table, key: tuple[str, ...]) -> list[Any]:
            found = await self._conn.execute(
                sa.select(table).where(table.c.attempts != 0).order_by(*(table.c[k] for k in key))
            )
            return [row._mapping for row in found]

        def counted(row: Any, weighted: bool = False) -> dict[str, Any]:
            found = {name: row[name] for name in _COUNTS}
            return {**found, "weighted_attempts": row["w_attempts"]} if weighted else found

        return StatsSnapshot(
            [
                CounterRow(**{k: r[k] for k in _CLIENT_KEY}, **counted(r, weighted=True))
                for r in await rows(stats_client_slots, _CLIENT_KEY)
            ],
            [
                DailyRow(**{k: r[k] for k in _DAILY_KEY}, **counted(r))
                for r in await rows(stats_daily_slots, _DAILY_KEY)
            ],
            [
                DetailRow(**{k: r[k] for k in (*_CLIENT_DAY_KEY, "weekday")}, **counted(r))
                for r in await rows(stats_client_days, _CLIENT_DAY_KEY)
            ],
            [
                TeamDayRow(**{k: r[k] for k in (*_TEAM_DAY_KEY, "weekday")}, **counted(r))
                for r in await rows(stats_team_days, _TEAM_DAY_KEY)
            ],
            [
                TotalRow(**{k: r[k] for k in _SLOT_KEY}, **counted(r, weighted=True))
                for r in await rows(stats_slots, _SLOT_KEY)
            ],
        )
