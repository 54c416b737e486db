"""Seeds the issue's statistics size (10M communications, 1M clients) in SQL: generate_series on
PostgreSQL, a recursive CTE on SQLite, so that the database generates the rows rather than Python.

The history has the shape of bench/history.py (channel weights, peak hours, weekday factors, a
stable per-client bias), drawn by the database's own seeded random(). Organisation, types and
channels come from bench/seed_history.py and the bootstrap, as for the other benches.
"""

from __future__ import annotations

import time
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy.engine import create_engine
from bench.history import CHANNEL_SUCCESS, PEAK_HOURS, WEEKDAY_FACTOR, World, year_end
from bench.seed_history import _organisation

ZONES = ("Europe/Moscow", "Europe/Kaliningrad", "Asia/Yekaterinburg", "Asia/Novosibirsk", "Asia/Vladivostok")
CHANNEL_WEIGHTS = {"sms": 5, "messenger": 3, "email": 4, "push": 3, "call": 3, "visit": 1}
DISPATCHED = ("sms", "messenger", "email", "push")


def _channel_cases(world: World, draw: str, hour: str) -> tuple[str, str, str]:
    """SQL CASEs on a draw in [0, total weight): the channel id, its success rate at ``hour``,
    and whether it is dispatched by a provider."""
    ids, rates, dispatched, low = [], [], [], 0
    for code, weight in CHANNEL_WEIGHTS.items():
        when = f"WHEN {draw} < {low + weight}"
        peaks = ", ".join(str(h) for h in PEAK_HOURS[code])
        factor = (
            f"(CASE WHEN {hour} IN ({peaks}) THEN 1.3 WHEN {hour} < 7 OR {hour} > 22 THEN 0.35 ELSE 1.0 END)"
        )
        ids.append(f"{when} THEN {world.channel_ids_by_code[code]}")
        rates.append(f"{when} THEN {CHANNEL_SUCCESS[code]} * {factor}")
        dispatched.append(f"{when} THEN {int(code in DISPATCHED)}")
        low += weight
    return tuple(f"(CASE {' '.join(parts)} END)" for parts in (ids, rates, dispatched))  # type: ignore[return-value]


def _weekday_factor(dow: str) -> str:
    """Python's weekday (Monday 0) factor for a day-of-week with Sunday 0 (SQL's dow)."""
    by_dow = [WEEKDAY_FACTOR[(d - 1) % 7] for d in range(7)]
    return f"(CASE {dow} " + " ".join(f"WHEN {d} THEN {f}" for d, f in enumerate(by_dow)) + " END)"


async def seed(url: str, *, clients: int, count: int) -> None:
    engine = create_engine(url)
    async with engine.begin() as connection:
        world = await _organisation(connection)
        started = time.perf_counter()
        if connection.dialect.name == "postgresql":
            await _postgres(connection, world, clients, count)
        else:
            await _sqlite(connection, world, clients, count)
        print(
            f"seeded {clients:,} clients and {count:,} communications "
            f"in {time.perf_counter() - started:.0f} s"
        )
    await engine.dispose()


def _client_columns(i: str, zone: str, now: str) -> str:
    return (
        f"{i}, 'Client', 'N' || {i}, '[]', 'client' || {i} || '@example.com', 'ru', {zone}, "
        f"{i} % 17 != 0, '[]', {now}, {now}"
    )


_CLIENTS = (
    "id, first_name, last_name, phones, email, language, time_zone, available, tags, create_time, update_time"
)
_HISTORY = (
    "uuid, type_id, channel_id, direction, kind, status, delivery_status, client_id, employee_id, "
    "department_id, scheduled_at, started_at, finished_at, failure_reason, provider, attempts, "
    "create_time, update_time"
)


