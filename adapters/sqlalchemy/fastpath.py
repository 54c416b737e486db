"""The API's hottest statements straight through the database driver: one row by primary key,
and one INSERT of a new row; and the driver connections a read-only unit of work reads through.

SQLAlchemy's execution path (execution context, result metadata) costs more than the query itself
for a single-row primary-key read; measured on this machine, ~220 µs against ~95 µs through the
driver. Here the statement is compiled once per table and dialect, run through the driver, and its
values converted by the very same result processors SQLAlchemy would use, so the answer is the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections import deque
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.compiler import SQLCompiler


@dataclass(frozen=True)
class _Plan:
    sql: str
    names: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]


_PLANS: dict[tuple[str, str, str], _Plan] = {}


def _plan(table: sa.Table, dialect: Dialect, column: str = "id") -> _Plan:
    key = (table.name, dialect.name, column)
    plan = _PLANS.get(key)
    if plan is None:
        statement = sa.select(table).where(table.c[column] == sa.bindparam("value"))
        plan = _PLANS[key] = _Plan(
            # The first by id, as a search orders its rows; a literal LIMIT (SQLAlchemy binds one).
            sql=str(statement.compile(dialect=dialect)) + ("" if column == "id" else " ORDER BY id LIMIT 1"),
            names=tuple(c.name for c in table.c),
            processors=tuple(c.type.dialect_impl(dialect).result_processor(dialect, None) for c in table.c),
        )
    return plan


class DriverReaders:
    """A small pool of bare driver connections for statements that need no transaction.

    A read-only unit of work whose only statement is a primary-key read takes one of these
    instead of checking out an SQLAlchemy connection: SQLAlchemy's checkout and return (engine
    connection, pool events, greenlet hops) cost more CPU than the query. Each connection is set
    up as SQLAlchemy sets up its own (JSON codecs on PostgreSQL, pragmas and functions on SQLite),
    so a value reads the same either way. Readers run in autocommit and hold no session state, so
    a connection goes back as it came: no reset round trip (asyncpg's own pool sends one).
    """

    def __init__(
        self,
        dialect: Dialect,
        connect: Callable[[], Awaitable[Any]],
        close: Callable[[Any], Awaitable[None]],
        size: int,
    ) -> None:
        self.dialect = dialect
        self._connect = connect
        self._close = close
        self._size = size
        self._open = 0
        self._idle: deque[Any] = deque()
        self._waiters: deque[asyncio.Future[Any]] = deque()
        self._closed = False

    def connection(self) -> _Lent:
        """A driver connection for the block; one that failed mid-statement is closed, not reused."""
        return _Lent(self)

    async def _acquire(self) -> Any:
        if self._closed:
            raise RuntimeError("the engine was disposed")
        if self._idle:
            return self._idle.pop()
        if self._open >= self._size:
            waiter: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                handed = await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():  # handed over just as we gave up: pass it on
                    handed = waiter.result()
                    if handed is None:
                        self._free_place()
                    else:
                        await self._release(handed)
                raise
            if handed is not None:
                return handed
            # None: a connection was discarded, and its place, still counted, is ours to open.
        else:
            self._open += 1
        try:
            return await self._connect()
        except BaseException:
            self._free_place()
            raise

    def _free_place(self) -> None:
        # Handed on still counted: a newcomer must not open a connection in the place of a waiter
        # woken for it (the waiter would open one too, one over the limit).
        if not self._pass_on(None):
            self._open -= 1

    def _pass_on(self, connection: Any) -> bool:
        """Hands a connection (or, with None, a free place) to the first waiter; False if none took it."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(connection)
                return True
        return False

    async def _release(self, connection: Any) -> None:
        if self._pass_on(connection):
            return
        if self._closed:  # the engine was disposed while this one was out
            self._open -= 1
            await self._close(connection)
        else:
            self._idle.append(connection)

    async def _discard(self, connection: Any) -> None:
        with contextlib.suppress(Exception):  # it was broken already; the caller's error is the one to see
            await self._close(connection)
        self._free_place()

    async def close(self) -> None:
        self._closed = True
        while self._idle:
            self._open -= 1
            await self._close(self._idle.pop())

    def abandon(self) -> None:
        """Closed without awaiting (a sync dispose): idle connections are dropped to the collector."""
        self._closed = True
        self._open -= len(self._idle)
        self._idle.clear()


class _Lent:
    """``DriverReaders.connection()``: a plain async context manager, cheaper than a generator one."""

    __slots__ = ("_connection", "_readers")

    def __init__(self, readers: DriverReaders) -> None:
        self._readers = readers
        self._connection: Any = None

    async def __aenter__(self) -> Any:
        self._connection = await self._readers._acquire()
        return self._connection

    async def __aexit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        connection, self._connection = self._connection, None
        if exc is not None:
            await self._readers._discard(connection)
        else:
            await self._readers._release(connection)


def postgres_readers(dialect: Dialect, dsn: str, connect_args: dict[str, Any], size: int) -> DriverReaders:
    """Readers over asyncpg, with the codecs SQLAlchemy's asyncpg dialect installs on its own connections."""
    import asyncpg

    class _Adapted:  # what the dialect's codec set-up reads: the asyncpg connection as ``_connection``
        def __init__(self, connection: Any) -> None:
            self._connection = connection

    async def connect() -> Any:
        connection = await asyncpg.connect(dsn, **connect_args)
        adapted = _Adapted(connection)
        try:
            await dialect.setup_asyncpg_json_codec(adapted)  # type: ignore[attr-defined]
            await dialect.setup_asyncpg_jsonb_codec(adapted)  # type: ignore[attr-defined]
            if getattr(dialect, "_native_inet_types", None) is False:
                await dialect._disable_asyncpg_inet_codecs(adapted)  # type: ignore[attr-defined]
        except BaseException:
            connection.terminate()
            raise
        return connection

    async def close(connection: Any) -> None:
        await connection.close(timeout=5)

    return DriverReaders(dialect, connect, close, size)


def sqlite_readers(dialect: Dialect, path: str, tune: Callable[[Any, Any], None], size: int) -> DriverReaders:
    """Readers over aiosqlite, each tuned by ``tune`` (the engine's pragmas and functions) in its thread."""
    import aiosqlite

    async def connect() -> Any:
        connection = await aiosqlite.connect(path, timeout=30)
        try:
            # The engine's own "connect" listener, run in the connection's thread like its queries.
            await connection._execute(tune, connection._conn, None)  # type: ignore[no-untyped-call]
        except BaseException:
            await connection.close()
            raise
        return connection

    async def close(connection: Any) -> None:
        await connection.close()

    return DriverReaders(dialect, connect, close, size)


WRITE_UNIT = "switchboard.write_unit"
"""``connection.info`` flag of a write unit of work on PostgreSQL: its transaction opens with the
first statement, on the driver or through SQLAlchemy, whichever comes first (see unit_of_work)."""


async def raw_connection(connection: Any) -> Any:
    """The pool's DBAPI connection under an AsyncConnection, without a hop through SQLAlchemy's greenlet.

    ``AsyncConnection.get_raw_connection`` spawns a greenlet (~30 µs of CPU) to read an attribute
    that an open connection already holds; only a connection that must be revalidated needs it.
    """
    sync = getattr(connection, "sync_connection", None)
    held = getattr(sync, "_dbapi_connection", None)
    return held if held is not None else await connection.get_raw_connection()


def _sqlite_first_row(connection: sqlite3.Connection, sql: str, parameters: tuple[Any, ...]) -> Any:
    """Runs in aiosqlite's thread: the statement and its first row. fetchall, not fetchone, so that
    the statement is stepped to its end and reset, and holds no read snapshot open afterwards."""
    rows = connection.execute(sql, parameters).fetchall()
    return rows[0] if rows else None


async def _fetch_one(driver: Any, dialect: Dialect, sql: str, value: object) -> Any:
    if dialect.name == "postgresql":
        return await driver.fetchrow(sql, value)
    # One trip to aiosqlite's thread instead of three (execute, fetch, close): each trip is a
    # hand-over of the GIL, which under load costs more than the query. Queued as aiosqlite's own
    # helpers queue theirs, without the awaitable wrapper each of its public helpers builds.
    return await driver._execute(_sqlite_first_row, driver._conn, sql, (value,))


async def row_by_id(connection: Any, table: sa.Table, entity_id: int) -> dict[str, Any] | None:
    """The row of ``table`` with this id, as SQLAlchemy would return it, or None.

    ``connection`` is an AsyncConnection, or a read-only unit of work's connection that may
    answer from a driver reader without opening an SQLAlchemy connection at all.
    """
    return await row_by(connection, table, "id", entity_id)


def plainly_bound(column: sa.Column[Any], value: object, dialect: Dialect) -> bool:
    """Whether ``value`` goes to the driver as it is for this column (no bind processing)."""
    if value is None or type(value) not in (int, str):
        return False
    return column.type.dialect_impl(dialect).bind_processor(dialect) is None


async def row_by(connection: Any, table: sa.Table, column: str, value: object) -> dict[str, Any] | None:
    """One row of ``table`` whose ``column`` equals ``value`` (``plainly_bound``), as ``row_by_id``."""
    plan = _plan(table, connection.dialect, column)
    readers: DriverReaders | None = getattr(connection, "readers_instead", lambda: None)()
    if readers is not None:
        async with readers.connection() as driver:
            record = await _fetch_one(driver, readers.dialect, plan.sql, value)
    else:
        driver = (await raw_connection(connection)).driver_connection
        assert driver is not None
        record = await _fetch_one(driver, connection.dialect, plan.sql, value)
    if record is None:
        return None
    return {
        name: process(value) if process is not None and value is not None else value
        for name, process, value in zip(plan.names, plan.processors, tuple(record), strict=True)
    }


@dataclass(frozen=True)
class _Insert:
    sql: str
    names: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]


