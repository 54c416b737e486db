"""Bulk writes for the send request: many rows in few round trips, in the unit of work's transaction.

PostgreSQL takes the rows by ``COPY`` (asyncpg's ``copy_records_to_table``), SQLite by one
``executemany`` in the driver's thread. Either way every value first passes the column type's own
bind processor, so the stored rows are the ones a Core ``insert()`` would have written. Ids are
taken ahead, in one statement, so that rows of other tables can name them in the same COPY.

Both drivers run these statements on the connection SQLAlchemy holds, inside its transaction: the
caller must have run at least one statement through SQLAlchemy first (asyncpg's adapter opens its
transaction lazily), which the send request does by inserting its own row before any of these.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

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
        # A COPY costs two round trips (asyncpg first asks for the column types); a few rows go
        # faster as one ordinary INSERT, which SQLAlchemy prepares once and caches.
        await connection.execute(table.insert(), [dict(zip(columns, row, strict=True)) for row in given])
        return
    dialect = connection.dialect
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
    driver = (await connection.get_raw_connection()).driver_connection
    assert driver is not None
    if dialect.name == "postgresql":
        await driver.copy_records_to_table(table.name, records=processed, columns=list(columns))
        return
    placeholders = ", ".join("?" for _ in columns)
    await driver.executemany(
        f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({placeholders})", processed
    )


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
        statement = sa.text(
            f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) FROM generate_series(1, :n)"
        )
        return [int(i) for i in (await connection.execute(statement, {"n": count})).scalars()]
    seq = (
        await connection.execute(
            sa.text("SELECT seq FROM sqlite_sequence WHERE name = :name"), {"name": table.name}
        )
    ).scalar()
    highest = (await connection.execute(sa.select(sa.func.max(table.c.id)))).scalar()
    start = max(int(seq or 0), int(highest or 0)) + 1
    return list(range(start, start + count))
