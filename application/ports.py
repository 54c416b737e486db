"""The ports: what the use cases need from the outside world, as protocols."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol, Self, TypeVar

from application.communications.ports import CommunicationRepository
from application.queries import Criterion, Query
from application.sending.queue import DispatchQueue
from application.sending.store import SendRepository
from domain.catalog import Channel, CommunicationType, Document
from domain.clients import Booking, BookingStatusType, ChannelBlock, Client, ClientGroup, Project
from domain.entity import Entity
from domain.organisation import Company, Department, Employee, Role, ServiceAccount
from domain.rules import Rule

E = TypeVar("E", bound=Entity)


class Repository(Protocol[E]):
    """Storage of one kind of entity. Entities come back as copies: change them, then ``update``."""

    async def add(self, entity: E) -> E:
        """Store a new entity; sets and returns it with its id."""

    async def get(self, entity_id: int) -> E | None: ...

    async def get_many(self, ids: Iterable[int]) -> dict[int, E]: ...

    async def update(self, entity: E) -> None: ...

    async def delete(self, entity_id: int) -> None: ...

    async def find(self, query: Query) -> list[E]: ...

    async def first(self, *criteria: Criterion) -> E | None: ...

    async def count(self, *criteria: Criterion) -> int: ...


class ClientGroupRepository(Repository[ClientGroup], Protocol):
    async def add_members(self, group_id: int, client_ids: Iterable[int]) -> int:
        """Adds clients to the group; returns how many were not members before."""

    async def remove_members(self, group_id: int, client_ids: Iterable[int]) -> int: ...

    async def groups_of(self, client_id: int) -> list[int]: ...


class UnitOfWork(Protocol):
    """One transaction over every repository. Nothing is stored until ``commit``."""

    companies: Repository[Company]
    departments: Repository[Department]
    employees: Repository[Employee]
    service_accounts: Repository[ServiceAccount]
    roles: Repository[Role]
    projects: Repository[Project]
    clients: Repository[Client]
    client_groups: ClientGroupRepository
    communication_types: Repository[CommunicationType]
    channels: Repository[Channel]
    channel_blocks: Repository[ChannelBlock]
    documents: Repository[Document]
    rules: Repository[Rule]
    booking_statuses: Repository[BookingStatusType]
    bookings: Repository[Booking]
    communications: CommunicationRepository
    sends: SendRepository
    dispatch: DispatchQueue

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *exc_info: object) -> None: ...

    async def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, *, read_only: bool = False) -> UnitOfWork:
        """A new unit of work. ``read_only`` ones may skip the transaction and cannot commit."""


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...


class PhoneNumberParser(Protocol):
    def to_e164(self, raw: str) -> str | None:
        """The number in E.164 (``+74951234567``), or None when it is not a phone number."""
