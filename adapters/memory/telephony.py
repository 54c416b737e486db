"""Telephony storage in memory: the fake twin of adapters/sqlalchemy/telephony.py."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import datetime

from adapters.memory.repositories import MemoryRepository, Table
from application.telephony.ports import MissedCallSearch
from domain.telephony.call_records import CallRecord
from domain.telephony.campaigns import CallCampaign, CampaignContact
from domain.telephony.missed_calls import MissedCall
from domain.telephony.subscriptions import PbxSubscription


class TelephonyTables:
    def __init__(self) -> None:
        self.missed_calls: Table[MissedCall] = Table()
        self.call_records: Table[CallRecord] = Table()
        self.subscriptions: Table[PbxSubscription] = Table()
        self.seen_events: dict[str, datetime] = {}
        self.secrets: dict[str, str] = {}
        self.campaigns: Table[CallCampaign] = Table()
        self.campaign_contacts: Table[CampaignContact] = Table()

    def copy(self) -> TelephonyTables:
        clone = TelephonyTables()
        clone.missed_calls = self.missed_calls.copy()
        clone.call_records = self.call_records.copy()
        clone.subscriptions = self.subscriptions.copy()
        clone.seen_events = dict(self.seen_events)
        clone.secrets = dict(self.secrets)
        clone.campaigns = self.campaigns.copy()
        clone.campaign_contacts = self.campaign_contacts.copy()
        return clone


def _matches(card: MissedCall, search: MissedCallSearch) -> bool:
    return (
        (search.status is None or card.status is search.status)
        and (search.phone is None or card.phone == search.phone)
        and (search.client_id is None or card.client_id == search.client_id)
        and (search.employee_id is None or card.employee_id == search.employee_id)
        and (search.called_back_by is None or card.called_back_by == search.called_back_by)
        and (search.since is None or card.last_call_at >= search.since)
        and (search.until is None or card.first_call_at < search.until)
    )


class MemoryMissedCalls(MemoryRepository[MissedCall]):
    def __init__(self, table: Table[MissedCall]) -> None:
        super().__init__(table, "missed call")

    async def open_for(self, phone: str) -> MissedCall | None:
        for card in self._table.rows.values():
            if card.phone == phone and card.is_open:
                return copy.deepcopy(card)
        return None

    async def find(self, search: MissedCallSearch) -> list[MissedCall]:  # type: ignore[override]
        rows = sorted(
            (c for c in self._table.rows.values() if _matches(c, search)),
            key=lambda c: (c.last_call_at, c.id or 0),
            reverse=True,
        )
        end = None if search.limit is None else search.offset + search.limit
        return [copy.deepcopy(c) for c in rows[search.offset : end]]

    async def count(self, search: MissedCallSearch) -> int:  # type: ignore[override]
        return sum(1 for c in self._table.rows.values() if _matches(c, search))


class MemoryCallRecords(MemoryRepository[CallRecord]):
    def __init__(self, table: Table[CallRecord]) -> None:
        super().__init__(table, "call record")

    async def by_tracking_id(self, call_key: str) -> CallRecord | None:
        for record in self._table.rows.values():
            if record.call_key == call_key:
                return copy.deepcopy(record)
        return None


class MemorySubscriptions(MemoryRepository[PbxSubscription]):
    def __init__(self, table: Table[PbxSubscription]) -> None:
        super().__init__(table, "PBX subscription")

    async def all(self) -> Sequence[PbxSubscription]:
        return [copy.deepcopy(s) for _, s in sorted(self._table.rows.items())]


class MemorySeenEvents:
    def __init__(self, seen: dict[str, datetime]) -> None:
        self._seen = seen

    async def first_time(self, event_id: str, at: datetime) -> bool:
        if event_id in self._seen:
            return False
        self._seen[event_id] = at
        return True


class MemorySecrets:
    def __init__(self, secrets: dict[str, str]) -> None:
        self._secrets = secrets

    async def get_or_create(self, name: str, value: str) -> str:
        return self._secrets.setdefault(name, value)


class MemoryCampaigns(MemoryRepository[CallCampaign]):
    def __init__(self, table: Table[CallCampaign]) -> None:
        super().__init__(table, "call campaign")

    async def page(self, limit: int, offset: int) -> list[CallCampaign]:
        rows = sorted(self._table.rows.values(), key=lambda c: c.id or 0, reverse=True)
        return [copy.deepcopy(c) for c in rows[offset : offset + limit]]

    async def total(self) -> int:
        return len(self._table.rows)


class MemoryCampaignContacts(MemoryRepository[CampaignContact]):
    def __init__(self, table: Table[CampaignContact]) -> None:
        super().__init__(table, "campaign contact")

    async def add_many(self, contacts: Sequence[CampaignContact]) -> list[CampaignContact]:
        return [await self.add(c) for c in contacts]

    async def of_campaign(self, campaign_id: int) -> list[CampaignContact]:
        return [copy.deepcopy(c) for _, c in sorted(self._table.rows.items()) if c.campaign_id == campaign_id]
