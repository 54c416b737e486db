"""A unit of work on one database connection and transaction."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable
from typing import Any, Generic, Self, TypeVar, cast, overload

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.util.concurrency import in_greenlet

from adapters.sqlalchemy import tables as t
from adapters.sqlalchemy.bulk_import import SqlHistoryImport
from adapters.sqlalchemy.checkpoints import WalCheckpoints
from adapters.sqlalchemy.communications import SqlCommunications
from adapters.sqlalchemy.decisions import SqlDecisionLog
from adapters.sqlalchemy.dispatch import SqlDispatchQueue
from adapters.sqlalchemy.engine import checkpoints_of, readers_of
from adapters.sqlalchemy.events import SqlEventLog
from adapters.sqlalchemy.fastpath import WRITE_UNIT, DriverReaders, raw_connection
from adapters.sqlalchemy.filters import RelationFilter, related
from adapters.sqlalchemy.groups import SqlClientGroups
from adapters.sqlalchemy.mailings import SqlMailingRuns, SqlMailings
from adapters.sqlalchemy.providers import SealedProviders
from adapters.sqlalchemy.repository import Link, SqlRepository
from adapters.sqlalchemy.sending import SqlSends
from adapters.sqlalchemy.stats import SqlStats
from adapters.sqlalchemy.surveys import SqlSurveyResponses
from adapters.sqlalchemy.telephony import (
    SqlCallRecords,
    SqlCampaignContacts,
    SqlCampaigns,
    SqlInbox,
    SqlMissedCalls,
    SqlPbxSubscriptions,
    SqlSecrets,
    SqlSeenEvents,
)
from adapters.sqlalchemy.webhook_subscriptions import SealedWebhookSubscriptions
from adapters.sqlalchemy.webhooks import SqlWebhookClaims
from application.events.ports import EventBus
from application.ports import SecretSealer, UnitOfWork, UnitOfWorkFactory
from application.queries import Condition, Op
from domain.clients import Booking, BookingStatusType, ChannelBlock, Client, Project
from domain.dictionaries import Channel, CommunicationType, Document
from domain.entity import Entity
from domain.organisation import Company, Department, Employee, Role, ServiceAccount
from domain.push import PushSubscription
from domain.rules import Rule
from domain.telegram import TelegramLink
from domain.webhooks import WebhookDelivery

E = TypeVar("E", bound=Entity)


def _json_list_has(column: sa.Column[Any], dialect: str) -> RelationFilter:
    """A filter on a JSON list column (a client's tags): one of its items matches, as in memory."""
    items_of = sa.func.json_each if dialect == "sqlite" else sa.func.json_array_elements_text

    def build(condition: Condition) -> sa.ColumnElement[bool]:
        items = items_of(column).table_valued("value")
        if condition.op is Op.EQ:
            match = items.c.value == condition.value
        elif condition.op is Op.IN:
            match = items.c.value.in_(list(condition.value))  # type: ignore[call-overload]
        else:
            raise ValueError(f"unsupported operator {condition.op} on a list")
        return sa.exists(sa.select(sa.literal(1)).select_from(items).where(match))

    return build


def _employees(conn: AsyncConnection) -> SqlRepository[Employee]:
    link = t.employee_roles
    return SqlRepository(
        conn,
        t.employees,
        Employee,
        "employee",
        links=[Link("role_ids", link, "employee_id", "role_id")],
        relations={"role_id": related(t.employees.c.id, link.c.employee_id, link.c.role_id)},
    )


def _service_accounts(conn: AsyncConnection) -> SqlRepository[ServiceAccount]:
    link = t.service_account_roles
    return SqlRepository(
        conn,
        t.service_accounts,
        ServiceAccount,
        "service account",
        links=[Link("role_ids", link, "service_account_id", "role_id")],
        relations={"role_id": related(t.service_accounts.c.id, link.c.service_account_id, link.c.role_id)},
    )


_CLIENT_FILTERS: dict[str, dict[str, RelationFilter]] = {}


def _client_filters(dialect: str) -> dict[str, RelationFilter]:
    """Built once per dialect: the tag filter's SQL differs between SQLite and PostgreSQL."""
    if dialect not in _CLIENT_FILTERS:
        members = t.client_group_members
        _CLIENT_FILTERS[dialect] = {
            "phone": related(t.clients.c.id, t.client_phones.c.client_id, t.client_phones.c.phone),
            "group_id": related(t.clients.c.id, members.c.client_id, members.c.group_id),
            "tag": _json_list_has(t.clients.c.tags, dialect),
        }
    return _CLIENT_FILTERS[dialect]


def _clients(conn: AsyncConnection) -> SqlRepository[Client]:
    phones = Link("phones", t.client_phones, "client_id", "phone", loaded=False)
    return SqlRepository(
        conn, t.clients, Client, "client", links=[phones], relations=_client_filters(conn.dialect.name)
    )


R = TypeVar("R")


class _Repository(Generic[R]):
    """A repository attribute of the unit of work, made on first use from the open connection.

    A request that reads one client builds one repository. The made repository is cached in
    the unit of work's ``_repositories`` until the unit of work closes.
    """

    def __init__(self, make: Callable[[AsyncConnection], R]) -> None:
        self._make = make
        self._name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, uow: None, owner: type) -> Self: ...

    @overload
    def __get__(self, uow: SqlUnitOfWork, owner: type) -> R: ...

    def __get__(self, uow: SqlUnitOfWork | None, owner: type) -> R | Self:
        if uow is None:
            return self
        made: R | None = uow._repositories.get(self._name)
        if made is None:
            made = uow._repositories[self._name] = self._made(uow)
        return made

    def _made(self, uow: SqlUnitOfWork) -> R:
        return self._make(uow.connection)

    def __set__(self, uow: SqlUnitOfWork, repository: R) -> None:
        # Lets a test or a decorator stand another repository in for this one, as the port allows.
        uow._repositories[self._name] = repository


