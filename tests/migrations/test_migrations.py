"""The migrations build exactly the schema the code declares, and can be undone, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from adapters.sqlalchemy.migrate import alembic_config
from adapters.sqlalchemy.tables import metadata
from tests.support.databases import off_loop, temporary_postgres_database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/migrations.db"
        return
    request.getfixturevalue("postgres_url")  # skips (or fails under CI) without a server
    with temporary_postgres_database() as url:
        yield url


def schema_drift(url: str) -> list[Any]:
    """What autogenerate would still write: empty when migrations and tables agree."""
    import asyncio

    from adapters.sqlalchemy.engine import create_engine

    async def compare() -> list[Any]:
        engine = create_engine(url)
        async with engine.connect() as connection:
            diff = await connection.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"compare_type": False}), metadata
                )
            )
        await engine.dispose()
        return list(diff)

    return off_loop(lambda: asyncio.run(compare()))


def tables(url: str) -> set[str]:
    import asyncio

    from adapters.sqlalchemy.engine import create_engine

    async def names() -> set[str]:
        engine = create_engine(url)
        async with engine.connect() as connection:
            found = await connection.run_sync(lambda sync: set(sa.inspect(sync).get_table_names()))
        await engine.dispose()
        return found - {"alembic_version"}

    return off_loop(lambda: asyncio.run(names()))


def test_upgrading_to_head_builds_every_declared_table_with_no_drift(empty_database: str) -> None:
    off_loop(lambda: command.upgrade(alembic_config(empty_database), "head"))
    assert tables(empty_database) == set(metadata.tables)
    assert schema_drift(empty_database) == []


def test_every_migration_can_be_undone_and_redone(empty_database: str) -> None:
    config = alembic_config(empty_database)
    off_loop(lambda: command.upgrade(config, "head"))
    off_loop(lambda: command.downgrade(config, "base"))
    assert tables(empty_database) == set()
    off_loop(lambda: command.upgrade(config, "head"))
    assert tables(empty_database) == set(metadata.tables)


def test_the_login_report_names_colliding_pairs() -> None:
    from importlib import import_module

    report = import_module("adapters.sqlalchemy.migrations.versions.0003_login_collisions")
    pairs = report.colliding_pairs(["Admin", "x_straße", "X_STRASSE", "\u0410dmin", "ivan"])
    assert [(a, b, how) for a, b, how in pairs] == [
        ("Admin", "\u0410dmin", "lookalikes"),
        ("x_straße", "X_STRASSE", "the same login"),
    ]
