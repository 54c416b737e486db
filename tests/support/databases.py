"""Real databases for tests: a migrated SQLite file and a throw-away PostgreSQL database.

Each is migrated once per test session with Alembic (the same path production takes) and
emptied between tests. PostgreSQL comes from TEST_DATABASE_URL; under CI its absence fails the
run instead of skipping, so the PostgreSQL tests can never silently not run there.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

import asyncpg
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from adapters.sqlalchemy.engine import create_engine
from adapters.sqlalchemy.migrate import upgrade
from adapters.sqlalchemy.tables import metadata

T = TypeVar("T")


def off_loop(function: Callable[[], T]) -> T:
    """Runs blocking set-up in its own thread: fixtures may be built while an event loop runs."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function).result()


def postgres_admin_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url and os.environ.get("CI"):
        raise RuntimeError("CI must run the PostgreSQL tests: set TEST_DATABASE_URL")
    return url


@contextmanager
def temporary_postgres_database() -> Iterator[str]:
    """Creates a uniquely named database on the server of TEST_DATABASE_URL, drops it afterwards."""
    admin = postgres_admin_url()
    assert admin is not None
    name = f"switchboard_test_{uuid.uuid4().hex[:10]}"
    dsn = make_url(admin).set(drivername="postgresql").render_as_string(hide_password=False)

    async def run(sql: str) -> None:
        connection = await asyncpg.connect(dsn)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    off_loop(lambda: asyncio.run(run(f'CREATE DATABASE "{name}"')))
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        off_loop(lambda: asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')))


def migrated(url: str) -> str:
    off_loop(lambda: upgrade(url))
    return url


async def empty_all_tables(engine: sa.ext.asyncio.AsyncEngine) -> None:
    tables = [t for t in metadata.sorted_tables]
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            await connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                await connection.execute(table.delete())
            await connection.execute(sa.text("DELETE FROM sqlite_sequence"))


__all__ = [
    "create_engine",
    "empty_all_tables",
    "migrated",
    "postgres_admin_url",
    "temporary_postgres_database",
]