class _Sealed(_Repository[R]):
    """A repository that keeps secrets: made with the unit of work's sealer besides its connection."""

    def __init__(self, make: Callable[[AsyncConnection, SecretSealer | None], R]) -> None:
        super().__init__(lambda conn: make(conn, None))
        self._make_sealed = make

    def _made(self, uow: SqlUnitOfWork) -> R:
        return self._make_sealed(uow.connection, uow._sealer)


def _plain(table: sa.Table, entity: type[E], kind: str) -> Callable[[AsyncConnection], SqlRepository[E]]:
    return lambda conn: SqlRepository(conn, table, entity, kind)


class Connections:
    """SQLAlchemy connections kept checked out between units of work, handed from one to the next.

    A writer's connection goes back here, not to the pool: the checkout and return (connection
    object, pool events, reset, greenlet hops) cost a write more CPU than its BEGIN. At most
    ``keep`` wait here idle. A connection goes back to the pool instead when it was invalidated or
    still holds a transaction. A reader that needs a connection takes a kept one first, so none
    idles here while a reader waits.

    Over a fixed pool (PostgreSQL's), at most the pool's size are out at once, and a unit of work
    beyond them waits here, in arrival order, for the next connection given back, which is handed
    to it directly. In SQLAlchemy's pool queue a newcomer could take a connection just returned
    before the waiter woken for it ran, and that waiter queued again at the back: with 64 requests
    on 20 connections, some waited many turns (the write tail of issue 7). Over another pool,
    a connection goes back to the pool whenever anyone waits on it there.
    """

    def __init__(self, engine: AsyncEngine, keep: int) -> None:
        self._engine = engine
        self._keep = keep
        self.dialect = engine.dialect
        self._limit = _fixed_size(engine)
        self._timeout = float(getattr(engine.pool, "timeout", lambda: 30.0)())
        self._idle: list[AsyncConnection] = []
        self._out = 0
        """Connections taken from the pool and not closed since: in use, or idle here."""
        self._waiters: deque[asyncio.Future[AsyncConnection | None]] = deque()
        self._connecting = 0
        self._closed = False
        sa.event.listen(engine.sync_engine, "engine_disposed", self._dispose)

    async def take(self) -> AsyncConnection:
        while self._idle:
            conn = self._idle.pop()
            if not (conn.closed or conn.invalidated):
                return conn
            await self._close(conn)
        if self._limit is not None and self._out >= self._limit:
            handed = await self._wait()
            if handed is not None:
                return handed
            # None: a connection was closed, and its place, still counted, is this one's to open.
        else:
            self._out += 1
        self._connecting += 1
        try:
            return await self._engine.connect()
        except BaseException:
            self._free_place()
            raise
        finally:
            self._connecting -= 1

    async def give_back(self, conn: AsyncConnection) -> None:
        if conn.closed or conn.invalidated or conn.in_transaction():
            await self._close(conn)
        elif self._pass_on(conn):
            return
        elif self._closed or len(self._idle) >= self._keep or (self._limit is None and self._connecting):
            await self._close(conn)
        else:
            self._idle.append(conn)

    async def _wait(self) -> AsyncConnection | None:
        waiter: asyncio.Future[AsyncConnection | None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(self._timeout):
                return await waiter
        except BaseException as error:
            if waiter.done() and not waiter.cancelled():  # handed over just as it gave up: pass it on
                handed = waiter.result()
                if handed is None:
                    self._free_place()
                else:
                    await self.give_back(handed)
            if isinstance(error, TimeoutError):
                raise sa.exc.TimeoutError(
                    f"all {self._limit} connections of the pool stayed in use for {self._timeout:g} s"
                ) from error
            raise

    def _pass_on(self, conn: AsyncConnection | None) -> bool:
        """Hands a connection (or, with None, a free place) to the first waiter; False if none took it."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(conn)
                return True
        return False

    async def close(self, conn: AsyncConnection) -> None:
        """Back to the pool, not kept: a reader's, whose autocommit the pool's return resets (engine.py)."""
        await self._close(conn)

    async def _close(self, conn: AsyncConnection) -> None:
        """Back to the pool (which rolls back what it holds); its place goes to the first waiter."""
        try:
            await conn.close()
        finally:
            self._free_place()

    def _free_place(self) -> None:
        # Handed on still counted: a newcomer must not open a connection in the place of a waiter
        # woken for it, or the waiter would then wait in the pool for one nobody returns there.
        if not self._pass_on(None):
            self._out -= 1

    def _dispose(self, _engine: Any) -> None:
        # Runs after the pool was disposed: a kept connection returned to it now would never be
        # closed, so each is invalidated (its driver connection closed) instead. AsyncEngine.dispose()
        # runs this in SQLAlchemy's greenlet, where the driver can be awaited; a sync dispose
        # elsewhere can only drop them to the collector.
        self._closed = True
        idle, self._idle = self._idle, []
        self._out -= len(idle)
        if in_greenlet():
            for conn in idle:
                if conn.sync_connection is not None:
                    conn.sync_connection.invalidate()
                    conn.sync_connection.close()


def _fixed_size(engine: AsyncEngine) -> int | None:
    """The pool's size when it never opens more (no overflow): PostgreSQL's engine (engine.py)."""
    size = getattr(engine.pool, "size", None)
    overflow = getattr(engine.pool, "_max_overflow", None)
    return int(size()) if callable(size) and overflow == 0 else None


async def _autocommit_connection(connections: Connections) -> AsyncConnection:
    conn = await connections.take()
    if conn.dialect.name != "sqlite":
        # SQLite's driver opens no transaction for a SELECT; elsewhere autocommit spares the
        # BEGIN and ROLLBACK round trips a read does not need. Set on asyncpg's adapter itself:
        # SQLAlchemy's isolation_level option costs ~50 µs of CPU to set and reset per read.
        # The engine resets the flag when the pool takes the connection back (engine.py).
        (await conn.get_raw_connection()).dbapi_connection.autocommit = True  # type: ignore[union-attr]
    return conn


class ReadConnection:
    """A read-only unit of work's connection, checked out only when a statement needs SQLAlchemy.

    Until then a primary-key read (``fastpath.row_by_id``) runs on a driver reader, a bare
    driver connection taken for that one statement: reads run in autocommit, where each statement
    sees the latest commit whichever connection runs it, so nothing is lost by not sharing one.
    Once opened, the SQLAlchemy connection serves every statement, the primary-key reads included.
    """

    def __init__(self, connections: Connections, readers: DriverReaders | None) -> None:
        self._connections = connections
        self._readers = readers
        self._conn: AsyncConnection | None = None
        self.dialect = connections.dialect

    def readers_instead(self) -> DriverReaders | None:
        """The driver readers to use for a single statement, while no SQLAlchemy connection is open."""
        return self._readers if self._conn is None else None

    async def opened(self) -> AsyncConnection:
        if self._conn is None:
            self._conn = await _autocommit_connection(self._connections)
        return self._conn

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        return await (await self.opened()).execute(*args, **kwargs)

    async def stream(self, *args: Any, **kwargs: Any) -> Any:
        return await (await self.opened()).stream(*args, **kwargs)

    async def get_raw_connection(self) -> Any:
        return await (await self.opened()).get_raw_connection()

    def in_transaction(self) -> bool:
        return False

    async def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await self._connections.close(conn)


class SqlUnitOfWork:
    """One connection and, unless read-only, one transaction.

    Repositories are made on first use: a request that reads one client builds one repository.
    A read-only unit of work runs in autocommit, saving the BEGIN and ROLLBACK round trips that a
    single SELECT does not need; it refuses to commit. It checks out its connection only when a
    statement needs one (``ReadConnection``): a primary-key read alone runs on a driver reader.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        read_only: bool = False,
        write_lock: asyncio.Lock | None = None,
        bus: EventBus | None = None,
        readers: DriverReaders | None = None,
        connections: Connections | None = None,
        sealer: SecretSealer | None = None,
        checkpoints: WalCheckpoints | None = None,
    ) -> None:
        self._engine = engine
        self._checkpoints = checkpoints
        self._sealer = sealer
        self._bus = bus
        self._connections = connections or Connections(engine, keep=0)
        self._read_only = read_only
        self._write_lock = None if read_only else write_lock
        self._readers = readers
        self._conn: AsyncConnection | None = None
        self._reads: ReadConnection | None = None
        self._repositories: dict[str, Any] = {}

    companies = _Repository(_plain(t.companies, Company, "company"))
    departments = _Repository(_plain(t.departments, Department, "department"))
    roles = _Repository(_plain(t.roles, Role, "role"))
    employees = _Repository(_employees)
    service_accounts = _Repository(_service_accounts)
    projects = _Repository(_plain(t.projects, Project, "project"))
    clients = _Repository(_clients)
    client_groups = _Repository(SqlClientGroups)
    communication_types = _Repository(_plain(t.communication_types, CommunicationType, "communication type"))
    channels = _Repository(_plain(t.channels, Channel, "channel"))
    channel_blocks = _Repository(_plain(t.channel_blocks, ChannelBlock, "channel block"))
    push_subscriptions = _Repository(_plain(t.push_subscriptions, PushSubscription, "push subscription"))
    telegram_links = _Repository(_plain(t.telegram_links, TelegramLink, "telegram link"))
    documents = _Repository(_plain(t.documents, Document, "document"))
    rules = _Repository(_plain(t.rules, Rule, "rule"))
    booking_statuses = _Repository(_plain(t.booking_statuses, BookingStatusType, "booking status"))
    bookings = _Repository(_plain(t.bookings, Booking, "booking"))
    providers = _Sealed(SealedProviders)
    webhook_subscriptions = _Sealed(SealedWebhookSubscriptions)
    webhook_deliveries = _Repository(_plain(t.webhook_deliveries, WebhookDelivery, "webhook delivery"))
    webhook_claims = _Repository(SqlWebhookClaims)
    communications = _Repository(SqlCommunications)
    stats = _Repository(SqlStats)
    survey_responses = _Repository(SqlSurveyResponses)
    decisions = _Repository(SqlDecisionLog)
    history_import = _Repository(SqlHistoryImport)
    sends = _Repository(SqlSends)
    dispatch = _Repository(SqlDispatchQueue)
    missed_calls = _Repository(SqlMissedCalls)
    call_records = _Repository(SqlCallRecords)
    seen_call_events = _Repository(SqlSeenEvents)
    pbx_inbox = _Repository(SqlInbox)
    pbx_subscriptions = _Repository(SqlPbxSubscriptions)
    telephony_secrets = _Repository(SqlSecrets)
    call_campaigns = _Repository(SqlCampaigns)
    campaign_contacts = _Repository(SqlCampaignContacts)
    events = _Repository(SqlEventLog)
    mailings = _Repository(SqlMailings)
    mailing_runs = _Repository(SqlMailingRuns)

    @property
    def connection(self) -> AsyncConnection:
        if self._reads is not None:
            # Duck-typed: repositories use execute, stream, dialect and get_raw_connection only.
            return cast(AsyncConnection, self._reads)
        if self._conn is None:
            raise RuntimeError("the unit of work is not open: use it in `async with`")
        return self._conn

    async def __aenter__(self) -> Self:
        if self._read_only:
            self._reads = ReadConnection(self._connections, self._readers)
            return self
        if self._write_lock is not None:
            await self._write_lock.acquire()
        try:
            conn = await self._connections.take()
        except BaseException:
            self._release()
            raise
        try:
            if self._connections.dialect.name == "postgresql":
                # No SQLAlchemy transaction: the first statement opens asyncpg's, on the driver
                # (fastpath) or through SQLAlchemy, and commit() ends it where it was opened.
                # SQLAlchemy's begin and commit machinery cost a single-row write ~150 µs of CPU.
                conn.info[WRITE_UNIT] = True
            # SQLite: no SQLAlchemy transaction either. Its begin sends nothing on this driver
            # (sqlite3 opens its transaction itself before the first write), yet costs a greenlet
            # spawn; commit() then ends on the driver a transaction only driver statements opened,
            # and through SQLAlchemy one that a statement through SQLAlchemy joined.
        except BaseException:
            await self._connections.give_back(conn)
            self._release()
            raise
        self._conn = conn
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._reads is not None:
            reads, self._reads = self._reads, None
            try:
                await reads.close()
            finally:
                self._repositories.clear()
            return
        assert self._conn is not None
        ended = False
        try:
            if self._conn.in_transaction():
                await self._conn.rollback()
            else:
                await _end_on_driver(self._conn, commit=False)
            ended = True
        finally:
            with contextlib.suppress(Exception):  # an invalidated connection has no info to clear
                self._conn.info.pop(WRITE_UNIT, None)
            if not ended:
                # Its transaction may still be open on the driver, where nothing would end it: the
                # next unit given this connection would commit it. Closed instead of kept.
                with contextlib.suppress(Exception):
                    await self._conn.invalidate()
            await self._connections.give_back(self._conn)
            self._conn = None
            self._release()
            self._repositories.clear()

    def _release(self) -> None:
        if self._write_lock is not None and self._write_lock.locked():
            self._write_lock.release()

    async def commit(self) -> None:
        if self._read_only:
            raise RuntimeError("a read-only unit of work cannot commit")
        assert self._conn is not None
        if self._conn.in_transaction():
            await self._conn.commit()
        else:
            await _end_on_driver(self._conn, commit=True)
        if self._checkpoints is not None:
            self._checkpoints.committed()
        log = self._repositories.get("events")
        # After the commit, never inside it: a reader that hears the ring must find the rows.
        if isinstance(log, SqlEventLog) and log.committed() and self._bus is not None:
            await self._bus.publish()


