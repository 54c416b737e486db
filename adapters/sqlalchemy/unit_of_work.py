"""A unit of work on one database connection and transaction."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Self

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.sqlalchemy import tables as t
from adapters.sqlalchemy.communications import SqlCommunications
from adapters.sqlalchemy.dispatch import SqlDispatchQueue
from adapters.sqlalchemy.filters import VirtualFilter, related, where
from adapters.sqlalchemy.groups import SqlClientGroups
from adapters.sqlalchemy.repository import Link, SqlRepository
from adapters.sqlalchemy.sending import SqlSends
from application.queries import Condition, Op
from domain.catalog import Channel, CommunicationType, Document
from domain.clients import Booking, BookingStatusType, ChannelBlock, Client, Project
from domain.organisation import Company, Department, Employee, Role, ServiceAccount
from domain.rules import Rule


def _json_list_has(column: sa.Column[Any], dialect: str) -> VirtualFilter:
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


def _none_of(table: sa.Table) -> VirtualFilter:
    """``except_id in [ids]``: the row's id is none of them (queries have no "not in")."""
    return lambda condition: sa.not_(where(table, Condition("id", condition.op, condition.value), {}))


def _employees(conn: AsyncConnection) -> SqlRepository[Employee]:
    link = t.employee_roles
    return SqlRepository(
        conn,
        t.employees,
        Employee,
        "employee",
        links=[Link("role_ids", link, "employee_id", "role_id")],
        virtual={"role_id": related(t.employees.c.id, link.c.employee_id, link.c.role_id)},
    )


def _service_accounts(conn: AsyncConnection) -> SqlRepository[ServiceAccount]:
    link = t.service_account_roles
    return SqlRepository(
        conn,
        t.service_accounts,
        ServiceAccount,
        "service account",
        links=[Link("role_ids", link, "service_account_id", "role_id")],
        virtual={"role_id": related(t.service_accounts.c.id, link.c.service_account_id, link.c.role_id)},
    )


_CLIENT_FILTERS: dict[str, dict[str, VirtualFilter]] = {}


def _client_filters(dialect: str) -> dict[str, VirtualFilter]:
    """Built once per dialect: the tag filter's SQL differs between SQLite and PostgreSQL."""
    if dialect not in _CLIENT_FILTERS:
        members = t.client_group_members
        _CLIENT_FILTERS[dialect] = {
            "phone": related(t.clients.c.id, t.client_phones.c.client_id, t.client_phones.c.phone),
            "group_id": related(t.clients.c.id, members.c.client_id, members.c.group_id),
            "tag": _json_list_has(t.clients.c.tags, dialect),
            "except_id": _none_of(t.clients),
        }
    return _CLIENT_FILTERS[dialect]


def _clients(conn: AsyncConnection) -> SqlRepository[Client]:
    phones = Link("phones", t.client_phones, "client_id", "phone", loaded=False)
    return SqlRepository(
        conn, t.clients, Client, "client", links=[phones], virtual=_client_filters(conn.dialect.name)
    )


def _plain(table: sa.Table, entity: type[Any], kind: str) -> Callable[[AsyncConnection], SqlRepository[Any]]:
    return lambda conn: SqlRepository(conn, table, entity, kind)


REPOSITORIES: dict[str, Callable[[AsyncConnection], Any]] = {
    "companies": _plain(t.companies, Company, "company"),
    "departments": _plain(t.departments, Department, "department"),
    "roles": _plain(t.roles, Role, "role"),
    "employees": _employees,
    "service_accounts": _service_accounts,
    "projects": _plain(t.projects, Project, "project"),
    "clients": _clients,
    "client_groups": SqlClientGroups,
    "communication_types": _plain(t.communication_types, CommunicationType, "communication type"),
    "channels": _plain(t.channels, Channel, "channel"),
    "channel_blocks": _plain(t.channel_blocks, ChannelBlock, "channel block"),
    "documents": _plain(t.documents, Document, "document"),
    "rules": _plain(t.rules, Rule, "rule"),
    "booking_statuses": _plain(t.booking_statuses, BookingStatusType, "booking status"),
    "bookings": _plain(t.bookings, Booking, "booking"),
    "communications": SqlCommunications,
    "sends": SqlSends,
    "dispatch": SqlDispatchQueue,
}


class SqlUnitOfWork:
    """One connection and, unless read-only, one transaction.

    Repositories are made on first use: a request that reads one client builds one repository.
    A read-only unit of work runs in autocommit, saving the BEGIN and ROLLBACK round trips that a
    single SELECT does not need; it refuses to commit.
    """

    def __init__(
        self, engine: AsyncEngine, *, read_only: bool = False, write_lock: asyncio.Lock | None = None
    ) -> None:
        self._engine = engine
        self._read_only = read_only
        self._write_lock = None if read_only else write_lock
        self._conn: AsyncConnection | None = None
        self._repositories: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        make = REPOSITORIES.get(name)
        if make is None or self._conn is None:
            raise AttributeError(name)
        repository = self._repositories[name] = make(self._conn)
        setattr(self, name, repository)
        return repository

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
            # BEGIN and ROLLBACK round trips a read does not need.
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
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
            for name in self._repositories:
                delattr(self, name)
            self._repositories.clear()

    def _release(self) -> None:
        if self._write_lock is not None and self._write_lock.locked():
            self._write_lock.release()

    async def commit(self) -> None:
        assert self._conn is not None
        if self._read_only:
            raise RuntimeError("a read-only unit of work cannot commit")
        await self._conn.commit()


class SqlUnitOfWorkFactory:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        # SQLite has one writer at a time. Writers of this process queue here instead of racing
        # for the file lock and sleeping in SQLite's busy handler; other processes still wait
        # on busy_timeout.
        self._write_lock = asyncio.Lock() if engine.dialect.name == "sqlite" else None

    def __call__(self, *, read_only: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, read_only=read_only, write_lock=self._write_lock)