_INSERTS: dict[tuple[str, str, tuple[str, ...]], _Insert] = {}


def _insert(table: sa.Table, dialect: Dialect, names: tuple[str, ...]) -> _Insert:
    key = (table.name, dialect.name, names)
    plan = _INSERTS.get(key)
    if plan is None:
        statement = table.insert().values({n: sa.bindparam(n) for n in names}).returning(table.c.id)
        compiled = statement.compile(dialect=dialect)
        order = tuple(compiled.positiontup or ())
        assert set(order) == set(names), (order, names)
        plan = _INSERTS[key] = _Insert(
            sql=str(compiled),
            names=order,
            processors=tuple(table.c[n].type.dialect_impl(dialect).bind_processor(dialect) for n in order),
        )
    return plan


async def insert_returning_id(
    connection: AsyncConnection, table: sa.Table, values: dict[str, Any], statement: sa.Insert
) -> int:
    """Inserts one row and returns its new id, in the connection's transaction.

    The statement goes to the driver in one call (on SQLite one trip to aiosqlite's thread, where
    SQLAlchemy takes four: cursor, execute, fetch, close); every value passes SQLAlchemy's own bind
    processor, so the stored row is the same. On SQLite the driver shares the connection-wide
    transaction. asyncpg's adapter opens its transaction lazily, on its first statement: it is
    opened here first, the adapter's own way, so the row commits or rolls back with the rest of
    the unit of work. ``statement`` (an INSERT ... RETURNING id) is what SQLAlchemy would run, for
    a connection that is in no transaction (nothing here would open one behind its back).
    """
    raw = await raw_connection(connection)
    adapter: Any = raw.dbapi_connection
    dialect = connection.dialect  # a property chain on an AsyncConnection: read once
    postgres = dialect.name == "postgresql"
    if postgres and not _in_adapter_transaction(connection, adapter):
        return int((await connection.execute(statement, values)).scalar_one())
    plan = _insert(table, dialect, tuple(values))
    # A list, not a generator: a client row binds ~16 values, each a generator resume.
    parameters = tuple(
        [
            values[name] if process is None else process(values[name])
            for name, process in zip(plan.names, plan.processors, strict=True)
        ]
    )
    driver = raw.driver_connection
    assert driver is not None
    with _wrapped_integrity(plan.sql, parameters):
        if postgres:
            if adapter._transaction is None:
                await adapter._start_transaction()  # BEGIN, as the adapter's next statement would
            return int(await driver.fetchval(plan.sql, *parameters))
        row = await driver._execute(_sqlite_first_row, driver._conn, plan.sql, parameters)
    return int(row[0])


