"""A unit of work on one database connection and transaction."""

from __future__ import annotations

from typing import Any, Self

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.sqlalchemy import tables as t
from adapters.sqlalchemy.communications import SqlCommunications
from adapters.sqlalchemy.filters import VirtualFilter, related, where
from adapters.sqlalchemy.groups import SqlClientGroups
from adapters.sqlalchemy.repository import Link, SqlRepository
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


class SqlUnitOfWork:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._conn: AsyncConnection | None = None

    async def __aenter__(self) -> Self:
        conn = self._conn = await self._engine.connect()
        await conn.begin()
        self.companies = SqlRepository(conn, t.companies, Company, "company")
        self.departments = SqlRepository(conn, t.departments, Department, "department")
        self.roles = SqlRepository(conn, t.roles, Role, "role")
        self.employees = SqlRepository(
            conn,
            t.employees,
            Employee,
            "employee",
            links=[Link("role_ids", t.employee_roles, "employee_id", "role_id")],
            virtual={
                "role_id": related(
                    t.employees.c.id, t.employee_roles.c.employee_id, t.employee_roles.c.role_id
                )
            },
        )
        self.service_accounts = SqlRepository(
            conn,
            t.service_accounts,
            ServiceAccount,
            "service account",
            links=[Link("role_ids", t.service_account_roles, "service_account_id", "role_id")],
            virtual={
                "role_id": related(
                    t.service_accounts.c.id,
                    t.service_account_roles.c.service_account_id,
                    t.service_account_roles.c.role_id,
                )
            },
        )
        self.projects = SqlRepository(conn, t.projects, Project, "project")
        self.clients = SqlRepository(
            conn,
            t.clients,
            Client,
            "client",
            links=[Link("phones", t.client_phones, "client_id", "phone", loaded=False)],
            virtual={
                "phone": related(t.clients.c.id, t.client_phones.c.client_id, t.client_phones.c.phone),
                "group_id": related(
                    t.clients.c.id, t.client_group_members.c.client_id, t.client_group_members.c.group_id
                ),
                "tag": _json_list_has(t.clients.c.tags, conn.dialect.name),
                "except_id": _none_of(t.clients),
            },
        )
        self.client_groups = SqlClientGroups(conn)
        self.communication_types = SqlRepository(
            conn, t.communication_types, CommunicationType, "communication type"
        )
        self.channels = SqlRepository(conn, t.channels, Channel, "channel")
        self.channel_blocks = SqlRepository(conn, t.channel_blocks, ChannelBlock, "channel block")
        self.documents = SqlRepository(conn, t.documents, Document, "document")
        self.rules = SqlRepository(conn, t.rules, Rule, "rule")
        self.booking_statuses = SqlRepository(conn, t.booking_statuses, BookingStatusType, "booking status")
        self.bookings = SqlRepository(conn, t.bookings, Booking, "booking")
        self.communications = SqlCommunications(conn)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._conn is not None
        try:
            if self._conn.in_transaction():
                await self._conn.rollback()
        finally:
            await self._conn.close()
            self._conn = None

    async def commit(self) -> None:
        assert self._conn is not None
        await self._conn.commit()


class SqlUnitOfWorkFactory:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine)
