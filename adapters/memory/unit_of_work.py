"""A unit of work over an in-memory store: a transaction is a private copy, committed by swapping."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any, Self

from adapters.memory.communications import CommunicationTables, MemoryCommunications
from adapters.memory.decisions import MemoryDecisionLog, MemoryHistoryImport
from adapters.memory.dispatch import MemoryDispatchQueue
from adapters.memory.events import EventTable, MemoryEventLog
from adapters.memory.mailings import MailingTables, MemoryMailingRuns, MemoryMailings
from adapters.memory.matching import RelationTest
from adapters.memory.repositories import MemoryRepository, Table
from adapters.memory.sends import MemorySends, SendTables
from adapters.memory.stats import MemoryStats
from adapters.memory.surveys import MemorySurveyResponses
from adapters.memory.telephony import (
    MemoryCallRecords,
    MemoryCampaignContacts,
    MemoryCampaigns,
    MemoryInbox,
    MemoryMissedCalls,
    MemorySecrets,
    MemorySeenEvents,
    MemorySubscriptions,
    TelephonyTables,
)
from adapters.memory.webhooks import Leases, MemoryWebhookClaims
from application.events.ports import EventBus
from application.ports import UnitOfWork, UnitOfWorkFactory
from application.queries import Condition, Op
from domain.clients import Booking, BookingStatusType, ChannelBlock, Client, ClientGroup, Project
from domain.communications import Communication
from domain.dictionaries import Channel, CommunicationType, Document
from domain.organisation import Company, Department, Employee, Role, ServiceAccount
from domain.providers import Provider
from domain.push import PushSubscription
from domain.rules import Rule
from domain.telegram import TelegramLink
from domain.webhooks import WebhookDelivery, WebhookSubscription

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
    "push_subscriptions": "push subscription",
    "telegram_links": "telegram link",
    "documents": "document",
    "rules": "rule",
    "booking_statuses": "booking status",
    "bookings": "booking",
    "providers": "provider",
    "webhook_subscriptions": "webhook subscription",
    "webhook_deliveries": "webhook delivery",
}


class MemoryStore:
    """Everything stored, shared by the units of work of one process (or one test)."""

    def __init__(self) -> None:
        self.tables: dict[str, Table[Any]] = {name: Table() for name in KINDS}
        self.memberships: dict[int, frozenset[int]] = {}
        self.communications = CommunicationTables()
        self.telephony = TelephonyTables()
        self.sending = SendTables()
        self.mailings = MailingTables()
        # One transaction at a time: the fake is serializable, which real storage approximates.
        self.events = EventTable()
        self.webhook_leases: Leases = {}
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
    push_subscriptions: MemoryRepository[PushSubscription]
    telegram_links: MemoryRepository[TelegramLink]
    documents: MemoryRepository[Document]
    rules: MemoryRepository[Rule]
    booking_statuses: MemoryRepository[BookingStatusType]
    bookings: MemoryRepository[Booking]
    providers: MemoryRepository[Provider]
    webhook_subscriptions: MemoryRepository[WebhookSubscription]
    webhook_deliveries: MemoryRepository[WebhookDelivery]
    webhook_claims: MemoryWebhookClaims
    communications: MemoryCommunications
    stats: MemoryStats
    survey_responses: MemorySurveyResponses
    decisions: MemoryDecisionLog
    history_import: MemoryHistoryImport
    missed_calls: MemoryMissedCalls
    call_records: MemoryCallRecords
    seen_call_events: MemorySeenEvents
    pbx_inbox: MemoryInbox
    pbx_subscriptions: MemorySubscriptions
    telephony_secrets: MemorySecrets
    call_campaigns: MemoryCampaigns
    campaign_contacts: MemoryCampaignContacts
    sends: MemorySends
    dispatch: MemoryDispatchQueue
    events: MemoryEventLog
    mailings: MemoryMailings
    mailing_runs: MemoryMailingRuns

    def __init__(self, store: MemoryStore, *, read_only: bool = False, bus: EventBus | None = None) -> None:
        self._store = store
        self._read_only = read_only
        self._bus = bus

    async def __aenter__(self) -> Self:
        await self._store.lock.acquire()
        self._tables = tables = {name: table.copy() for name, table in self._store.tables.items()}
        self._memberships = dict(self._store.memberships)
        users = {"role_id": _role_holds}
        self.companies = MemoryRepository(tables["companies"], "company")
        self.departments = MemoryRepository(tables["departments"], "department")
        self.employees = MemoryRepository(tables["employees"], "employee", users)
        self.service_accounts = MemoryRepository(tables["service_accounts"], "service account", users)
        self.roles = MemoryRepository(tables["roles"], "role")
        self.projects = MemoryRepository(tables["projects"], "project")
        self.clients = MemoryRepository(tables["clients"], "client", self._client_relations())
        self.client_groups = MemoryClientGroups(tables["client_groups"], self._memberships)
        self.communication_types = MemoryRepository(tables["communication_types"], "communication type")
        self.channels = MemoryRepository(tables["channels"], "channel")
        self.channel_blocks = MemoryRepository(tables["channel_blocks"], "channel block")
        self.push_subscriptions = MemoryRepository(tables["push_subscriptions"], "push subscription")
        self.telegram_links = MemoryRepository(tables["telegram_links"], "telegram link")
        self.documents = MemoryRepository(tables["documents"], "document")
        self.rules = MemoryRepository(tables["rules"], "rule")
        self.booking_statuses = MemoryRepository(tables["booking_statuses"], "booking status")
        self.bookings = MemoryRepository(tables["bookings"], "booking")
        self.providers = MemoryRepository(tables["providers"], "provider")
        self.webhook_subscriptions = MemoryRepository(tables["webhook_subscriptions"], "webhook subscription")
        self.webhook_deliveries = MemoryRepository(tables["webhook_deliveries"], "webhook delivery")
        self._webhook_leases = dict(self._store.webhook_leases)
        self.webhook_claims = MemoryWebhookClaims(tables["webhook_deliveries"], self._webhook_leases)
        self._communications = self._store.communications.copy()
        self.communications = MemoryCommunications(
            self._communications, lambda: self._memberships, self._zone_of
        )
        self.stats = MemoryStats(
            lambda: self._communications.counters,
            lambda: self._communications.rows,
            self._zone_of,
            lambda: self._memberships,
        )
        self.survey_responses = MemorySurveyResponses(
            lambda: self._communications, self._zone_of, lambda: self._memberships
        )
        self.history_import = MemoryHistoryImport(self.communications, tables)
        self.decisions = MemoryDecisionLog(
            lambda: self._communications, self._zone_of, lambda: self._memberships
        )
        self._telephony = telephony = self._store.telephony.copy()
        self.missed_calls = MemoryMissedCalls(telephony.missed_calls)
        self.call_records = MemoryCallRecords(telephony.call_records)
        self.seen_call_events = MemorySeenEvents(telephony.seen_events)
        self.pbx_inbox = MemoryInbox(telephony)
        self.pbx_subscriptions = MemorySubscriptions(telephony.subscriptions)
        self.telephony_secrets = MemorySecrets(telephony.secrets)
        self.call_campaigns = MemoryCampaigns(telephony.campaigns)
        self.campaign_contacts = MemoryCampaignContacts(telephony.campaign_contacts)
        self._sending = self._store.sending.copy()
        self.sends = MemorySends(
            self._sending,
            self._tables,
            lambda: self._memberships,
            lambda: self._communications,
            self.communications.add_many,
            self.communications,
        )
        self.dispatch = MemoryDispatchQueue(self._sending)
        self.events = MemoryEventLog(self._store.events)
        self._mailings = self._store.mailings.copy()
        self.mailings = MemoryMailings(self._mailings)
        self.mailing_runs = MemoryMailingRuns(self._mailings)
        return self

    def _zone_of(self, communication: Communication) -> str | None:
        # The client's time zone, else the department's: what the SQL adapter looks up.
        client = self._tables["clients"].rows.get(communication.client_id or 0)
        department = self._tables["departments"].rows.get(communication.department_id or 0)
        return (client.time_zone if client else None) or (department.time_zone if department else None)

    async def __aexit__(self, *exc_info: object) -> None:
        self._store.lock.release()

    async def commit(self) -> None:
        if self._read_only:
            raise RuntimeError("a read-only unit of work cannot commit")
        self._store.tables = {name: table.copy() for name, table in self._tables.items()}
        self._store.memberships = dict(self._memberships)
        self._store.communications = self._communications.copy()
        self._store.telephony = self._telephony.copy()
        self._store.sending = self._sending.copy()
        self._store.mailings = self._mailings.copy()
        self._store.webhook_leases = dict(self._webhook_leases)
        self.events.commit()
        if self.events.appended and self._bus is not None:
            await self._bus.publish()

    def _client_relations(self) -> dict[str, RelationTest]:
        """What a client is related to beside its own row; the SQL repository mirrors these."""
        return {
            "phone": lambda client, c: _Relation.holds(client.phones, c),
            "group_id": lambda client, c: _Relation.holds(
                (g for g, members in self._memberships.items() if client.id in members), c
            ),
            "tag": lambda client, c: _Relation.holds(client.tags, c),
        }


def _role_holds(user: Any, condition: Condition) -> bool:
    return _Relation.holds(user.role_ids, condition)


class MemoryUnitOfWorkFactory:
    def __init__(self, store: MemoryStore | None = None, bus: EventBus | None = None) -> None:
        self.store = store or MemoryStore()
        self.bus = bus

    def __call__(self, *, read_only: bool = False) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self.store, read_only=read_only, bus=self.bus)

    async def seal_kept_secrets(self) -> int:
        """Nothing is kept at rest in memory: nothing to seal."""
        return 0


# mypy holds the fake to its port here: a missing or mistyped repository fails the type check.
_checked_unit_of_work: type[UnitOfWork] = MemoryUnitOfWork
_checked_factory: type[UnitOfWorkFactory] = MemoryUnitOfWorkFactory