def _in_adapter_transaction(connection: AsyncConnection, adapter: Any) -> bool:
    """Whether the unit of work holds a transaction on this connection that asyncpg's adapter opens."""
    return (
        (connection.in_transaction() or WRITE_UNIT in getattr(connection, "info", ()))
        and getattr(adapter, "isolation_level", None) != "autocommit"
        and not getattr(adapter, "autocommit", False)
        and hasattr(adapter, "_start_transaction")
        and hasattr(adapter, "_transaction")
    )


@contextlib.contextmanager
def _wrapped_integrity(sql: str, parameters: Any) -> Iterator[None]:
    """A constraint error of either driver, raised as SQLAlchemy's IntegrityError for the guards."""
    try:
        yield
    except sqlite3.IntegrityError as error:
        raise IntegrityError(sql, parameters, error) from error
    except Exception as error:
        if _is_integrity_error(error):
            raise IntegrityError(sql, parameters, error) from error
        raise


def _is_integrity_error(error: Exception) -> bool:
    import asyncpg

    return isinstance(error, asyncpg.exceptions.IntegrityConstraintViolationError)


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]
    binds: tuple[Callable[[Any], Any] | None, ...]
    fixed: dict[str, Any]
    """The statement's own values (a LIMIT, a literal), used where the caller gives none."""
    columns: tuple[str, ...]
    results: tuple[Callable[[Any], Any] | None, ...]


