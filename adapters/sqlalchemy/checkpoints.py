"""SQLite's write-ahead log copied back into the database beside the writers, not inside a commit.

By default the connection whose commit takes the log past 1,000 pages checkpoints it there and then:
copies the pages into the database file and syncs both files, while holding the one write lock that
every writer of this process queues on (``SqlUnitOfWorkFactory``). A client create adds ~8 pages, so
every ~120th write stalled all the others for a checkpoint (5–15 ms on this machine; commits averaged
0.37 ms with it, 0.25 without). Here a connection of its own runs a PASSIVE checkpoint after every
``every`` commits, in its own thread: PASSIVE takes no lock a writer needs, so writers go on appending
to the log meanwhile. The engine's connections keep a checkpoint of their own for a log that grows far
past that (``FALLBACK_PAGES``): should this one fail or fall behind, the log still stays bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger("switchboard.sqlite")

FALLBACK_PAGES = 10_000
"""``wal_autocheckpoint`` of the engine's own connections: a commit checkpoints only a log this long."""


def _checkpoint(connection: Any) -> tuple[int, int, int]:
    """Runs in the connection's thread: (busy, pages in the log, pages checkpointed)."""
    row = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    return int(row[0]), int(row[1]), int(row[2])


class WalCheckpoints:
    """Checkpoints one SQLite database file after every ``every`` commits, one checkpoint at a time."""

    def __init__(self, path: str, tune: Callable[[Any, Any], None], every: int = 100) -> None:
        self._path = path
        self._tune = tune
        self._every = every
        self._commits = 0
        self._connection: Any = None
        self._running: asyncio.Task[None] | None = None
        self._closed = False
        self.last: tuple[int, int, int] | None = None
        """The last checkpoint's (busy, pages in the log, pages checkpointed)."""

    def committed(self) -> None:
        """A write unit of work committed; after ``every`` of them a checkpoint starts, unawaited."""
        self._commits += 1
        if self._commits < self._every or self._closed:
            return
        if self._running is not None and not self._running.done():
            return  # still copying: the next commit asks again
        self._commits = 0
        self._running = asyncio.get_running_loop().create_task(self._run(), name="sqlite-wal-checkpoint")

    async def settled(self) -> None:
        """Waits for the checkpoint under way, if any."""
        if self._running is not None:
            await asyncio.shield(self._running)

    async def _run(self) -> None:
        import aiosqlite

        try:
            if self._connection is None:
                connection = await aiosqlite.connect(self._path, timeout=30)
                self._connection = connection
                await connection._execute(self._tune, connection._conn, None)  # type: ignore[no-untyped-call]
            self.last = await self._connection._execute(_checkpoint, self._connection._conn)
        except Exception:
            # The writers' own checkpoint (FALLBACK_PAGES) keeps the log bounded meanwhile.
            log.warning(
                "a WAL checkpoint of %s failed; the next one opens a new connection",
                self._path,
                exc_info=True,
            )
            await self._drop_connection()

    async def _drop_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.close()

    async def close(self) -> None:
        self._closed = True
        if self._running is not None:
            with contextlib.suppress(Exception):
                await self._running
        await self._drop_connection()

    def abandon(self) -> None:
        """Closed without awaiting (a sync dispose): no checkpoint starts any more."""
        self._closed = True
