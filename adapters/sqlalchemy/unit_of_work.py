"""A unit of work on one database connection and transaction."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Generic, Self, TypeVar, overload

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.sqlalchemy import tables as t
from adapters.sqlalchemy.bulk_import import SqlHistoryImport
from adapters.sqlalchemy.communications import SqlCommunications
from adapters.sqlalchemy.decisions import SqlDecisionLog
from adapters.sqlalchemy.dispatch import SqlDispatchQueue
from adapters.sqlalchemy.events import SqlEventLog
from adapters.sqlalchemy.filters import RelationFilter, related
from adapters.sqlalchemy.groups import SqlClientGroups
from adapters.sqlalchemy.mailings import SqlMailingRuns, SqlMailings
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
from application.events.ports import EventBus
from application.ports import UnitOfWork, UnitOfWorkFactory
from application.queries import Condition, Op
from domain.clients import Booking, BookingStatusType, ChannelBlock, Client, Project
from domain.dictionaries import Channel, CommunicationType, Document
from domain.entity import Entity
from domain.organisation import Company, Department, Employee, Role, ServiceAccount
from domain.providers import Provider
from domain.push import PushSubscription
from domain.rules import Rule
from domain.webhooks import WebhookDelivery, WebhookSubscription

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
            made = uow._repositories[self._name] = self._make(uow.connection)
        return made

    def __set__(self, uow: SqlUnitOfWork, repository: R) -> None:
        # Lets a test or a decorator stand another repository in for this one, as the port allows.
        uow._repositories[self._name] = repository


def _plain(table: sa.Table, entity: type[E], kind: str) -> Callable[[AsyncConnection], SqlRepository[E]]:
    return lambda conn: SqlRepository(conn, table, entity, kind)


class SqlUnitOfWork:
    """One connection and, unless read-only, one transaction.

    Repositories are made on first use: a request that reads one client builds one repository.
    A read-only unit of work runs in autocommit, saving the BEGIN and ROLLBACK round trips that a
    single SELECT does not need; it refuses to commit.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        read_only: bool = False,
        write_lock: asyncio.Lock | None = None,
        bus: EventBus | None = None,
    ) -> None:
        self._engine = engine
        self._bus = bus
        self._read_only = read_only
        self._write_lock = None if read_only else write_lock
        self._conn: AsyncConnection | None = None
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
    documents = _Repository(_plain(t.documents, Document, "document"))
    rules = _Repository(_plain(t.rules, Rule, "rule"))
    booking_statuses = _Repository(_plain(t.booking_statuses, BookingStatusType, "booking status"))
    bookings = _Repository(_plain(t.bookings, Booking, "booking"))
    providers = _Repository(_plain(t.providers, Provider, "provider"))
    webhook_subscriptions = _Repository(
        _plain(t.webhook_subscriptions, WebhookSubscription, "webhook subscription")
    )
    webhook_deliveries = _Repository(_plain(t.webhook_deliveries, WebhookDelivery, "webhook delivery"))
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
        if self._conn is None:
            raise RuntimeError("the unit of work is not open: use it in `async with`")
        return self._conn

    async def __aenter__(self) -> Self:
        if self._write_lock is not None:
            await self._write_lock.acquire()
        try:
            conn = await self._engine.connect()
        except BaseException:
            self._release()
            raise
        if not self._read_only:
            await conn.begin()
        elif conn.dialect.name != "sqlite":
            # SQLite's driver opens no transaction for a SELECT; elsewhere autocommit spares the
            # BEGIN and ROLLBACK round trips a read does not need. Set on asyncpg's adapter itself:
            # SQLAlchemy's isolation_level option costs ~50 µs of CPU to set and reset per read.
            # The engine resets the flag when the pool takes the connection back (engine.py).
            (await conn.get_raw_connection()).dbapi_connection.autocommit = True  # type: ignore[union-attr]
        self._conn = conn
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._conn is not None
        try:
            if self._conn.in_transaction():
                await self._conn.rollback()
        finally:
            await self._conn.close()
            self._conn = None
            self._release()
            self._repositories.clear()

    def _release(self) -> None:
        if self._write_lock is not None and self._write_lock.locked():
            self._write_lock.release()

    async def commit(self) -> None:
        assert self._conn is not None
        if self._read_only:
            raise RuntimeError("a read-only unit of work cannot commit")
        await self._conn.commit()
        log = self._repositories.get("events")
        # After the commit, never inside it: a reader that hears the ring must find the rows.
        if isinstance(log, SqlEventLog) and log.committed() and self._bus is not None:
            await self._bus.publish()


class SqlUnitOfWorkFactory:
    def __init__(self, engine: AsyncEngine, bus: EventBus | None = None) -> None:
        self.engine = engine
        self.bus = bus
        # SQLite has one writer at a time. Writers of this process queue here instead of racing
        # for the file lock and sleeping in SQLite's busy handler; other processes still wait
        # on busy_timeout.
        self._write_lock = asyncio.Lock() if engine.dialect.name == "sqlite" else None

    def __call__(self, *, read_only: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, read_only=read_only, write_lock=self._write_lock, bus=self.bus)


# mypy holds the adapter to its port here: a missing or mistyped repository fails the type check.
_checked_unit_of_work: type[UnitOfWork] = SqlUnitOfWork
_checked_factory: type[UnitOfWorkFactory] = SqlUnitOfWorkFactory
