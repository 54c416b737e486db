"""Bulk writes for the send request: many rows in few round trips, in the unit of work's transaction.

PostgreSQL takes the rows by ``COPY`` (asyncpg's ``copy_records_to_table``), SQLite by one
``executemany`` in the driver's thread. Either way every value first passes the column type's own
bind processor, so the stored rows are the ones a Core ``insert()`` would have written. Ids are
taken ahead, in one statement, so that rows of other tables can name them in the same COPY.

Both drivers run these statements on the connection SQLAlchemy holds, inside the unit of work's
transaction (asyncpg's adapter opens it lazily: ``fastpath.driver_in_transaction`` opens it first).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy.fastpath import driver_execute_many, driver_in_transaction, driver_rows

SMALL = 32
"""Up to this many rows, a plain INSERT: a single send is one client, and its latency counts."""


def _processors(table: sa.Table, columns: Sequence[str], dialect: Any) -> list[Callable[[Any], Any] | None]:
    return [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns]


async def insert_rows(
    connection: AsyncConnection, table: sa.Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Insert ``rows`` (tuples in the order of ``columns``) into ``table``."""
    given = rows if isinstance(rows, Sequence) else list(rows)
    if not given:
        return
    if len(given) <= SMALL:
        await _insert_few(connection, table, columns, given)
        return
    await _write(connection, table, columns, _prepared(table, columns, given, connection.dialect))


