"""Telephony storage in SQL: missed-call cards, call records, seen PBX events, PBX subscriptions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy import tables as t
from adapters.sqlalchemy.repository import SqlRepository
from application.telephony.ports import MissedCallSearch
from domain.telephony.call_records import CallRecord
from domain.telephony.campaigns import CallCampaign, CampaignContact
from domain.telephony.missed_calls import MissedCall
from domain.telephony.subscriptions import PbxSubscription

_M = t.missed_calls.c


def missed_call_conditions(search: MissedCallSearch) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = []
    if search.status is not None:
        conditions.append(_M.status == search.status)
    if search.phone is not None:
        conditions.append(_M.phone == search.phone)
    if search.client_id is not None:
        conditions.append(_M.client_id == search.client_id)
    if search.employee_id is not None:
        conditions.append(_M.employee_id == search.employee_id)
    if search.called_back_by is not None:
        conditions.append(_M.called_back_by == search.called_back_by)
    if search.since is not None:
        conditions.append(_M.last_call_at >= search.since)
    if search.until is not None:
        conditions.append(_M.first_call_at < search.until)
    return conditions


class SqlMissedCalls(SqlRepository[MissedCall]):
    def __init__(self, conn: AsyncConnection) -> None:
        super().__init__(conn, t.missed_calls, MissedCall, "missed call")

    async def open_for(self, phone: str) -> MissedCall | None:
        found = await self._load(
            sa.select(t.missed_calls).where(_M.phone == phone, _M.status == "missed").order_by(_M.id).limit(1)
        )
        return found[0] if found else None

    async def find(self, search: MissedCallSearch) -> list[MissedCall]:  # type: ignore[override]
        statement = (
            sa.select(t.missed_calls)
            .where(*missed_call_conditions(search))
            .order_by(_M.last_call_at.desc(), _M.id.desc())
            .offset(search.offset)
        )
        if search.limit is not None:
            statement = statement.limit(search.limit)
        return await self._load(statement)

    async def count(self, search: MissedCallSearch) -> int:  # type: ignore[override]
        statement = (
            sa.select(sa.func.count()).select_from(t.missed_calls).where(*missed_call_conditions(search))
        )
        return int((await self._conn.execute(statement)).scalar_one())


class SqlCallRecords(SqlRepository[CallRecord]):
    def __init__(self, conn: AsyncConnection) -> None:
        super().__init__(conn, t.call_records, CallRecord, "call record")

    async def by_tracking_id(self, call_key: str) -> CallRecord | None:
        found = await self._load(sa.select(t.call_records).where(t.call_records.c.call_key == call_key))
        return found[0] if found else None


class SqlPbxSubscriptions(SqlRepository[PbxSubscription]):
    def __init__(self, conn: AsyncConnection) -> None:
        super().__init__(conn, t.pbx_subscriptions, PbxSubscription, "PBX subscription")

    async def all(self) -> Sequence[PbxSubscription]:
        return await self._load(sa.select(t.pbx_subscriptions).order_by(t.pbx_subscriptions.c.id))


class SqlSeenEvents:
    """INSERT ... ON CONFLICT DO NOTHING: one round trip, and concurrent deliveries cannot both win."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def first_time(self, event_id: str, at: datetime) -> bool:
        insert: Any = postgresql.insert if self._conn.dialect.name == "postgresql" else sqlite.insert
        statement = insert(t.seen_call_events).values(event_id=event_id, seen_at=at).on_conflict_do_nothing()
        result = await self._conn.execute(statement)
        return bool(result.rowcount)


class SqlSecrets:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get_or_create(self, name: str, value: str) -> str:
        insert: Any = postgresql.insert if self._conn.dialect.name == "postgresql" else sqlite.insert
        await self._conn.execute(
            insert(t.telephony_secrets).values(name=name, value=value).on_conflict_do_nothing()
        )
        stored = await self._conn.execute(
            sa.select(t.telephony_secrets.c.value).where(t.telephony_secrets.c.name == name)
        )
        return str(stored.scalar_one())


class SqlCampaigns(SqlRepository[CallCampaign]):
    def __init__(self, conn: AsyncConnection) -> None:
        super().__init__(conn, t.call_campaigns, CallCampaign, "call campaign")

    async def page(self, limit: int, offset: int) -> list[CallCampaign]:
        table = t.call_campaigns
        return await self._load(sa.select(table).order_by(table.c.id.desc()).limit(limit).offset(offset))

    async def total(self) -> int:
        statement = sa.select(sa.func.count()).select_from(t.call_campaigns)
        return int((await self._conn.execute(statement)).scalar_one())


class SqlCampaignContacts(SqlRepository[CampaignContact]):
    def __init__(self, conn: AsyncConnection) -> None:
        super().__init__(conn, t.campaign_contacts, CampaignContact, "campaign contact")

    async def add_many(self, contacts: Sequence[CampaignContact]) -> list[CampaignContact]:
        # Multi-row INSERT ... RETURNING in batches ("insertmanyvalues"), ids in the rows' order.
        if not contacts:
            return []
        table = t.campaign_contacts
        columns = [c.name for c in table.c if c.name != "id"]
        rows = [{name: getattr(contact, name) for name in columns} for contact in contacts]
        statement = sa.insert(table).returning(table.c.id, sort_by_parameter_order=True)
        result = await self._conn.execute(statement, rows)
        for contact, new_id in zip(contacts, result.scalars().all(), strict=True):
            contact.id = new_id
        return list(contacts)

    async def of_campaign(self, campaign_id: int) -> list[CampaignContact]:
        table = t.campaign_contacts
        return await self._load(
            sa.select(table).where(table.c.campaign_id == campaign_id).order_by(table.c.id)
        )
