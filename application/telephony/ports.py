"""What the telephony use cases need from the PBX, the call center and storage."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from domain.telephony.call_events import XsiEvent
from domain.telephony.call_records import CallRecord
from domain.telephony.campaigns import CallCampaign, CampaignContact
from domain.telephony.missed_calls import MissedCall, MissedCallStatus
from domain.telephony.subscriptions import PbxSubscription, SubscriptionType


class TelephonyUnavailable(Exception):
    """The PBX, the call center or the telephony server refused or did not answer in time."""

    def __init__(self, system: str, message: str) -> None:
        super().__init__(f"{system}: {message}")
        self.system = system
        self.message = message


@dataclass(frozen=True, kw_only=True)
class GrantedSubscription:
    subscription_id: str
    expires: int
    """Seconds granted; may be fewer than asked."""


class PbxSubscriptions(Protocol):
    """The PBX's event subscriptions (Beeline: ``/subscription``)."""

    async def create(
        self, *, pattern: str | None, expires: int, subscription_type: SubscriptionType, url: str
    ) -> GrantedSubscription:
        """Subscribes ``url`` to the PBX's call events; raises TelephonyUnavailable."""

    async def exists(self, subscription_id: str) -> bool:
        """Whether the PBX still knows the subscription; raises TelephonyUnavailable."""

    async def delete(self, subscription_id: str) -> None:
        """Ends a subscription; one the PBX does not know counts as ended."""


class Telephony(Protocol):
    """Starts a call between an employee's extension and a number (click-to-call)."""

    name: str

    async def call(self, *, extension: str, phone: str) -> str | None:
        """Rings ``extension``, then dials ``phone``; returns the system's call id if it gives one."""


@dataclass(frozen=True, kw_only=True)
class MissedCallSearch:
    """The filters a missed-call list or report supports."""

    status: MissedCallStatus | None = MissedCallStatus.MISSED
    phone: str | None = None
    client_id: int | None = None
    employee_id: int | None = None
    called_back_by: int | None = None
    since: datetime | None = None
    """Cards whose last call is at or after this time."""
    until: datetime | None = None
    """Cards whose first call is before this time."""
    limit: int | None = None
    offset: int = 0


class MissedCallRepository(Protocol):
    async def add(self, card: MissedCall) -> MissedCall: ...

    async def get(self, card_id: int) -> MissedCall | None: ...

    async def update(self, card: MissedCall) -> None: ...

    async def delete(self, card_id: int) -> None: ...

    async def open_for(self, phone: str) -> MissedCall | None:
        """The card of this number still in ``missed``, if any."""

    async def find(self, search: MissedCallSearch) -> list[MissedCall]:
        """Newest last call first."""

    async def count(self, search: MissedCallSearch) -> int: ...

    async def get_many(self, ids: Iterable[int]) -> dict[int, MissedCall]: ...

    async def open_for_many(self, phones: Iterable[str]) -> dict[str, MissedCall]:
        """The cards still in ``missed`` of these numbers, by number (one query for a batch)."""

    async def add_many(self, cards: Sequence[MissedCall]) -> list[MissedCall]:
        """Stores new cards in one statement; sets their ids."""

    async def update_many(self, cards: Sequence[MissedCall]) -> None:
        """Writes changed cards back in one batch."""

    async def report(self, search: MissedCallSearch, group_by: ReportKey, time_zone: str) -> list[GroupCount]:
        """The cards of the search counted per group (by storage: GROUP BY in SQL), ordered by key."""


class ReportKey(StrEnum):
    """What a missed-call report groups by."""

    DAY = "day"
    HOUR = "hour"
    PHONE = "phone"
    CLIENT = "client"
    EMPLOYEE = "employee"
    STATUS = "status"


@dataclass(frozen=True, kw_only=True)
class GroupCount:
    """One group of a report as storage counts it; the key is text ("" for none)."""

    key: str
    cards: int
    calls: int
    called_back: int


