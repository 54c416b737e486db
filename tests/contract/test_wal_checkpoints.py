"""SQLite's write-ahead log is checkpointed beside the writers, and bounded if that ever fails."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sqlalchemy.checkpoints import FALLBACK_PAGES
from adapters.sqlalchemy.engine import checkpoints_of
from adapters.sqlalchemy.fastpath import raw_connection
from adapters.sqlalchemy.unit_of_work import SqlUnitOfWorkFactory
from domain.clients import Client
from tests.support.databases import create_engine, empty_all_tables

NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
async def engine(sqlite_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(sqlite_url)
    await empty_all_tables(engine)
    try:
        yield engine
    finally:
        await engine.dispose()


async def add_clients(factory: SqlUnitOfWorkFactory, count: int) -> None:
    for n in range(count):
        async with factory() as uow:
            await uow.clients.add(Client(first_name=f"C{n}", create_time=NOW, update_time=NOW))
            await uow.commit()


async def test_commits_start_a_checkpoint_that_copies_the_whole_log(engine: AsyncEngine) -> None:
    checkpoints = checkpoints_of(engine)
    assert checkpoints is not None, "an SQLite file engine made by create_engine checkpoints its log"
    factory = SqlUnitOfWorkFactory(engine)
    await add_clients(factory, checkpoints._every)
    await checkpoints.settled()
    assert checkpoints.last is not None
    busy, in_log, copied = checkpoints.last
    assert busy == 0 and in_log > 0 and copied == in_log
    async with factory(read_only=True) as uow:
        assert len(await uow.clients.get_many(range(1, 10_000))) >= checkpoints._every


async def test_the_engine_connections_checkpoint_only_a_log_far_longer(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        driver = (await raw_connection(conn)).driver_connection
        rows = await driver.execute_fetchall("PRAGMA wal_autocheckpoint", ())
    assert rows[0][0] == FALLBACK_PAGES


async def test_a_failed_checkpoint_is_retried_on_a_new_connection(engine: AsyncEngine) -> None:
    checkpoints = checkpoints_of(engine)
    assert checkpoints is not None
    factory = SqlUnitOfWorkFactory(engine)
    await add_clients(factory, checkpoints._every)
    await checkpoints.settled()
    broken = checkpoints._connection
    await broken.close()  # the next checkpoint fails on it and drops it
    await add_clients(factory, checkpoints._every)
    await checkpoints.settled()
    assert checkpoints._connection is None
    await add_clients(factory, checkpoints._every)
    await checkpoints.settled()
    assert checkpoints._connection is not None and checkpoints._connection is not broken
    assert checkpoints.last is not None and checkpoints.last[0] == 0
