"""A unit of work over an in-memory store: a transaction is a private copy, committed by swapping."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any, Self

from adapters.memory.communications import CommunicationTables, MemoryCommunications
from adapters.memory.dispatch import MemoryDispatchQueue
from adapters.memory.repositories import MemoryRepository, Table
from adapters.memory.sends import MemorySends, SendTables
from application.queries import Condition, Op
from domain.catalog import Channel, CommunicationType, Document
from domain.clients import Booking, BookingStatusType, ChannelBlock, Client, ClientGroup, Project
from domain.organisation import Company, Department, Employee, Role, ServiceAccount
from domain.rules import Rule

KINDS: dict[str, str] = {
    "companies": "company",
    "departments": "department",
    "employees": "employee",
    "service_accounts": "service account",
    "roles": "role",
    "projects": "project",
    "clients": "client",
    "client_groups": "client group",
    "communication_types": "communication type",
    "channels": "channel",
    "channel_blocks": "channel block",
    "documents": "document",
    "rules": "rule",
    "booking_statuses": "booking status",
    "bookings": "booking",
}


class MemoryStore:
    """Everything stored, shared by the units of work of one process (or one test)."""

    def __init__(self) -> None:
        self.tables: dict[str, Table[Any]] = {name: Table() for name in KINDS}
        self.memberships: dict[int, frozenset[int]] = {}
        self.communications = CommunicationTables()
        self.sending = SendTables()
        # One transaction at a time: the fake is serializable, which real storage approximates.
        self.lock = asyncio.Lock()


class _Relation:
    """Contains a relation test against a set of ids, with SQL's ``eq`` / ``in`` meaning."""

    @staticmethod
    def holds(ids: Iterable[int], condition: Condition) -> bool:
        ids = set(ids)
        if condition.op is Op.EQ:
            return condition.value in ids
        if condition.op is Op.IN:
            return bool(ids & set(condition.value))  # type: ignore[call-overload]
        raise ValueError(f"unsupported operator {condition.op} on a relation")


class MemoryClientGroups(MemoryRepository[ClientGroup]):
    def __init__(self, table: Table[ClientGroup], memberships: dict[int, frozenset[int]]) -> None:
        super().__init__(table, "client group")
        self._memberships = memberships

    async def add_members(self, group_id: int, client_ids: Iterable[int]) -> int:
        before = self._memberships.get(group_id, frozenset())
        after = before | set(client_ids)
        self._memberships[group_id] = after
        return len(after) - len(before)

    async def remove_members(self, group_id: int, client_ids: Iterable[int]) -> int:
        before = self._memberships.get(group_id, frozenset())
        after = before - set(client_ids)
        self._memberships[group_id] = after
        return len(before) - len(after)

    async def groups_of(self, client_id: int) -> list[int]:
        return sorted(g for g, members in self._memberships.items() if client_id in members)

    async def delete(self, entity_id: int) -> None:
        self._memberships.pop(entity_id, None)
        await super().delete(entity_id)


class MemoryUnitOfWork:
    companies: MemoryRepository[Company]
    departments: MemoryRepository[Department]
    employees: MemoryRepository[Employee]
    service_accounts: MemoryRepository[ServiceAccount]
    roles: MemoryRepository[Role]
    projects: MemoryRepository[Project]
    clients: MemoryRepository[Client]
    client_groups: MemoryClientGroups
    communication_types: MemoryRepository[CommunicationType]
    channels: MemoryRepository[Channel]
    channel_blocks: MemoryRepository[ChannelBlock]
    documents: MemoryRepository[Document]
    rules: MemoryRepository[Rule]
    booking_statuses: MemoryRepository[BookingStatusType]
    bookings: MemoryRepository[Booking]
    communications: MemoryCommunications
    sends: MemorySends
    dispatch: MemoryDispatchQueue

    def __init__(self, store: MemoryStore, *, read_only: bool = False) -> None:
        self._store = store
        self._read_only = read_only

    async def __aenter__(self) -> Self:
        await self._store.lock.acquire()
        self._tables = {name: table.copy() for name, table in self._store.tables.items()}
        self._memberships = dict(self._store.memberships)
        for name, kind in KINDS.items():
            setattr(self, name, MemoryRepository(self._tables[name], kind, self._virtual_fields(name)))
        self.client_groups = MemoryClientGroups(self._tables["client_groups"], self._memberships)
        self._communications = self._store.communications.copy()
        self.communications = MemoryCommunications(self._communications, lambda: self._memberships)
        self._sending = self._store.sending.copy()
        self.sends = MemorySends(
            self._sending, self._tables, lambda: self._memberships, lambda: self._communications
        )
        self.dispatch = MemoryDispatchQueue(self._sending)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._store.lock.release()

    async def commit(self) -> None:
        if self._read_only:
            raise RuntimeError("a read-only unit of work cannot commit")
        self._store.tables = {name: table.copy() for name, table in self._tables.items()}
        self._store.memberships = dict(self._memberships)
        self._store.communications = self._communications.copy()
        self._store.sending = self._sending.copy()

    def _virtual_fields(self, name: str) -> dict[str, Any]:
        """Fields that are relations rather than attributes; the SQL repositories mirror these."""
        if name in ("employees", "service_accounts"):
            return {"role_id": lambda user, c: _Relation.holds(user.role_ids, c)}
        if name == "clients":
            return {
                "phone": lambda client, c: _Relation.holds(client.phones, c),
                "group_id": lambda client, c: _Relation.holds(
                    (g for g, members in self._memberships.items() if client.id in members), c
                ),
                "tag": lambda client, c: _Relation.holds(client.tags, c),
                # ``except_id in [ids]``: the client is none of them (queries have no "not in").
                "except_id": lambda client, c: not _Relation.holds([client.id], c),
            }
        return {}


class MemoryUnitOfWorkFactory:
    def __init__(self, store: MemoryStore | None = None) -> None:
        self.store = store or MemoryStore()

    def __call__(self, *, read_only: bool = False) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self.store, read_only=read_only)