async def _postgres(connection: AsyncConnection, world: World, clients: int, count: int) -> None:
    zones = "ARRAY[" + ", ".join(f"'{z}'" for z in ZONES) + "]"
    await connection.execute(
        sa.text(
            f"INSERT INTO clients ({_CLIENTS}) SELECT "
            + _client_columns("i", f"({zones})[1 + i % {len(ZONES)}]", "now()")
            + f" FROM generate_series(1, {clients}) i"
        )
    )
    await connection.execute(sa.text("SELECT setval('clients_id_seq', (SELECT max(id) FROM clients))"))
    # Bulk load: indexes rebuilt once at the end, foreign keys (all known to hold) not checked per row.
    indexes = (
        await connection.execute(
            sa.text(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = 'communications' "
                "AND i.indexname NOT IN "
                "(SELECT conname FROM pg_constraint WHERE conrelid = 'communications'::regclass)"
            )
        )
    ).all()
    for name, _ in indexes:
        await connection.execute(sa.text(f'DROP INDEX "{name}"'))
    await connection.execute(sa.text("SET LOCAL session_replication_role = replica"))
    await connection.execute(sa.text("SELECT setseed(0.11)"))
    end = year_end()
    start = end - timedelta(days=365)
    channel, rate, dispatched = _channel_cases(world, "r.draw", "extract(hour FROM r.at)")
    weekday = _weekday_factor("extract(dow FROM r.at)")
    types = "ARRAY[" + ", ".join(map(str, world.type_ids)) + "]"
    employees = "ARRAY[" + ", ".join(map(str, world.employee_ids)) + "]"
    departments = "ARRAY[" + ", ".join(map(str, world.department_ids)) + "]"
    total = sum(CHANNEL_WEIGHTS.values())
    await connection.execute(
        sa.text(
            f"""
INSERT INTO communications ({_HISTORY})
SELECT lpad(to_hex(g.i), 32, '0')::uuid::text, g.type_id, g.channel_id,
       CASE WHEN g.channel_id = {world.channel_ids_by_code["visit"]} OR g.r3 < 0.1
            THEN 'inbound' ELSE 'outbound' END,
       CASE WHEN g.dispatched = 1 THEN 'planned' ELSE 'fact' END,
       CASE WHEN g.ok THEN 'done' WHEN g.r3 < 0.8 THEN 'failed' ELSE 'cancelled' END,
       CASE WHEN g.dispatched = 0 THEN NULL WHEN NOT g.ok THEN 'undelivered'
            WHEN g.r4 < 0.7 THEN 'delivered' ELSE 'read' END,
       g.client_id, g.employee_id, g.department_id,
       CASE WHEN g.dispatched = 1 THEN g.at END, g.at,
       CASE WHEN g.ok THEN g.at + interval '5 minutes' END,
       CASE WHEN NOT g.ok THEN 'no answer' END,
       CASE WHEN g.dispatched = 1 THEN 'sandbox' END, g.dispatched, g.at, g.at + interval '5 minutes'
FROM (
    SELECT r.*, {channel} AS channel_id, {dispatched} AS dispatched,
           r.r2 < least(0.98, {rate} * {weekday}
                             * (0.7 + (r.client_id::bigint * 2654435761 % 1000) / 1666.0)) AS ok
    FROM (
        SELECT i, '{start.isoformat()}'::timestamptz + (i::float8 / {count}) * interval '365 days' AS at,
               floor(random() * {total}) AS draw, random() AS r2, random() AS r3, random() AS r4,
               1 + floor(random() * {clients})::int AS client_id,
               ({types})[1 + floor(random() * {len(world.type_ids)})::int] AS type_id,
               ({employees})[1 + floor(random() * {len(world.employee_ids)})::int] AS employee_id,
               ({departments})[1 + floor(random() * {len(world.department_ids)})::int] AS department_id
        FROM generate_series(1, {count}) i
    ) r
) g
"""
        )
    )
    await connection.execute(sa.text("SET LOCAL maintenance_work_mem = '512MB'"))
    for _, definition in indexes:
        await connection.execute(sa.text(definition))
    await connection.execute(
        sa.text(
            "SELECT setval(pg_get_serial_sequence('communications', 'id'), "
            "(SELECT max(id) FROM communications))"
        )
    )
    await connection.execute(sa.text("ANALYZE clients"))
    await connection.execute(sa.text("ANALYZE communications"))


