"""The driver-level statements store and read exactly what SQLAlchemy's own path would."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sqlalchemy.fastpath import insert_returning_id, row_by_id
from adapters.sqlalchemy.repository import statements
from adapters.sqlalchemy.tables import clients
from adapters.sqlalchemy.unit_of_work import SqlUnitOfWorkFactory
from domain.clients import Client
from domain.errors import Conflict
from tests.support.databases import create_engine, empty_all_tables

NOW = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)


def client_values(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "first_name": "Анна",
        "last_name": "O'Neil",
        "middle_name": None,
        "birth_date": date(1990, 5, 17),
        "phones": ["+79161234567"],
        "email": "anna@example.com",
        "social_media": None,  # JSON's None: SQLAlchemy decides how it is stored, so must we
        "language": "ru",
        "time_zone": "Europe/Moscow",
        "available": False,
        "project_id": None,
        "guid": None,
        "tags": ["vip", "ночь"],
        "create_time": NOW,
        "update_time": NOW,
    }
    return {**values, **overrides}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def engine(request: pytest.FixtureRequest) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(request.getfixturevalue(f"{request.param}_url"))
    await empty_all_tables(engine)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.mark.parametrize("social_media", [None, {"telegram": "@anna"}])
async def test_a_row_inserted_through_the_driver_is_stored_as_sqlalchemy_stores_it(
    engine: AsyncEngine, social_media: dict[str, str] | None
) -> None:
    values = client_values(social_media=social_media)
    async with engine.begin() as connection:
        by_sqlalchemy = (await connection.execute(statements(clients).insert, values)).scalar_one()
        by_driver = await insert_returning_id(connection, clients, values, statements(clients).insert)
    async with engine.connect() as connection:
        # Raw rows, as the database holds them: text formats of dates and JSON included.
        stored = (await connection.exec_driver_sql("SELECT * FROM clients ORDER BY id")).all()

    assert by_driver == by_sqlalchemy + 1
    first, second = (row._asdict() for row in stored)
    assert {**first, "id": None} == {**second, "id": None}


async def test_the_driver_reads_back_what_it_inserted(engine: AsyncEngine) -> None:
    values = client_values(social_media={"vk": "id1"})
    async with engine.begin() as connection:
        new_id = await insert_returning_id(connection, clients, values, statements(clients).insert)
    async with engine.connect() as connection:
        row = await row_by_id(connection, clients, new_id)

    assert row == {**values, "id": new_id}


async def test_a_driver_insert_rolls_back_with_its_unit_of_work(engine: AsyncEngine) -> None:
    factory = SqlUnitOfWorkFactory(engine)
    async with factory() as uow:
        await uow.clients.add(Client(first_name="Gone", create_time=NOW, update_time=NOW))
        # no commit
    async with factory(read_only=True) as uow:
        assert await uow.clients.count() == 0


async def test_a_constraint_the_database_catches_is_a_conflict(engine: AsyncEngine) -> None:
    factory = SqlUnitOfWorkFactory(engine)
    async with factory() as uow:
        with pytest.raises(Conflict, match="client"):
            await uow.clients.add(
                Client(first_name="Nobody", project_id=424242, create_time=NOW, update_time=NOW)
            )
    async with engine.connect() as connection:
        assert (await connection.execute(sa.select(sa.func.count()).select_from(clients))).scalar_one() == 0


@pytest.mark.postgres
async def test_a_writer_after_a_reader_on_the_same_connection_gets_its_transaction_back(
    postgres_url: str,
) -> None:
    # One pooled connection: the reader's autocommit switch must not outlive the reader.
    engine = create_engine(postgres_url, pool_size=1)
    await empty_all_tables(engine)
    factory = SqlUnitOfWorkFactory(engine)
    try:
        async with factory(read_only=True) as uow:
            assert await uow.clients.count() == 0
        async with factory() as uow:
            await uow.clients.add(Client(first_name="Gone", create_time=NOW, update_time=NOW))
            # no commit: the row must vanish with the transaction
        async with factory(read_only=True) as uow:
            assert await uow.clients.count() == 0
    finally:
        await engine.dispose()