async def _end_on_driver(conn: AsyncConnection, *, commit: bool) -> None:
    """Ends a transaction that only driver statements opened, SQLAlchemy holding none.

    A statement through SQLAlchemy joins the driver's transaction, and SQLAlchemy then commits or
    rolls it back itself; this is for a unit whose every statement went to the driver (fastpath):
    on PostgreSQL asyncpg's transaction, taken off its adapter; on SQLite the one sqlite3 opened.
    """
    raw = await raw_connection(conn)
    if conn.dialect.name == "postgresql":
        adapter: Any = raw.dbapi_connection
        transaction, adapter._transaction = getattr(adapter, "_transaction", None), None
        if transaction is not None:
            await (transaction.commit() if commit else transaction.rollback())
        return
    driver: Any = raw.driver_connection
    if driver is not None and driver.in_transaction:
        await (driver.commit() if commit else driver.rollback())


class SqlUnitOfWorkFactory:
    def __init__(
        self, engine: AsyncEngine, bus: EventBus | None = None, sealer: SecretSealer | None = None
    ) -> None:
        self.engine = engine
        self.bus = bus
        # Seals the secrets of providers and webhook subscriptions; without one, none is kept or read.
        self._sealer = sealer
        # SQLite has one writer at a time. Writers of this process queue here instead of racing
        # for the file lock and sleeping in SQLite's busy handler; other processes still wait
        # on busy_timeout.
        self._write_lock = asyncio.Lock() if engine.dialect.name == "sqlite" else None
        self._readers = readers_of(engine)
        self._checkpoints = checkpoints_of(engine)
        # SQLite writes one at a time, so one kept connection serves every writer.
        pool_size = getattr(engine.pool, "size", lambda: 2)()
        keep = 1 if engine.dialect.name == "sqlite" else max(1, pool_size // 2)
        self._connections = Connections(engine, keep)

    @property
    def sealer(self) -> SecretSealer | None:
        """What seals the secrets this storage keeps (another process over it needs the same key)."""
        return self._sealer

    def __call__(self, *, read_only: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(
            self.engine,
            read_only=read_only,
            write_lock=self._write_lock,
            bus=self.bus,
            readers=self._readers,
            connections=self._connections,
            sealer=self._sealer,
            checkpoints=self._checkpoints,
        )

    async def seal_kept_secrets(self) -> int:
        """At start: seals secrets kept in plain text or under a previous key; a wrong key raises here."""
        async with self() as uow:
            resealed = await uow.providers.seal_again() + await uow.webhook_subscriptions.seal_again()
            await uow.commit()
        return resealed


# mypy holds the adapter to its port here: a missing or mistyped repository fails the type check.
_checked_unit_of_work: type[UnitOfWork] = SqlUnitOfWork
_checked_factory: type[UnitOfWorkFactory] = SqlUnitOfWorkFactory
