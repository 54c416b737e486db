"""Telephony storage in memory: the fake twin of adapters/sqlalchemy/telephony.py."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from adapters.memory.repositories import MemoryRepository, Table
from application.telephony.ports import GroupCount, InboxEntry, MissedCallSearch, ReportKey
from domain.errors import Conflict
from domain.telephony.call_events import XsiEvent
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
        self.inbox: dict[int, tuple[XsiEvent, str | None]] = {}
        self.inbox_next = [1]
        self.secrets: dict[str, str] = {}
        self.campaigns: Table[CallCampaign] = Table()
        self.campaign_contacts: Table[CampaignContact] = Table()

    def copy(self) -> TelephonyTables:
        clone = TelephonyTables()
        clone.missed_calls = self.missed_calls.copy()
        clone.call_records = self.call_records.copy()
        clone.subscriptions = self.subscriptions.copy()
        clone.seen_events = dict(self.seen_events)
        clone.inbox = dict(self.inbox)
        clone.inbox_next = list(self.inbox_next)
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

    async def open_for_many(self, phones: Iterable[str]) -> dict[str, MissedCall]:
        wanted = set(phones)
        found: dict[str, MissedCall] = {}
        for card in sorted(self._table.rows.values(), key=lambda c: c.id or 0):
            if card.phone in wanted and card.is_open and card.phone not in found:
                found[card.phone] = copy.deepcopy(card)
        return found

    async def add_many(self, cards: Sequence[MissedCall]) -> list[MissedCall]:
        return [await self.add(c) for c in cards]

    async def update_many(self, cards: Sequence[MissedCall]) -> None:
        for card in cards:
            await self.update(card)

    async def report(self, search: MissedCallSearch, group_by: ReportKey, time_zone: str) -> list[GroupCount]:
        """Grouped in Python: the twin of the SQL adapter's GROUP BY."""
        zone = ZoneInfo(time_zone)
        buckets: dict[str, list[MissedCall]] = {}
        for card in self._table.rows.values():
            if _matches(card, search):
                buckets.setdefault(_group_key(card, group_by, zone), []).append(card)
        return [
            GroupCount(
                key=key,
                cards=len(members),
                calls=sum(m.calls for m in members),
                called_back=sum(1 for m in members if m.called_back_by is not None),
            )
            for key, members in sorted(buckets.items())
        ]


def _group_key(card: MissedCall, group_by: ReportKey, zone: ZoneInfo) -> str:
    if group_by is ReportKey.DAY:
        return card.first_call_at.astimezone(zone).strftime("%Y-%m-%d")
    if group_by is ReportKey.HOUR:
        return card.first_call_at.astimezone(zone).strftime("%Y-%m-%dT%H:00")
    if group_by is ReportKey.PHONE:
        return card.phone
    if group_by is ReportKey.CLIENT:
        return "" if card.client_id is None else str(card.client_id)
    if group_by is ReportKey.EMPLOYEE:
        return "" if card.employee_id is None else str(card.employee_id)
    return card.status.value


class MemoryCallRecords(MemoryRepository[CallRecord]):
    def __init__(self, table: Table[CallRecord]) -> None:
        super().__init__(table, "call record")

    async def by_tracking_id(self, call_key: str) -> CallRecord | None:
        for record in self._table.rows.values():
            if record.call_key == call_key:
                return copy.deepcopy(record)
        return None

    async def by_tracking_ids(self, call_keys: Iterable[str]) -> dict[str, CallRecord]:
        wanted = set(call_keys)
        return {r.call_key: copy.deepcopy(r) for r in self._table.rows.values() if r.call_key in wanted}

    async def add_many(self, records: Sequence[CallRecord]) -> list[CallRecord]:
        keys = {r.call_key for r in self._table.rows.values()}
        for record in records:
            if record.call_key in keys:
                raise Conflict(f"call {record.call_key} is already recorded")
            keys.add(record.call_key)
        return [await self.add(r) for r in records]

    async def update_many(self, records: Sequence[CallRecord]) -> None:
        for record in records:
            await self.update(record)


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

    async def first_times(self, event_ids: Sequence[str], at: datetime) -> set[str]:
        return {event_id for event_id in event_ids if await self.first_time(event_id, at)}

    async def forget_before(self, moment: datetime, limit: int) -> int:
        old = [event_id for event_id, seen in self._seen.items() if seen < moment][:limit]
        for event_id in old:
            del self._seen[event_id]
        return len(old)


class MemoryInbox:
    def __init__(self, tables: TelephonyTables) -> None:
        self._tables = tables

    async def append_many(self, events: Sequence[XsiEvent], at: datetime) -> None:
        for event in events:
            self._tables.inbox[self._tables.inbox_next[0]] = (event, None)
            self._tables.inbox_next[0] += 1

    async def oldest(self, limit: int) -> list[InboxEntry]:
        waiting = sorted(i for i, (_, error) in self._tables.inbox.items() if error is None)
        return [InboxEntry(i, self._tables.inbox[i][0]) for i in waiting[:limit]]

    async def remove(self, ids: Sequence[int]) -> None:
        for entry_id in ids:
            self._tables.inbox.pop(entry_id, None)

    async def set_aside(self, entry_id: int, error: str) -> None:
        if entry_id in self._tables.inbox:
            self._tables.inbox[entry_id] = (self._tables.inbox[entry_id][0], error)

    async def waiting(self) -> int:
        return sum(1 for _, error in self._tables.inbox.values() if error is None)


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
