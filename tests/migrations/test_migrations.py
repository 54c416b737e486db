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


def test_0022_keeps_what_references_communications_and_moves_the_last_sends(empty_database: str) -> None:
    """0022 recreates communications on SQLite (batch mode): with foreign keys on, dropping the old
    table would delete its history and external ids (ON DELETE CASCADE) unless they are off."""
    from datetime import UTC, datetime
    from importlib import import_module

    writes = import_module("adapters.sqlalchemy.migrations.versions.0022_bulk_accept_writes")
    config = alembic_config(empty_database)
    off_loop(lambda: command.upgrade(config, writes.down_revision))
    at: Any = datetime(2026, 12, 1, 10, 30, tzinfo=UTC)
    if empty_database.startswith("sqlite"):
        at = "2026-12-01 10:30:00.000000"  # how UtcDateTime stores it there
    times = "create_time, update_time"
    for statement in (
        f"INSERT INTO communication_types (id, name, code, active, {times}) "
        "VALUES (1, 't', 't', true, :at, :at)",
        f"INSERT INTO channels (id, name, code, kind, dispatchable, active, {times}) "
        "VALUES (1, 'e', 'e', 'email', true, true, :at, :at)",
        f"INSERT INTO clients (id, phones, available, tags, {times}) VALUES (7, '[]', true, '[]', :at, :at)",
        "INSERT INTO communications (id, uuid, type_id, channel_id, client_id, direction, kind, status, "
        f"attempts, {times}) VALUES (1, 'u1', 1, 1, 7, 'outbound', 'planned', 'planned', 0, :at, :at)",
        "INSERT INTO communication_history (communication_id, field, to_status, at) "
        "VALUES (1, 'status', 'planned', :at)",
        "INSERT INTO communication_external_ids (communication_id, system, external_id, create_time) "
        "VALUES (1, 'crm', 'x1', :at)",
        "INSERT INTO client_send_days (client_id, day, sends) "
        "VALUES (7, '2026-11-30', 2), (7, '2026-12-01', 3)",
        "INSERT INTO client_last_sends (client_id, last_sent_at) VALUES (7, :at)",
    ):
        run_sql(empty_database, statement, at=at)

    off_loop(lambda: command.upgrade(config, "head"))
    assert run_sql(empty_database, "SELECT count(*) FROM communication_history") == [(1,)]
    assert run_sql(empty_database, "SELECT count(*) FROM communication_external_ids") == [(1,)]
    days = run_sql(
        empty_database, "SELECT sends, last_sent_at IS NOT NULL FROM client_send_days ORDER BY day"
    )
    assert [tuple(row) for row in days] == [(2, False), (3, True)]

    off_loop(lambda: command.downgrade(config, writes.down_revision))
    assert run_sql(empty_database, "SELECT count(*) FROM communication_history") == [(1,)]
    assert run_sql(empty_database, "SELECT client_id FROM client_last_sends") == [(7,)]


def decision_keys(url: str) -> list[Any]:
    import asyncio

    from adapters.sqlalchemy.engine import create_engine

    async def keys() -> list[Any]:
        engine = create_engine(url)
        async with engine.connect() as connection:
            found = await connection.run_sync(
                lambda sync: sa.inspect(sync).get_foreign_keys("communication_decisions")
            )
        await engine.dispose()
        return [(k["referred_table"], k["constrained_columns"]) for k in found]

    return off_loop(lambda: asyncio.run(keys()))


def test_0024_drops_the_decisions_key_keeping_the_rows_and_restores_it(empty_database: str) -> None:
    from datetime import UTC, datetime
    from importlib import import_module

    keys = import_module("adapters.sqlalchemy.migrations.versions.0024_decision_keys")
    config = alembic_config(empty_database)
    off_loop(lambda: command.upgrade(config, keys.down_revision))
    at: Any = datetime(2026, 12, 1, 10, 30, tzinfo=UTC)
    if empty_database.startswith("sqlite"):
        at = "2026-12-01 10:30:00.000000"
    times = "create_time, update_time"
    decision = (
        "INSERT INTO communication_decisions (communication_id, mode, objective, propensity, "
        "matches_rule, rule_channel_id, rule_at, predicted_chosen, predicted_rule, explanation, "
        "create_time, channel_ids) VALUES (:id, 'greedy', 'response', 0.9, true, 1, :at, 0.3, 0.2, 'x', "
        ":at, '[1]')"
    )
    for statement in (
        f"INSERT INTO clients (id, phones, available, tags, {times}) VALUES (7, '[]', true, '[]', :at, :at)",
        "INSERT INTO communications (id, uuid, type_id, channel_id, client_id, direction, kind, status, "
        f"attempts, {times}) VALUES (1, 'u1', 1, 1, 7, 'outbound', 'planned', 'planned', 0, :at, :at)",
    ):
        run_sql(empty_database, statement, at=at)
    run_sql(empty_database, decision, id=1, at=at)
    assert decision_keys(empty_database) == [("communications", ["communication_id"])]
    with pytest.raises(sa.exc.IntegrityError):
        run_sql(empty_database, decision, id=2, at=at)  # no communication 2: the key refuses it

    off_loop(lambda: command.upgrade(config, "head"))
    assert decision_keys(empty_database) == []
    assert run_sql(empty_database, "SELECT communication_id, channel_ids FROM communication_decisions") == [
        (1, "[1]") if empty_database.startswith("sqlite") else (1, [1])
    ]
    run_sql(empty_database, decision, id=2, at=at)  # nothing checks it now

    off_loop(lambda: command.downgrade(config, keys.down_revision))
    assert decision_keys(empty_database) == [("communications", ["communication_id"])]
    assert run_sql(empty_database, "SELECT communication_id FROM communication_decisions") == [(1,)]
    run_sql(empty_database, "DELETE FROM communications WHERE id = 1")
    assert run_sql(empty_database, "SELECT count(*) FROM communication_decisions") == [(0,)]
