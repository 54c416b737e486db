"""Units of work beyond PostgreSQL's fixed pool wait their turn, in arrival order (issue 7's write tail).

A connection given back while units wait goes to the first of them itself, never through the pool's
queue, where a newcomer could take it first and send the waiter to the back again.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy.unit_of_work import SqlUnitOfWork, SqlUnitOfWorkFactory
from tests.support.databases import create_engine, empty_all_tables

pytestmark = pytest.mark.postgres

POOL = 2


@pytest.fixture
async def factory(postgres_url: str) -> AsyncIterator[SqlUnitOfWorkFactory]:
    engine = create_engine(postgres_url, pool_size=POOL)
    await empty_all_tables(engine)
    try:
        yield SqlUnitOfWorkFactory(engine)
    finally:
        await engine.dispose()


async def held(factory: SqlUnitOfWorkFactory) -> list[SqlUnitOfWork]:
    """Every pooled connection in an open unit of work."""
    units = [factory() for _ in range(POOL)]
    for unit in units:
        await unit.__aenter__()
    return units


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def test_waiting_units_are_served_in_arrival_order_with_the_connection_given_back(
    factory: SqlUnitOfWorkFactory,
) -> None:
    served: list[tuple[str, AsyncConnection]] = []

    async def unit(name: str) -> None:
        async with factory() as uow:
            served.append((name, uow.connection))
            await uow.connection.execute(sa.text("SELECT 1"))

    first, second = await held(factory)
    given_back = first.connection
    waiting = [asyncio.create_task(unit(f"waiter {n}")) for n in range(4)]
    await settle()
    # A newcomer that starts just as a connection is given back must still queue behind the waiters.
    late = asyncio.create_task(unit("late"))
    await first.__aexit__(None, None, None)
    await settle()
    await second.__aexit__(None, None, None)
    async with asyncio.timeout(10):
        await asyncio.gather(*waiting, late)
    assert [name for name, _ in served] == ["waiter 0", "waiter 1", "waiter 2", "waiter 3", "late"]
    assert served[0][1] is given_back  # handed over, not returned to the pool and checked out again


async def test_a_unit_that_waits_longer_than_the_pool_timeout_fails_and_leaves_the_count_right(
    factory: SqlUnitOfWorkFactory,
) -> None:
    factory._connections._timeout = 0.2
    units = await held(factory)
    with pytest.raises(sa.exc.TimeoutError):
        async with factory():
            pass
    for unit in units:
        await unit.__aexit__(None, None, None)
    again = await held(factory)  # every place free again: none lost to the unit that gave up
    for unit in again:
        await unit.__aexit__(None, None, None)


async def test_a_waiter_cancelled_as_it_is_handed_a_connection_passes_it_on(
    factory: SqlUnitOfWorkFactory,
) -> None:
    first, second = await held(factory)

    async def unit() -> None:
        async with factory():
            pass

    cancelled, next_one = asyncio.create_task(unit()), asyncio.create_task(unit())
    await settle()
    await first.__aexit__(None, None, None)  # handed to the first waiter ...
    cancelled.cancel()  # ... which gives up before it runs
    async with asyncio.timeout(10):
        await next_one
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    await second.__aexit__(None, None, None)
    async with asyncio.timeout(10):
        again = await held(factory)
    for unit_of_work in again:
        await unit_of_work.__aexit__(None, None, None)


async def test_a_reader_closing_its_connection_frees_its_place_for_a_waiting_writer(
    factory: SqlUnitOfWorkFactory,
) -> None:
    writer = factory()
    await writer.__aenter__()
    async with factory(read_only=True) as reader:
        await reader.connection.execute(sa.text("SELECT 1"))  # an SQLAlchemy connection: the second
        waiting = asyncio.create_task(held(factory))
        await settle()
        await writer.__aexit__(None, None, None)
    async with asyncio.timeout(10):
        units = await waiting
    for unit in units:
        await unit.__aexit__(None, None, None)
