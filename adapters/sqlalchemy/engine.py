"""Engines for the two databases, each tuned the way it wants to be used."""

from __future__ import annotations

import json
import weakref
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.util import await_only
from sqlalchemy.util.concurrency import in_greenlet

from adapters.sqlalchemy.checkpoints import FALLBACK_PAGES, WalCheckpoints
from adapters.sqlalchemy.fastpath import DriverReaders, postgres_readers, sqlite_readers


def async_url(database_url: str) -> str:
    """Accepts the usual ``postgresql://`` and ``sqlite:///`` forms and picks the async drivers."""
    url = make_url(database_url)
    if url.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        url = url.set(drivername="postgresql+asyncpg")
    elif url.drivername == "sqlite":
        url = url.set(drivername="sqlite+aiosqlite")
    return url.render_as_string(hide_password=False)


def decode_json(text: str | bytes) -> Any:
    """A stored JSON value: msgspec (~15x faster than ``json.loads`` on a client's small lists), else
    ``json.loads`` for what only the standard module reads (``NaN``, ``Infinity``, which ``json.dumps``
    writes for such floats)."""
    try:
        return msgspec.json.decode(text)
    except msgspec.DecodeError:
        return json.loads(text)


_READERS: weakref.WeakKeyDictionary[Engine, DriverReaders] = weakref.WeakKeyDictionary()

SQLITE_READERS = 5
"""Driver readers per SQLite engine: SQLAlchemy's default pool size, which the engine keeps."""


def readers_of(engine: AsyncEngine) -> DriverReaders | None:
    """The driver readers of an engine made here, for read-only units of work; None for others."""
    return _READERS.get(engine.sync_engine)


_CHECKPOINTS: weakref.WeakKeyDictionary[Engine, WalCheckpoints] = weakref.WeakKeyDictionary()


def checkpoints_of(engine: AsyncEngine) -> WalCheckpoints | None:
    """The WAL checkpoints of an SQLite file engine made here, which its writers report commits to."""
    return _CHECKPOINTS.get(engine.sync_engine)


def create_engine(database_url: str, *, echo: bool = False, pool_size: int = 20) -> AsyncEngine:
    url = async_url(database_url)
    if url.startswith("sqlite"):
        # Units of work end their own transactions; the pool's extra rollback on return would be
        # one more trip to the driver's thread for every request.
        engine = create_async_engine(
            url,
            echo=echo,
            connect_args={"timeout": 30},
            pool_reset_on_return=None,
            json_deserializer=decode_json,
        )
        sa.event.listen(engine.sync_engine, "connect", _tune_sqlite)
        path = make_url(url).database
        if path and path != ":memory:" and not path.startswith("file:") and not make_url(url).query:
            # An in-memory database is one per connection: readers of their own would see nothing.
            _add_readers(engine, sqlite_readers(engine.dialect, path, _tune_sqlite, SQLITE_READERS))
            _add_checkpoints(engine, WalCheckpoints(path, _tune_sqlite))
        return engine
    # A fixed pool: overflow connections are closed on return and reopened under load, which costs
    # a TCP (and TLS) handshake each time. Requests beyond the pool wait for a free connection.
    connect_args = _postgres_args(url)
    engine = create_async_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=0,
        pool_timeout=30,
        connect_args=connect_args,
        json_deserializer=decode_json,
    )
    sa.event.listen(engine.sync_engine.pool, "checkin", _end_autocommit)
    if not echo:  # echo logs every statement; the driver readers would bypass it
        dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        # Half as many again as the pool: a process opens at most 1.5 × DATABASE_POOL_SIZE connections.
        readers = postgres_readers(engine.dialect, dsn, connect_args, max(2, pool_size // 2))
        _add_readers(engine, readers)
    return engine


def _add_readers(engine: AsyncEngine, readers: DriverReaders) -> None:
    _READERS[engine.sync_engine] = readers

    def close_readers(_engine: Engine) -> None:
        # AsyncEngine.dispose() runs the sync dispose in SQLAlchemy's greenlet, where awaiting works;
        # a sync dispose elsewhere can only drop them.
        if in_greenlet():
            await_only(readers.close())
        else:
            readers.abandon()

    sa.event.listen(engine.sync_engine, "engine_disposed", close_readers)


def _add_checkpoints(engine: AsyncEngine, checkpoints: WalCheckpoints) -> None:
    _CHECKPOINTS[engine.sync_engine] = checkpoints
    # The engine's connections leave checkpoints to ``checkpoints`` unless the log grows far beyond.
    sa.event.listen(engine.sync_engine, "connect", _checkpoint_rarely)

    def close_checkpoints(_engine: Engine) -> None:
        if in_greenlet():
            await_only(checkpoints.close())
        else:
            checkpoints.abandon()

    sa.event.listen(engine.sync_engine, "engine_disposed", close_checkpoints)


def _checkpoint_rarely(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA wal_autocheckpoint={FALLBACK_PAGES}")
    cursor.close()


def _end_autocommit(dbapi_connection: Any, _record: Any) -> None:
    # Read-only units of work switch asyncpg's adapter to autocommit; the next user of the
    # connection, maybe a writer, must get its transactions back.
    if dbapi_connection is not None and getattr(dbapi_connection, "autocommit", False):
        dbapi_connection.autocommit = False


LOOPBACK = {"127.0.0.1", "localhost", "::1", None, ""}


def _postgres_args(url: str) -> dict[str, Any]:
    """No TLS to a server on this machine unless the URL asks for it: it only costs CPU on loopback."""
    parsed = make_url(url)
    if parsed.host in LOOPBACK and not {"ssl", "sslmode"} & set(parsed.query):
        return {"ssl": False}
    return {}


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers work beside the one writer; busy_timeout makes a second writer wait
    # instead of failing; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    dbapi_connection.create_function("sb_fold", 1, _fold, deterministic=True)


def _fold(value: object) -> str | None:
    return None if value is None else str(value).lower()