class PipelinedInserts:
    """Inserts into several tables, each table's rows prepared while the previous table's COPY runs.

    A COPY of 100,000 rows keeps the database busy well after Python has handed it the rows; the
    next table's rows (built, then through their bind processors: times, enums, JSON) are made
    meanwhile, in slices that let the running COPY go on. The tables are still written one after
    the other, on the one connection: nothing else may use it until ``finish`` returns.
    """

    def __init__(self, connection: AsyncConnection) -> None:
        self._conn = connection
        self._running: asyncio.Task[None] | None = None

    async def add(self, table: sa.Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        """Insert ``rows`` into ``table`` after the tables before; ``rows`` may be a generator,
        consumed in slices while the previous COPY runs."""
        source = iter(rows)
        head = list(itertools.islice(source, SMALL + 1))
        if not head:
            return
        if len(head) <= SMALL:
            await self._wait()
            await _insert_few(self._conn, table, columns, head)
            return
        prepared = _prepared(table, columns, head, self._conn.dialect)
        while chunk := list(itertools.islice(source, _SLICE)):
            await self.turn()
            prepared += _prepared(table, columns, chunk, self._conn.dialect)
        await self._wait()
        self._running = asyncio.ensure_future(_write(self._conn, table, columns, prepared))

    async def turn(self) -> None:
        """Let the running COPY send its next buffer: call it between slices of other work."""
        if self._running is not None:
            await asyncio.sleep(0)

    async def finish(self) -> None:
        """Wait for the last COPY; the connection is free again."""
        await self._wait()

    async def cancel(self) -> None:
        """After a failure: stop the running COPY (the transaction is rolled back anyway)."""
        running, self._running = self._running, None
        if running is not None and not running.done():
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await running

    async def _wait(self) -> None:
        running, self._running = self._running, None
        if running is not None:
            await running


_SLICE = 2_000
"""Rows prepared between two turns of the running COPY."""


async def _insert_few(
    connection: AsyncConnection, table: sa.Table, columns: Sequence[str], given: Sequence[Sequence[Any]]
) -> None:
    # A COPY costs two round trips (asyncpg first asks for the column types); a few rows go
    # faster as one ordinary INSERT, prepared once, on the driver (fastpath.driver_execute_many).
    statement = _plain_insert(table, tuple(columns))
    await driver_execute_many(connection, statement, [dict(zip(columns, row, strict=True)) for row in given])


def _prepared(
    table: sa.Table, columns: Sequence[str], given: Sequence[Sequence[Any]], dialect: Any
) -> list[Sequence[Any]]:
    """The rows with every value through its column type's bind processor."""
    # Only the columns whose type converts values: most (integers, text) go to the driver as they are.
    converting = [(i, p) for i, p in enumerate(_processors(table, columns, dialect)) if p is not None]
    # A send's rows share most values (its time, type, status): the same object, converted once.
    last: list[tuple[Any, Any]] = [(None, None)] * len(converting)
    processed: list[Sequence[Any]] = []
    for values in given:
        row = list(values)
        for at, (index, process) in enumerate(converting):
            value = row[index]
            if value is None:
                continue
            seen, converted = last[at]
            if value is not seen:
                converted = process(value)
                last[at] = (value, converted)
            row[index] = converted
        processed.append(row)
    return processed


async def _write(
    connection: AsyncConnection, table: sa.Table, columns: Sequence[str], processed: list[Sequence[Any]]
) -> None:
    driver = await driver_in_transaction(connection)
    assert driver is not None
    if connection.dialect.name == "postgresql":
        await driver.copy_records_to_table(table.name, records=processed, columns=list(columns))
        return
    placeholders = ", ".join("?" for _ in columns)
    await driver.executemany(
        f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({placeholders})", processed
    )


_PLAIN_INSERTS: dict[tuple[str, tuple[str, ...]], sa.Insert] = {}


def _plain_insert(table: sa.Table, columns: tuple[str, ...]) -> sa.Insert:
    key = (table.name, columns)
    statement = _PLAIN_INSERTS.get(key)
    if statement is None:
        statement = _PLAIN_INSERTS[key] = table.insert().values({n: sa.bindparam(n) for n in columns})
    return statement


def among(column: sa.ColumnElement[Any], values: Sequence[Any], dialect: Any) -> sa.ColumnElement[bool]:
    """``column IN (values)``; on PostgreSQL ``= ANY(array)``: one parameter however many values,
    so a 100,000-client audience is one statement with nothing to render per id."""
    if dialect.name == "postgresql":
        array = sa.bindparam(None, list(values), type_=postgresql.ARRAY(column.type))
        return column == sa.any_(array)
    return column.in_(values)


async def take_ids(connection: AsyncConnection, table: sa.Table, count: int) -> list[int]:
    """``count`` new ids of ``table``'s integer primary key, for rows inserted with them given.

    PostgreSQL: drawn from the column's sequence, so concurrent writers never collide. SQLite: the
    next ones after the AUTOINCREMENT counter; there is one writer, and this transaction already
    holds the write lock (it wrote before), so nobody takes them meanwhile. Writing rows with these
    ids moves the counter past them.
    """
    if count == 0:
        return []
    if connection.dialect.name == "postgresql":
        rows = await driver_rows(connection, _next_ids(table.name), {"n": count})
        return [int(row["id"]) for row in rows]
    seq = [row["seq"] for row in await driver_rows(connection, _SQLITE_NEXT_ID, {"name": table.name})]
    (highest,) = await driver_rows(connection, _highest_id(table), {})
    start = max(int(seq[0] if seq else 0), int(highest["id"] or 0)) + 1
    return list(range(start, start + count))


async def reserve_ids(connection: AsyncConnection, table: sa.Table, last: int) -> None:
    """SQLite: move ``table``'s AUTOINCREMENT counter to ``last``, ids ``take_ids`` gave for rows
    written in a later transaction (a bulk send's pending communications); nobody takes them then."""
    found = await driver_rows(connection, _SQLITE_NEXT_ID, {"name": table.name})
    if found:
        await connection.execute(_SQLITE_RESERVE, {"name": table.name, "last": last})
    else:
        await connection.execute(_SQLITE_FIRST, {"name": table.name, "last": last})


_SQLITE_RESERVE = sa.text("UPDATE sqlite_sequence SET seq = MAX(seq, :last) WHERE name = :name")
_SQLITE_FIRST = sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES (:name, :last)")
_SQLITE_NEXT_ID = sa.text("SELECT seq FROM sqlite_sequence WHERE name = :name").columns(seq=sa.Integer)
_ID_STATEMENTS: dict[tuple[str, str], sa.ClauseElement] = {}


def _next_ids(table_name: str) -> sa.ClauseElement:
    key = ("next", table_name)
    if key not in _ID_STATEMENTS:
        # The sequence is looked up once (a MATERIALIZED CTE): named inside nextval(), the lookup
        # ran for every row, and 100,000 ids took 0.5 s instead of 0.06 s.
        _ID_STATEMENTS[key] = sa.text(
            f"WITH s AS MATERIALIZED (SELECT pg_get_serial_sequence('{table_name}', 'id')::regclass AS seq) "
            "SELECT nextval(s.seq) AS id FROM s, generate_series(1, :n)"
        ).columns(id=sa.BigInteger)
    return _ID_STATEMENTS[key]


def _highest_id(table: sa.Table) -> sa.ClauseElement:
    key = ("highest", table.name)
    if key not in _ID_STATEMENTS:
        _ID_STATEMENTS[key] = sa.select(sa.func.max(table.c.id).label("id"))
    return _ID_STATEMENTS[key]
