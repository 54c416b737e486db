"""The driver-level statements store and read exactly what SQLAlchemy's own path would."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sqlalchemy import unit_of_work
from adapters.sqlalchemy.engine import readers_of
from adapters.sqlalchemy.fastpath import insert_returning_id, row_by_id
from adapters.sqlalchemy.repository import statements
from adapters.sqlalchemy.tables import clients
from adapters.sqlalchemy.unit_of_work import SqlUnitOfWorkFactory
from application.queries import Query
from application.searches import ClientFields, TelegramLinkFields
from domain.clients import Client
from domain.errors import Conflict
from domain.telegram import TelegramLink
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


async def test_a_read_only_unit_of_work_reads_by_id_on_a_driver_reader_as_sqlalchemy_reads(
    engine: AsyncEngine,
) -> None:
    readers = readers_of(engine)
    assert readers is not None, "an engine made by create_engine has driver readers"
    values = client_values(social_media={"vk": "id1"})
    async with engine.begin() as connection:
        new_id = await insert_returning_id(connection, clients, values, statements(clients).insert)
    factory = SqlUnitOfWorkFactory(engine)
    async with factory(read_only=True) as uow:
        on_reader = await uow.clients.get(new_id)
        assert uow.connection.readers_instead() is readers  # type: ignore[attr-defined]
        # A statement that needs SQLAlchemy (ids of two rows) opens the connection; reads by id
        # then use it too.
        listed = await uow.clients.get_many([new_id, new_id + 1])
        assert uow.connection.readers_instead() is None  # type: ignore[attr-defined]
        on_connection = await uow.clients.get(new_id)
    assert on_reader is not None
    assert on_reader == on_connection == listed[new_id]
    assert on_reader.social_media == {"vk": "id1"} and on_reader.birth_date == date(1990, 5, 17)
    assert on_reader.create_time == NOW and on_reader.phones == ["+79161234567"]


async def test_driver_readers_are_bounded_and_hand_connections_to_waiters(engine: AsyncEngine) -> None:
    readers = readers_of(engine)
    assert readers is not None
    size = readers._size
    factory = SqlUnitOfWorkFactory(engine)
    async with factory() as uow:
        client = await uow.clients.add(Client(first_name="Kept", create_time=NOW, update_time=NOW))
        await uow.commit()
    assert client.id is not None

    async def read() -> str | None:
        async with factory(read_only=True) as uow:
            found = await uow.clients.get(client.id)  # type: ignore[arg-type]
            return found.first_name if found else None

    names = await asyncio.gather(*(read() for _ in range(size * 4)))
    assert names == ["Kept"] * (size * 4)
    assert readers._open <= size and len(readers._idle) == readers._open


async def test_a_reader_whose_statement_fails_is_closed_not_reused(engine: AsyncEngine) -> None:
    readers = readers_of(engine)
    assert readers is not None
    with pytest.raises(Exception):  # noqa: B017 - the driver's own error type differs per database
        async with readers.connection() as driver:
            opened = readers._open
            if engine.dialect.name == "sqlite":
                await driver.execute_fetchall("SELECT * FROM no_such_table", ())
            else:
                await driver.fetchrow("SELECT * FROM no_such_table")
    assert readers._open == opened - 1
    async with readers.connection() as driver:
        assert driver is not None


async def test_disposing_the_engine_closes_its_readers(engine: AsyncEngine) -> None:
    readers = readers_of(engine)
    assert readers is not None
    async with readers.connection():
        pass
    assert readers._open == 1
    await engine.dispose()
    assert readers._open == 0
    with pytest.raises(RuntimeError, match="disposed"):
        async with readers.connection():
            pass


async def test_a_driver_insert_shares_its_transaction_with_the_statements_after_it(
    engine: AsyncEngine,
) -> None:
    factory = SqlUnitOfWorkFactory(engine)
    async with factory() as uow:
        added = await uow.clients.add(Client(first_name="First", create_time=NOW, update_time=NOW))
        assert await uow.clients.count() == 1  # through SQLAlchemy, in the same transaction
        async with engine.connect() as other:  # not committed: invisible elsewhere
            assert (await other.execute(sa.select(sa.func.count()).select_from(clients))).scalar_one() == 0
        await uow.commit()
    async with factory(read_only=True) as uow:
        assert (await uow.clients.get(added.id)) == added  # type: ignore[arg-type]


async def test_a_unit_of_work_that_wrote_only_on_the_driver_commits_and_rolls_back_there(
    engine: AsyncEngine,
) -> None:
    # No SQLAlchemy statement runs, so SQLAlchemy holds no transaction (on PostgreSQL none is even
    # begun): the driver's own must end where it began, the second one too.
    factory = SqlUnitOfWorkFactory(engine)
    async with factory() as uow:
        kept = await uow.clients.add(Client(first_name="Kept", create_time=NOW, update_time=NOW))
        await uow.commit()
        async with engine.connect() as other:  # committed: visible elsewhere at once
            assert (await other.execute(sa.select(clients.c.id))).scalars().all() == [kept.id]
        await uow.clients.add(Client(first_name="Gone", create_time=NOW, update_time=NOW))
        # a second transaction in the same unit, never committed
    async with factory(read_only=True) as uow:
        assert [c.id for c in await uow.clients.find(Query())] == [kept.id]


@pytest.mark.parametrize("committed", [True, False])
async def test_statements_through_sqlalchemy_and_the_driver_end_in_one_transaction(
    engine: AsyncEngine, committed: bool
) -> None:
    # SQLAlchemy first (it joins the transaction, or on SQLite the one sqlite3 opens), the driver
    # after it: the unit's commit or rollback covers both, whichever opened the transaction.
    factory = SqlUnitOfWorkFactory(engine)
    async with factory() as uow:
        first = await uow.clients.add(Client(first_name="First", create_time=NOW, update_time=NOW))
        await uow.commit()
    async with factory() as uow:
        first.first_name = "Changed"
        await uow.clients.update(first)  # through SQLAlchemy
        await uow.clients.add(Client(first_name="Second", create_time=NOW, update_time=NOW))
        if committed:
            await uow.commit()
    async with factory(read_only=True) as uow:
        names = [c.first_name for c in await uow.clients.find(Query())]
    assert names == (["Changed", "Second"] if committed else ["First"])


async def test_a_unit_whose_rollback_failed_leaves_no_transaction_to_the_next(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The kept connection goes to the next writer: if the rollback of a driver-only transaction
    # failed, that transaction must not ride along into the next unit's commit.
    factory = SqlUnitOfWorkFactory(engine)

    async def failing_end(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the rollback failed")

    with monkeypatch.context() as patched:
        patched.setattr(unit_of_work, "_end_on_driver", failing_end)
        with pytest.raises(RuntimeError, match="rollback failed"):
            async with factory() as uow:
                await uow.clients.add(Client(first_name="Gone", create_time=NOW, update_time=NOW))
    async with factory() as uow:
        await uow.clients.add(Client(first_name="Kept", create_time=NOW, update_time=NOW))
        await uow.commit()
    async with factory(read_only=True) as uow:
        assert [c.first_name for c in await uow.clients.find(Query())] == ["Kept"]


async def test_writers_at_once_each_commit_their_own_rows(engine: AsyncEngine) -> None:
    factory = SqlUnitOfWorkFactory(engine)

    async def write(n: int) -> None:
        async with factory() as uow:
            await uow.clients.add(Client(first_name=f"W{n}", create_time=NOW, update_time=NOW))
            if n % 3:
                await uow.commit()  # every third one leaves without committing

    async with asyncio.timeout(20):
        await asyncio.gather(*(write(n) for n in range(30)))
    async with factory(read_only=True) as uow:
        names = {c.first_name for c in await uow.clients.find(Query())}
    assert names == {f"W{n}" for n in range(30) if n % 3}


@pytest.mark.postgres
async def test_kept_writer_connections_never_starve_the_pool(postgres_url: str) -> None:
    # Two pooled connections, many writers and readers at once: a connection kept for the next
    # writer must go back to the pool whenever somebody waits there, or this waits 30 s and fails.
    engine = create_engine(postgres_url, pool_size=2)
    await empty_all_tables(engine)
    factory = SqlUnitOfWorkFactory(engine)

    async def write(n: int) -> None:
        async with factory() as uow:
            await uow.clients.add(Client(first_name=f"W{n}", create_time=NOW, update_time=NOW))
            await uow.commit()

    async def count() -> int:
        async with factory(read_only=True) as uow:
            return await uow.clients.count()  # needs an SQLAlchemy connection

    try:
        async with asyncio.timeout(20):
            await asyncio.gather(*(write(n) for n in range(12)), *(count() for _ in range(12)))
            assert await count() == 12
    finally:
        await engine.dispose()


async def test_first_by_one_column_reads_on_the_driver_what_a_search_finds(engine: AsyncEngine) -> None:
    factory = SqlUnitOfWorkFactory(engine)
    async with factory() as uow:
        anna = await uow.clients.add(Client(**client_values()))
        await uow.telegram_links.add(
            TelegramLink(client_id=anna.id, chat_id="42", create_time=NOW, update_time=NOW)
        )
        await uow.commit()
    async with factory(read_only=True) as uow:
        by_client = await uow.telegram_links.first(TelegramLinkFields.client_id.eq(anna.id))
        assert uow.connection.readers_instead() is not None  # type: ignore[attr-defined]  # no SQLAlchemy
        by_chat = await uow.telegram_links.first(TelegramLinkFields.chat_id.eq("42"))
        searched = await uow.telegram_links.find(Query((TelegramLinkFields.client_id.eq(anna.id),), limit=1))
        nobody = await uow.telegram_links.first(TelegramLinkFields.client_id.eq((anna.id or 0) + 1))
        beyond = await uow.telegram_links.first(TelegramLinkFields.client_id.eq(2**70))  # no row can hold it
        by_email = await uow.clients.first(ClientFields.email.eq("anna@example.com"))
    assert by_client is not None and by_client == by_chat == searched[0]
    assert (by_client.client_id, by_client.chat_id, by_client.create_time) == (anna.id, "42", NOW)
    assert nobody is None and beyond is None
    assert by_email is not None and by_email.phones == ["+79161234567"]
