"""The health check reads through a read-only unit of work: it never queues behind a writer."""

from __future__ import annotations

import asyncio
from pathlib import Path

from litestar.datastructures import State

from entrypoints.container import build_container
from entrypoints.http.health import Health, health
from entrypoints.settings import Settings
from tests.support.databases import migrated

# Long enough for a loaded machine to answer, short enough that waiting behind the writer shows.
ANSWER_WITHIN_SECONDS = 10


async def test_health_answers_while_a_sqlite_writer_holds_the_database(tmp_path: Path) -> None:
    # The handler is called in this event loop, where the writer holds this process's SQLite write
    # lock; through a test client it would run in another loop and a wait would hang, not fail.
    container = build_container(Settings(database_url=migrated(f"sqlite:///{tmp_path}/health.db")))
    uow_factory = container.storage.uow_factory()
    try:
        async with uow_factory() as writer:
            await writer.communication_types.count()
            answer = await asyncio.wait_for(health.fn(State({"container": container})), ANSWER_WITHIN_SECONDS)
    finally:
        await container.storage.engine().dispose()

    assert answer == Health(status="ok", storage="ok")