_COMPILED: dict[tuple[int, str], tuple[sa.ClauseElement, _Compiled]] = {}


def _compiled(statement: sa.ClauseElement, dialect: Dialect) -> _Compiled:
    # Keyed by identity: these statements are module constants, built once with bound parameters.
    key = (id(statement), dialect.name)
    found = _COMPILED.get(key)
    if found is not None and found[0] is statement:
        return found[1]
    compiled = cast(SQLCompiler, statement.compile(dialect=dialect))
    names = tuple(compiled.positiontup or ())
    selected = list(getattr(statement, "exported_columns", None) or ())
    made = _Compiled(
        sql=str(compiled),
        names=names,
        binds=tuple(compiled.binds[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names),
        fixed={n: b.value for n, b in compiled.binds.items() if b.value is not None},
        columns=tuple(c.name for c in selected),
        results=tuple(c.type.dialect_impl(dialect).result_processor(dialect, None) for c in selected),
    )
    _COMPILED[key] = (statement, made)
    return made


def _parameters(plan: _Compiled, values: dict[str, Any]) -> tuple[Any, ...]:
    given = {**plan.fixed, **values} if plan.fixed else values
    # A list, not a generator: a single send's write binds ~60 values, each a generator resume.
    return tuple(
        [
            given[name] if process is None or given[name] is None else process(given[name])
            for name, process in zip(plan.names, plan.binds, strict=True)
        ]
    )


async def driver_in_transaction(connection: AsyncConnection, *, begin: bool = True) -> Any:
    """The driver connection under ``connection``, inside the unit of work's transaction if it holds one.

    ``begin=False``: a transaction already open is joined, but none is opened for this statement.
    """
    raw = await raw_connection(connection)
    adapter: Any = raw.dbapi_connection
    if (
        begin
        and connection.dialect.name == "postgresql"
        and _in_adapter_transaction(connection, adapter)
        and adapter._transaction is None
    ):
        await adapter._start_transaction()  # BEGIN, as the adapter's next statement would
    return raw.driver_connection


async def driver_rows(
    connection: AsyncConnection,
    statement: sa.ClauseElement,
    values: dict[str, Any],
    *,
    begin: bool = True,
) -> list[dict[str, Any]]:
    """Runs a prepared Core statement (module constant, bound parameters) on the driver; its rows.

    For the few statements of a single send: SQLAlchemy's execution costs ~250 µs of CPU each,
    the driver ~40 µs. Values pass the same bind and result processors SQLAlchemy would use, and
    the statement runs in the unit of work's transaction. No expanding ``IN``: one value per name.
    ``begin=False`` (PostgreSQL): when the unit has opened no transaction yet, the statement runs
    on its own, committed when it ends (a read before the unit's first write, or a unit's only
    write), which saves the round trips of BEGIN and COMMIT.
    """
    dialect = connection.dialect  # a property that walks to the sync connection: read once
    plan = _compiled(statement, dialect)
    parameters = _parameters(plan, values)
    driver = await driver_in_transaction(connection, begin=begin)
    with _wrapped_integrity(plan.sql, parameters):
        if dialect.name == "postgresql":
            records = await driver.fetch(plan.sql, *parameters)
        else:
            records = await driver.execute_fetchall(plan.sql, parameters)
    return [
        {
            name: process(value) if process is not None and value is not None else value
            for name, process, value in zip(plan.columns, plan.results, tuple(record), strict=True)
        }
        for record in records
    ]


async def driver_execute_many(
    connection: AsyncConnection, statement: sa.ClauseElement, values: Sequence[dict[str, Any]]
) -> None:
    """Runs a prepared Core statement once per set of values on the driver, in one call."""
    plan = _compiled(statement, connection.dialect)
    processed = [_parameters(plan, v) for v in values]
    driver = await driver_in_transaction(connection)
    with _wrapped_integrity(plan.sql, processed):
        await driver.executemany(plan.sql, processed)
