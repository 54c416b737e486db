"""The database-inclusive ceiling: bare Litestar over the raw driver, the same queries as Switchboard.

No authentication, no container, no SQLAlchemy: an asyncpg pool on PostgreSQL, aiosqlite (the
driver Switchboard uses) on SQLite. GET runs the same primary-key SELECT of every client column as
GET /api/v1/clients/{id}; POST runs the same INSERT ... RETURNING id in a transaction of its own as
POST /api/v1/clients. The benchmark reports Switchboard as a fraction of this.

    CEILING_DATABASE_URL=postgresql://... uvicorn bench.ceiling_db:app
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import msgspec
from litestar import Litestar, get, post
from litestar.params import FromPath, JSONBody

from adapters.sqlalchemy.tables import clients

URL = os.environ.get("CEILING_DATABASE_URL", "")
POOL_SIZE = int(os.environ.get("DATABASE_POOL_SIZE", "20"))
SQLITE_READERS = 5  # SQLAlchemy's default pool size, which Switchboard's SQLite engine keeps
COLUMNS = tuple(c.name for c in clients.c)
WRITTEN = tuple(name for name in COLUMNS if name != "id")
JSON_COLUMNS = {"phones", "social_media", "tags"}
WIRE = {name: name.split("_")[0] + "".join(p.title() for p in name.split("_")[1:]) for name in COLUMNS}


class ClientBody(msgspec.Struct, kw_only=True, rename="camel"):
    first_name: str | None = None
    last_name: str | None = None
    phones: list[str] = msgspec.field(default_factory=list)
    email: str | None = None


def _sql(placeholder: str) -> tuple[str, str]:
    marks = ", ".join(placeholder.format(i + 1) for i in range(len(WRITTEN)))
    select = f"SELECT {', '.join(COLUMNS)} FROM clients WHERE clients.id = {placeholder.format(1)}"
    insert = f"INSERT INTO clients ({', '.join(WRITTEN)}) VALUES ({marks}) RETURNING id"
    return select, insert


def _answer(row: Any) -> dict[str, Any]:
    return {
        WIRE[name]: json.loads(value) if name in JSON_COLUMNS and isinstance(value, str) else value
        for name, value in zip(COLUMNS, tuple(row), strict=True)
    }


def _values(body: ClientBody, now: Any) -> tuple[Any, ...]:
    given = {
        "first_name": body.first_name,
        "last_name": body.last_name,
        "phones": json.dumps(body.phones),
        "email": body.email,
        "tags": "[]",
        "available": True,
        "create_time": now,
        "update_time": now,
    }
    return tuple(given.get(name) for name in WRITTEN)


class Postgres:
    def __init__(self) -> None:
        self.select, self.insert = _sql("${}")
        self.pool: Any = None

    async def open(self) -> None:
        import asyncpg

        self.pool = await asyncpg.create_pool(URL, min_size=POOL_SIZE, max_size=POOL_SIZE, ssl=False)

    async def close(self) -> None:
        await self.pool.close()

    async def row(self, client_id: int) -> Any:
        async with self.pool.acquire() as connection:
            return await connection.fetchrow(self.select, client_id)

    @staticmethod
    def now() -> Any:
        return datetime.now(UTC)

    async def add(self, values: tuple[Any, ...]) -> int:
        async with self.pool.acquire() as connection, connection.transaction():
            return int(await connection.fetchval(self.insert, *values))


class Sqlite:
    """Readers from a small pool; one writer at a time, as SQLite allows and Switchboard queues."""

    def __init__(self) -> None:
        self.select, self.insert = _sql("?")
        self.readers: asyncio.Queue[Any] = asyncio.Queue()
        self.writer: Any = None
        self.write_lock = asyncio.Lock()

    async def _connect(self) -> Any:
        import aiosqlite

        connection = await aiosqlite.connect(URL.removeprefix("sqlite:///"), timeout=30)
        for pragma in ("journal_mode=WAL", "busy_timeout=30000", "foreign_keys=ON", "synchronous=NORMAL"):
            await connection.execute(f"PRAGMA {pragma}")
        return connection

    async def open(self) -> None:
        for _ in range(SQLITE_READERS):
            self.readers.put_nowait(await self._connect())
        self.writer = await self._connect()

    async def close(self) -> None:
        while not self.readers.empty():
            await self.readers.get_nowait().close()
        await self.writer.close()

    async def row(self, client_id: int) -> Any:
        connection = await self.readers.get()
        try:
            rows = await connection.execute_fetchall(self.select, (client_id,))  # one thread hop
            return rows[0] if rows else None
        finally:
            self.readers.put_nowait(connection)

    @staticmethod
    def now() -> Any:
        return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")  # SQLAlchemy's SQLite format

    async def add(self, values: tuple[Any, ...]) -> int:
        async with self.write_lock:
            rows = await self.writer.execute_fetchall(self.insert, values)  # one thread hop
            await self.writer.commit()
        return int(next(iter(rows))[0])


DATABASE = Sqlite() if URL.startswith("sqlite") else Postgres()


@get("/api/v1/clients/{key:str}")
async def read_client(key: FromPath[str]) -> dict[str, Any]:
    return _answer(await DATABASE.row(int(key)))


@post("/api/v1/clients")
async def create_client(data: JSONBody[ClientBody]) -> dict[str, Any]:
    # The whole client, as Switchboard answers it.
    values = _values(data, DATABASE.now())
    stored = dict(zip(WRITTEN, values, strict=True))
    stored.update(id=await DATABASE.add(values), phones=data.phones, tags=[])
    return {WIRE[name]: stored.get(name) for name in COLUMNS}


@get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@asynccontextmanager
async def lifespan(_: Litestar) -> AsyncIterator[None]:
    await DATABASE.open()
    try:
        yield
    finally:
        await DATABASE.close()


app = Litestar([read_client, create_client, health], lifespan=[lifespan], openapi_config=None)
