"""A bulk send's clients, read in one statement: the rows its repository would give, made cheaper.

On PostgreSQL the statement runs on the driver with the whole audience as one array: SQLAlchemy's
result rows and a mapping per row cost several µs a client, a large share of a 100,000-client
accept's loading. The JSON columns arrive decoded by the connection's codec (the engine's
``decode_json``); each value then passes its column's own result conversion, so a client is the one
``clients.get_many`` gives.
Elsewhere the same rows come through SQLAlchemy, in chunks under the bound-parameter limit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy.bulk import among
from adapters.sqlalchemy.fastpath import driver_in_transaction
from adapters.sqlalchemy.filters import int_range, unstorable
from adapters.sqlalchemy.repository import columns_of
from adapters.sqlalchemy.send_setting import row_entity
from adapters.sqlalchemy.tables import clients
from domain.clients import Client

CHUNK = 5_000
"""Ids per statement off PostgreSQL (SQLite's bound-parameter limit is lower)."""

_Converter = Callable[[Any], Any] | None


async def audience_clients(connection: AsyncConnection, client_ids: Sequence[int]) -> dict[int, Client]:
    """The clients of these ids, by id; ids of no client are left out."""
    wanted = list(dict.fromkeys(client_ids))
    if not wanted:
        return {}
    bounds = int_range(clients.c.id)
    if bounds is None or not bounds[0] <= min(wanted) <= max(wanted) <= bounds[1]:
        # Ids beyond the column are of no client (the database would refuse them in the array).
        wanted = [i for i in wanted if not unstorable(clients.c.id, i)]
        if not wanted:
            return {}
    if connection.dialect.name != "postgresql":
        found: dict[int, Client] = {}
        for start in range(0, len(wanted), CHUNK):
            statement = sa.select(clients).where(
                among(clients.c.id, wanted[start : start + CHUNK], connection.dialect)
            )
            for row in (await connection.execute(statement)).mappings():
                found[row["id"]] = row_entity(Client, clients, cast(Mapping[str, Any], row))
        return found
    sql, converters = _statement(connection.dialect)
    driver = await driver_in_transaction(connection)
    records = await driver.fetch(sql, wanted)
    names = _names()
    found = {}
    for record in records:
        state = dict(zip(names, record, strict=True))
        for name, convert in converters:
            value = state[name]
            if value is not None:
                state[name] = convert(value)
        made = object.__new__(Client)
        made.__dict__.update(state)
        found[made.id] = made  # type: ignore[index]  # read from the primary key: never None
    return found


@cache
def _names() -> tuple[str, ...]:
    return ("id", *columns_of(Client, clients))


@cache
def _statement(dialect: Dialect) -> tuple[str, tuple[tuple[str, Callable[[Any], Any]], ...]]:
    """The PostgreSQL statement, and per column that needs one the conversion of its value."""
    selected: list[str] = []
    converters: list[tuple[str, Callable[[Any], Any]]] = []
    for name in _names():
        column = clients.c[name]
        selected.append(f'"{name}"')
        process: _Converter = column.type.dialect_impl(dialect).result_processor(dialect, None)
        if process is not None:
            converters.append((name, process))
    sql = f"SELECT {', '.join(selected)} FROM {clients.name} WHERE id = ANY($1)"
    return sql, tuple(converters)
