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


def run_sql(url: str, statement: str, **params: Any) -> list[Any]:
    import asyncio

    from adapters.sqlalchemy.engine import create_engine

    async def run() -> list[Any]:
        engine = create_engine(url)
        async with engine.begin() as connection:
            result = await connection.execute(sa.text(statement), params)
            rows = list(result.all()) if result.returns_rows else []
        await engine.dispose()
        return rows

    return off_loop(lambda: asyncio.run(run()))


def test_the_vapid_key_moves_into_an_inactive_webpush_provider_sealed_at_start(
    empty_database: str, hasher: Any
) -> None:
    from importlib import import_module

    from adapters.webpush.keys import generate_private_key, public_key_of
    from entrypoints.settings import Settings
    from tests.http.conftest import make_client

    move = import_module("adapters.sqlalchemy.migrations.versions.0016_webpush_provider")
    config = alembic_config(empty_database)
    off_loop(lambda: command.upgrade(config, move.down_revision))
    key = generate_private_key()
    made_earlier = "INSERT INTO telephony_secrets (name, value) VALUES ('vapid_private_key', :k)"
    run_sql(empty_database, made_earlier, k=key)

    off_loop(lambda: command.upgrade(config, "head"))
    assert run_sql(empty_database, "SELECT name FROM telephony_secrets") == []
    for client in make_client(Settings(database_url=empty_database, secret_key="k"), hasher):
        assert client.get("/api/v1/push/vapid-public-key").json()["publicKey"] == public_key_of(key)
        (provider,) = client.get("/api/v1/providers").json()["items"]
        assert (provider["name"], provider["kind"], provider["active"]) == ("webpush", "webpush", False)
        assert provider["settings"]["publicKey"] == public_key_of(key)
    ((kept,),) = run_sql(empty_database, "SELECT secrets FROM providers")
    assert key not in str(kept) and "fernet:" in str(kept)
