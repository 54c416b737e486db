"""Seeds a benchmark database: organisation, 100k clients, and N communications over a year.

PostgreSQL takes the history through COPY (asyncpg), SQLite through batched executemany.
"""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy.communications import communications
from adapters.sqlalchemy.engine import create_engine
from adapters.sqlalchemy.tables import (
    channels,
    clients,
    communication_types,
    companies,
    departments,
    employees,
)
from bench.history import World, year_end
from bench.history import communications as history_rows
from bench.seed_clients import seed as seed_clients

DEPARTMENTS = 20
EMPLOYEES = 200


async def seed(database_url: str, *, clients: int, count: int, batch: int = 20_000) -> World:
    await seed_clients(database_url, clients)  # ids 1…clients in a fresh database
    engine = create_engine(database_url)
    async with engine.begin() as connection:
        world = await _organisation(connection)
        started = time.perf_counter()
        rows = history_rows(world, count, end=year_end())
        columns = [c.name for c in communications.columns if c.name != "id"]
        while chunk := list(itertools.islice(rows, batch)):
            await _insert(connection, columns, chunk)
        if connection.dialect.name == "postgresql":
            await connection.execute(sa.text("ANALYZE communications"))
        print(f"seeded {count:,} communications in {time.perf_counter() - started:.0f} s")
    await engine.dispose()
    return world


async def _insert(connection: AsyncConnection, columns: list[str], chunk: list[dict[str, Any]]) -> None:
    if connection.dialect.name == "postgresql":
        raw = (await connection.get_raw_connection()).driver_connection
        assert raw is not None
        records = [tuple(row[c] for c in columns) for row in chunk]
        await raw.copy_records_to_table("communications", records=records, columns=columns)
    else:
        await connection.execute(communications.insert(), chunk)


async def _organisation(connection: AsyncConnection) -> World:
    """Departments and employees to spread the history over; types and channels are the defaults."""
    now = datetime(2025, 1, 1, tzinfo=UTC)
    stamp = {"create_time": now, "update_time": now}
    company = (
        await connection.execute(
            companies.insert().values(name="Bench Motors", code="bench", **stamp).returning(companies.c.id)
        )
    ).scalar_one()
    department_ids = [
        (
            await connection.execute(
                departments.insert()
                .values(
                    company_id=company,
                    name=f"Dept {n}",
                    code=f"d{n}",
                    time_zone="Europe/Moscow",
                    working_hours=(),
                    parent_id=None,
                    **stamp,
                )
                .returning(departments.c.id)
            )
        ).scalar_one()
        for n in range(DEPARTMENTS)
    ]
    employee_rows = [
        {
            "login": f"bench{n}",
            "password_hash": "-",
            "active": True,
            "department_id": department_ids[n % DEPARTMENTS],
            "first_name": "Bench",
            "last_name": f"Operator {n}",
            **stamp,
        }
        for n in range(EMPLOYEES)
    ]
    await connection.execute(employees.insert(), employee_rows)
    return await load_world(connection)


async def load_world(connection: AsyncConnection) -> World:
    """The ids a seeded database holds, to draw a history or query parameters from."""
    company = (
        await connection.execute(sa.select(companies.c.id).where(companies.c.code == "bench"))
    ).scalar_one()
    department_ids = list(
        (
            await connection.execute(sa.select(departments.c.id).where(departments.c.company_id == company))
        ).scalars()
    )
    employee_ids = list(
        (
            await connection.execute(sa.select(employees.c.id).where(employees.c.login.like("bench%")))
        ).scalars()
    )
    clients_count = (await connection.execute(sa.select(sa.func.count()).select_from(clients))).scalar_one()
    type_ids = list((await connection.execute(sa.select(communication_types.c.id))).scalars())
    channel_ids = dict((await connection.execute(sa.select(channels.c.code, channels.c.id))).tuples().all())
    wanted = ("sms", "messenger", "email", "push", "call", "visit")
    return World(
        client_ids=range(1, clients_count + 1),
        channel_ids_by_code={code: channel_ids[code] for code in wanted},
        type_ids=type_ids,
        department_ids=department_ids,
        employee_ids=employee_ids,
    )
