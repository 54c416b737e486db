"""Fixtures shared by every layer of tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.memory.unit_of_work import MemoryUnitOfWorkFactory
from adapters.sealing.fernet import FernetSealer
from adapters.security import Argon2PasswordHasher
from adapters.sqlalchemy.unit_of_work import SqlUnitOfWorkFactory
from tests.support.clock import ManualClock
from tests.support.databases import (
    create_engine,
    empty_all_tables,
    migrated,
    postgres_admin_url,
    temporary_postgres_database,
)

STORAGES = ["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("sqlite") / "switchboard.db"
    return migrated(f"sqlite:///{path}")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    if postgres_admin_url() is None:
        pytest.skip("no PostgreSQL: set TEST_DATABASE_URL to run these tests")
    with temporary_postgres_database() as url:
        yield migrated(url)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(scope="session")
def hasher() -> Argon2PasswordHasher:
    # Real argon2id, with the cost turned down: the tests check behaviour, not brute-force resistance.
    return Argon2PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


async def _sql_storage(url: str) -> AsyncIterator[SqlUnitOfWorkFactory]:
    engine = create_engine(url)
    await empty_all_tables(engine)
    try:
        yield SqlUnitOfWorkFactory(engine, sealer=FernetSealer(b"the tests' secret key"))
    finally:
        await engine.dispose()


@pytest.fixture(params=STORAGES)
async def uow_factory(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    """A unit-of-work factory over each storage in turn: the contract suite's one fixture."""
    if request.param == "memory":
        yield MemoryUnitOfWorkFactory()
        return
    url = request.getfixturevalue(f"{request.param}_url")
    async for factory in _sql_storage(url):
        yield factory


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def sql_uow_factory(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    """For behaviour only real databases have: constraints, row locks."""
    url = request.getfixturevalue(f"{request.param}_url")
    async for factory in _sql_storage(url):
        yield factory


@pytest.fixture
async def postgres_uow_factory(postgres_url: str) -> AsyncIterator[Any]:
    """For interleavings only PostgreSQL allows (several writers at once)."""
    async for factory in _sql_storage(postgres_url):
        yield factory