class CallRecordRepository(Protocol):
    async def add(self, record: CallRecord) -> CallRecord: ...

    async def by_tracking_id(self, call_key: str) -> CallRecord | None:
        """The call with this key (the PBX's extTrackingId, or a call-center key)."""

    async def by_tracking_ids(self, call_keys: Iterable[str]) -> dict[str, CallRecord]:
        """The calls with these keys, by key (one query for a batch of events)."""

    async def update(self, record: CallRecord) -> None: ...

    async def add_many(self, records: Sequence[CallRecord]) -> list[CallRecord]:
        """Stores new records in one statement; sets their ids."""

    async def update_many(self, records: Sequence[CallRecord]) -> None:
        """Writes changed records back in one batch."""


class SeenEvents(Protocol):
    """The PBX's event ids already handled: repeated delivery changes nothing."""

    async def first_time(self, event_id: str, at: datetime) -> bool:
        """Records the id; False when it was recorded before."""

    async def first_times(self, event_ids: Sequence[str], at: datetime) -> set[str]:
        """Records the ids in one statement; answers those not recorded before."""

    async def forget_before(self, moment: datetime, limit: int) -> int:
        """Deletes up to ``limit`` ids recorded before ``moment``; answers how many."""


@dataclass(frozen=True)
class InboxEntry:
    id: int
    event: XsiEvent


class PbxInbox(Protocol):
    """The PBX's events kept as delivered, until the worker applies them (a 200 means kept)."""

    async def append_many(self, events: Sequence[XsiEvent], at: datetime) -> None:
        """Keeps the events in one statement, in their order."""

    async def oldest(self, limit: int) -> list[InboxEntry]:
        """The oldest events not set aside, in arrival order (skipping rows another worker holds)."""

    async def remove(self, ids: Sequence[int]) -> None:
        """Forgets applied events (in the transaction that applied them)."""

    async def set_aside(self, entry_id: int, error: str) -> None:
        """Keeps an event that cannot be applied out of the way, with the reason."""

    async def waiting(self) -> int:
        """How many events wait to be applied."""


class PbxSubscriptionRepository(Protocol):
    async def add(self, subscription: PbxSubscription) -> PbxSubscription: ...

    async def get(self, subscription_id: int) -> PbxSubscription | None: ...

    async def all(self) -> Sequence[PbxSubscription]: ...

    async def update(self, subscription: PbxSubscription) -> None: ...

    async def delete(self, subscription_id: int) -> None: ...


class CallCenterRefused(Exception):
    """The call center answered ``status: 0``; ``error_msg`` says why (seed 003)."""

    def __init__(self, error_msg: str) -> None:
        super().__init__(f"call center refused: {error_msg}")
        self.error_msg = error_msg


@dataclass(frozen=True, kw_only=True)
class ContactToCall:
    id: int
    phone: str
    link: str | None = None
    """Where an agent opens the contact in Switchboard (seed 003 ``linkedit``)."""


@dataclass(frozen=True, kw_only=True)
class CampaignOrder:
    campaign_id: int
    start: datetime
    end: datetime
    type_id: int | None
    contacts: Sequence[ContactToCall]


class CallCenter(Protocol):
    """An outbound calling service (seed 003's CCS)."""

    async def send_campaign(self, order: CampaignOrder) -> None:
        """Hands the campaign over; raises CallCenterRefused or TelephonyUnavailable."""

    async def close_campaign(self, campaign_id: int) -> None:
        """Ends the campaign before its time; raises CallCenterRefused or TelephonyUnavailable."""


class SecretStore(Protocol):
    """Values Switchboard makes up once and keeps (the PBX webhook token)."""

    async def get_or_create(self, name: str, value: str) -> str:
        """The stored value of ``name``; stores ``value`` first when there is none."""


class CallCampaignRepository(Protocol):
    async def add(self, campaign: CallCampaign) -> CallCampaign: ...

    async def get(self, campaign_id: int) -> CallCampaign | None: ...

    async def update(self, campaign: CallCampaign) -> None: ...

    async def page(self, limit: int, offset: int) -> list[CallCampaign]:
        """Newest first."""

    async def total(self) -> int: ...


class CampaignContactRepository(Protocol):
    async def add_many(self, contacts: Sequence[CampaignContact]) -> list[CampaignContact]: ...

    async def get(self, contact_id: int) -> CampaignContact | None: ...

    async def of_campaign(self, campaign_id: int) -> list[CampaignContact]: ...

    async def update(self, contact: CampaignContact) -> None: ...