async def _sqlite(connection: AsyncConnection, world: World, clients: int, count: int) -> None:
    zones = " ".join(f"WHEN {n} THEN '{z}'" for n, z in enumerate(ZONES))
    await connection.execute(
        sa.text(
            f"WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < {clients}) "
            f"INSERT INTO clients ({_CLIENTS}) SELECT "
            + _client_columns("i", f"(CASE i % {len(ZONES)} {zones} END)", "datetime('now')")
            + " FROM g"
        )
    )
    end = year_end()
    start = int((end - timedelta(days=365)).timestamp())
    span = 365 * 86400

    def pick(ids: list[int]) -> str:
        return (
            f"(CASE abs(random()) % {len(ids)} "
            + " ".join(f"WHEN {n} THEN {v}" for n, v in enumerate(ids))
            + " END)"
        )

    at = f"({start} + CAST(i AS REAL) / {count} * {span})"
    channel, rate, dispatched = _channel_cases(
        world, "r.draw", "CAST(strftime('%H', r.at, 'unixepoch') AS INTEGER)"
    )
    weekday = _weekday_factor("CAST(strftime('%w', r.at, 'unixepoch') AS INTEGER)")
    total = sum(CHANNEL_WEIGHTS.values())
    stamp = "strftime('%Y-%m-%d %H:%M:%f', {}, 'unixepoch')"
    await connection.execute(
        sa.text(
            f"""
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {count}),
r AS MATERIALIZED (
    SELECT i, {at} AS at, abs(random()) % {total} AS draw, abs(random()) % 1000 / 1000.0 AS r2,
           abs(random()) % 1000 / 1000.0 AS r3, abs(random()) % 1000 / 1000.0 AS r4,
           1 + abs(random()) % {clients} AS client_id, {pick(world.type_ids)} AS type_id,
           {pick(world.employee_ids)} AS employee_id, {pick(world.department_ids)} AS department_id
    FROM s
),
g AS MATERIALIZED (
    SELECT r.*, {channel} AS channel_id, {dispatched} AS dispatched,
           r.r2 < min(0.98, {rate} * {weekday} * (0.7 + (r.client_id * 2654435761 % 1000) / 1666.0)) AS ok
    FROM r
)
INSERT INTO communications ({_HISTORY})
SELECT printf('%08x-0000-4000-8000-%012x', g.i / 281474976710656, g.i % 281474976710656),
       g.type_id, g.channel_id,
       CASE WHEN g.channel_id = {world.channel_ids_by_code["visit"]} OR g.r3 < 0.1
            THEN 'inbound' ELSE 'outbound' END,
       CASE WHEN g.dispatched = 1 THEN 'planned' ELSE 'fact' END,
       CASE WHEN g.ok THEN 'done' WHEN g.r3 < 0.8 THEN 'failed' ELSE 'cancelled' END,
       CASE WHEN g.dispatched = 0 THEN NULL WHEN NOT g.ok THEN 'undelivered'
            WHEN g.r4 < 0.7 THEN 'delivered' ELSE 'read' END,
       g.client_id, g.employee_id, g.department_id,
       CASE WHEN g.dispatched = 1 THEN {stamp.format("g.at")} END, {stamp.format("g.at")},
       CASE WHEN g.ok THEN {stamp.format("g.at + 300")} END,
       CASE WHEN NOT g.ok THEN 'no answer' END,
       CASE WHEN g.dispatched = 1 THEN 'sandbox' END, g.dispatched,
       {stamp.format("g.at")}, {stamp.format("g.at + 300")}
FROM g
"""
        )
    )
    await connection.execute(sa.text("ANALYZE"))
