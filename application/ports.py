"""The ports: what the use cases need from the outside world, as protocols."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol, Self, TypeVar

from application.communications.ports import CommunicationRepository
from application.decisions.ports import DecisionLog, HistoryWriter, StatsReadModel, SurveyResponseRepository
from application.events.ports import EventLog
from application.mailings.ports import MailingRepository, MailingRunRepository
from application.queries import Criterion, Query
from application.sending.queue import DispatchQueue
from application.sending.store import SendRepository
from application.telephony.ports import (
    CallCampaignRepository,
    CallRecordRepository,
    CampaignContactRepository,
    MissedCallRepository,
    PbxInbox,
    PbxSubscriptionRepository,
    SecretStore,
    SeenEvents,
)
from application.webhooks.ports import WebhookClaims
from domain.clients import Booking, BookingStatusType, ChannelBlock, Client, ClientGroup, Project
from domain.dictionaries import Channel, CommunicationType, Document
from domain.entity import Entity
from domain.organisation import Company, Department, Employee, Role, ServiceAccount
from domain.providers import Provider
from domain.push import PushSubscription
from domain.rules import Rule
from domain.telegram import TelegramLink
from domain.webhooks import WebhookDelivery, WebhookSubscription

E = TypeVar("E", bound=Entity)


class Repository(Protocol[E]):
    """Storage of one kind of entity. Entities come back as copies: change them, then ``update``."""

    async def add(self, entity: E) -> E:
        """Store a new entity; sets and returns it with its id."""

    async def get(self, entity_id: int) -> E | None:
        """The stored one with this id, or None."""

    async def get_many(self, ids: Iterable[int]) -> dict[int, E]:
        """The stored ones among these ids, by id (unknown ids are left out)."""

    async def update(self, entity: E) -> None:
        """Stores the changed entity."""

    async def delete(self, entity_id: int) -> None:
        """Removes the one with this id."""

    async def find(self, query: Query) -> list[E]:
        """What meets the query, in its order and page."""

    async def first(self, *criteria: Criterion) -> E | None:
        """The first stored entity meeting every criterion, or None."""

    async def count(self, *criteria: Criterion) -> int:
        """How many meet every criterion."""


class ClientGroupRepository(Repository[ClientGroup], Protocol):
    """Storage of client groups and of their members."""

    async def add_members(self, group_id: int, client_ids: Iterable[int]) -> int:
        """Adds clients to the group; returns how many were not members before."""

    async def remove_members(self, group_id: int, client_ids: Iterable[int]) -> int:
        """Removes clients from the group; returns how many were members."""

    async def groups_of(self, client_id: int) -> list[int]:
        """The ids of the groups the client is a member of."""


class UnitOfWork(Protocol):
    """One transaction over every repository. Nothing is stored until ``commit``."""

    # Repositories are read-only properties so that each adapter may give its own repository
    # class (a subtype of the port); mypy holds every adapter to this list.
    @property
    def companies(self) -> Repository[Company]: ...

    @property
    def departments(self) -> Repository[Department]: ...

    @property
    def employees(self) -> Repository[Employee]: ...

    @property
    def service_accounts(self) -> Repository[ServiceAccount]: ...

    @property
    def roles(self) -> Repository[Role]: ...

    @property
    def projects(self) -> Repository[Project]: ...

    @property
    def clients(self) -> Repository[Client]: ...

    @property
    def client_groups(self) -> ClientGroupRepository: ...

    @property
    def communication_types(self) -> Repository[CommunicationType]: ...

    @property
    def channels(self) -> Repository[Channel]: ...

    @property
    def channel_blocks(self) -> Repository[ChannelBlock]: ...

    @property
    def push_subscriptions(self) -> Repository[PushSubscription]: ...

    @property
    def telegram_links(self) -> Repository[TelegramLink]: ...

    @property
    def documents(self) -> Repository[Document]: ...

    @property
    def rules(self) -> Repository[Rule]: ...

    @property
    def providers(self) -> Repository[Provider]:
        """Providers configured through the API (issue 12)."""

    @property
    def webhook_subscriptions(self) -> Repository[WebhookSubscription]:
        """Front systems' subscriptions to events."""

    @property
    def webhook_deliveries(self) -> Repository[WebhookDelivery]:
        """The webhook outbox: one row per event and subscription, with its tries."""

    @property
    def webhook_claims(self) -> WebhookClaims:
        """Leases on the outbox's due deliveries (one deliverer at a time)."""

    @property
    def booking_statuses(self) -> Repository[BookingStatusType]: ...

    @property
    def bookings(self) -> Repository[Booking]: ...

    @property
    def communications(self) -> CommunicationRepository: ...

    @property
    def stats(self) -> StatsReadModel: ...

    @property
    def survey_responses(self) -> SurveyResponseRepository: ...

    @property
    def decisions(self) -> DecisionLog: ...

    @property
    def history_import(self) -> HistoryWriter: ...

    @property
    def missed_calls(self) -> MissedCallRepository: ...

    @property
    def call_records(self) -> CallRecordRepository: ...

    @property
    def seen_call_events(self) -> SeenEvents: ...

    @property
    def pbx_inbox(self) -> PbxInbox: ...

    @property
    def pbx_subscriptions(self) -> PbxSubscriptionRepository: ...

    @property
    def telephony_secrets(self) -> SecretStore: ...

    @property
    def call_campaigns(self) -> CallCampaignRepository: ...

    @property
    def campaign_contacts(self) -> CampaignContactRepository: ...

    @property
    def sends(self) -> SendRepository: ...

    @property
    def dispatch(self) -> DispatchQueue: ...

    @property
    def events(self) -> EventLog: ...

    @property
    def mailings(self) -> MailingRepository: ...

    @property
    def mailing_runs(self) -> MailingRunRepository: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *exc_info: object) -> None: ...

    async def commit(self) -> None:
        """Makes every change of this unit of work durable at once."""


class UnitOfWorkFactory(Protocol):
    """Opens units of work, one per use-case call."""

    def __call__(self, *, read_only: bool = False) -> UnitOfWork:
        """A new unit of work. ``read_only`` ones may skip the transaction and cannot commit."""


class Clock(Protocol):
    """The time, injected so that tests set it."""

    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""


class PasswordHasher(Protocol):
    """Hashes passwords and checks a password against its hash."""

    def hash(self, password: str) -> str:
        """A salted hash of the password, to store."""

    def verify(self, password_hash: str, password: str) -> bool:
        """Whether the password matches the stored hash."""


class PhoneNumberParser(Protocol):
    """Reads phone numbers in any common notation."""

    def to_e164(self, raw: str) -> str | None:
        """The number in E.164 (``+74951234567``), or None when it is not a phone number."""


class SecretsUnreadable(Exception):
    """Kept secrets that the configured key cannot open: the key changed, or the value was altered."""


class SecretSealer(Protocol):
    """Encrypts secrets kept at rest (provider tokens, keys) and opens them again.

    Opening with the wrong key raises ``SecretsUnreadable``: it never returns a garbled secret.
    """

    def seal(self, plain: str) -> str:
        """The secret encrypted and authenticated under the current key, as text a column can hold."""

    def open(self, kept: str) -> str:
        """The secret of a sealed value; a value kept before sealing existed is returned as it is."""

    def is_current(self, kept: str) -> bool:
        """Whether the value is sealed under the current key (else it should be sealed again)."""
