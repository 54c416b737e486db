"""Engines for the two databases, each tuned the way it wants to be used."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


def async_url(database_url: str) -> str:
    """Accepts the usual ``postgresql://`` and ``sqlite:///`` forms and picks the async drivers."""
    url = make_url(database_url)
    if url.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        url = url.set(drivername="postgresql+asyncpg")
    elif url.drivername == "sqlite":
        url = url.set(drivername="sqlite+aiosqlite")
    return url.render_as_string(hide_password=False)


def create_engine(database_url: str, *, echo: bool = False, pool_size: int = 20) -> AsyncEngine:
    url = async_url(database_url)
    if url.startswith("sqlite"):
        # Units of work end their own transactions; the pool's extra rollback on return would be
        # one more trip to the driver's thread for every request.
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30}, pool_reset_on_return=None)
        sa.event.listen(engine.sync_engine, "connect", _tune_sqlite)
        return engine
    # A fixed pool: overflow connections are closed on return and reopened under load, which costs
    # a TCP (and TLS) handshake each time. Requests beyond the pool wait for a free connection.
    engine = create_async_engine(
        url, echo=echo, pool_size=pool_size, max_overflow=0, pool_timeout=30, connect_args=_postgres_args(url)
    )
    sa.event.listen(engine.sync_engine.pool, "checkin", _end_autocommit)
    return engine


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
