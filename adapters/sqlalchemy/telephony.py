"""Telephony storage in SQL: missed-call cards, call records, seen PBX events, PBX subscriptions."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import msgspec
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy import tables as t
from adapters.sqlalchemy.repository import ROW_ID, SqlRepository, statements
from application.telephony.ports import GroupCount, InboxEntry, MissedCallSearch, ReportKey
from domain.entity import Entity
from domain.telephony.call_events import XsiEvent
from domain.telephony.call_records import CallRecord
from domain.telephony.campaigns import CallCampaign, CampaignContact
from domain.telephony.missed_calls import MissedCall
from domain.telephony.subscriptions import PbxSubscription

_M = t.missed_calls.c
E = TypeVar("E", bound=Entity)


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


class _BulkRepository(SqlRepository[E]):
    """Adds the batch writes the PBX event path needs: one statement for many rows.

    ``key`` is a column unique among the rows of one batch. New ids are matched to rows by it, not by
    position: asking SQLAlchemy to return ids in the parameters' order makes it insert one row per
    statement on SQLite, which has no ordering guarantee for multi-row RETURNING.
    """

    key: str

    async def add_many(self, entities: Sequence[E]) -> list[E]:
        if not entities:
            return []
        for entity in entities:
            self._refuse_unstorable(entity)
        rows = [{name: getattr(e, name) for name in self._columns} for e in entities]
        if len({row[self.key] for row in rows}) != len(rows):
            raise ValueError(f"{self.key} repeats in one batch of {self._kind}s")
        table = self._table
        statement = sa.insert(table).returning(table.c.id, table.c[self.key])
        async with self._integrity():
            ids = {key: new_id for new_id, key in await self._conn.execute(statement, rows)}
        for entity in entities:
            entity.id = ids[getattr(entity, self.key)]
        return list(entities)

    async def update_many(self, entities: Sequence[E]) -> None:
        if not entities:
            return
        for entity in entities:
            self._refuse_unstorable(entity)
        rows = [{ROW_ID: e.id, **{name: getattr(e, name) for name in self._columns}} for e in entities]
        async with self._integrity():
            await self._conn.execute(statements(self._table).update, rows)


class SqlMissedCalls(_BulkRepository[MissedCall]):
    key = "phone"  # a batch opens at most one card per number

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

    async def open_for_many(self, phones: Iterable[str]) -> dict[str, MissedCall]:
        wanted = sorted(set(phones))
        if not wanted:
            return {}
        found: dict[str, MissedCall] = {}
        statement = (
            sa.select(t.missed_calls).where(_M.phone.in_(wanted), _M.status == "missed").order_by(_M.id)
        )
        for card in await self._load(statement):
            found.setdefault(card.phone, card)
        return found

    async def report(self, search: MissedCallSearch, group_by: ReportKey, time_zone: str) -> list[GroupCount]:
        """GROUP BY in the database; only the groups come back."""
        key, finish = self._group_expression(group_by, time_zone)
        statement = (
            sa.select(
                key.label("key"),
                sa.func.count().label("cards"),
                sa.func.coalesce(sa.func.sum(_M.calls), 0).label("calls"),
                sa.func.count(_M.called_back_by).label("called_back"),
            )
            .where(*missed_call_conditions(search))
            .group_by(key)
        )
        merged: dict[str, list[int]] = {}
        for row in await self._conn.execute(statement):
            totals = merged.setdefault(finish(row.key), [0, 0, 0])
            totals[0] += int(row.cards)
            totals[1] += int(row.calls)
            totals[2] += int(row.called_back)
        return [GroupCount(key=k, cards=c, calls=n, called_back=b) for k, (c, n, b) in sorted(merged.items())]

    def _group_expression(
        self, group_by: ReportKey, time_zone: str
    ) -> tuple[sa.ColumnElement[Any], Callable[[Any], str]]:
        def text(value: Any) -> str:
            return "" if value is None else str(value)

        if group_by is ReportKey.PHONE:
            return _M.phone, text
        if group_by is ReportKey.CLIENT:
            return _M.client_id, text
        if group_by is ReportKey.EMPLOYEE:
            return _M.employee_id, text
        if group_by is ReportKey.STATUS:
            return _M.status, lambda value: text(getattr(value, "value", value))
        pattern = "%Y-%m-%d" if group_by is ReportKey.DAY else "%Y-%m-%dT%H:00"
        # Count per UTC quarter of an hour (every zone's offset is a whole number of quarters),
        # then move each quarter into the zone in Python and merge. The database is never asked
        # about the zone: SQLite has none, and PostgreSQL's list can lag behind Python's tzdata.
        quarter = self._utc_quarter(_M.first_call_at)
        zone = ZoneInfo(time_zone)

        def local_key(value: Any) -> str:
            moment = datetime.strptime(str(value), "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
            return moment.astimezone(zone).strftime(pattern)

        return quarter, local_key

    def _utc_quarter(self, moment: Any) -> sa.ColumnElement[Any]:
        if self._conn.dialect.name == "postgresql":
            utc = sa.func.timezone("UTC", moment)
            minute = sa.cast(sa.func.floor(sa.extract("minute", utc) / 15) * 15, sa.Integer)
            return sa.func.to_char(utc, "YYYY-MM-DD HH24:").concat(
                sa.func.lpad(sa.cast(minute, sa.String), 2, "0")
            )
        return sa.func.strftime("%Y-%m-%d %H:", moment, type_=sa.String).concat(
            sa.func.printf(
                "%02d", sa.cast(sa.func.strftime("%M", moment), sa.Integer) // 15 * 15, type_=sa.String
            )
        )


class SqlCallRecords(_BulkRepository[CallRecord]):
    key = "call_key"

    def __init__(self, conn: AsyncConnection) -> None:
        super().__init__(conn, t.call_records, CallRecord, "call record")

    async def by_tracking_id(self, call_key: str) -> CallRecord | None:
        found = await self._load(sa.select(t.call_records).where(t.call_records.c.call_key == call_key))
        return found[0] if found else None

    async def by_tracking_ids(self, call_keys: Iterable[str]) -> dict[str, CallRecord]:
        wanted = sorted(set(call_keys))
        if not wanted:
            return {}
        found = await self._load(sa.select(t.call_records).where(t.call_records.c.call_key.in_(wanted)))
        return {record.call_key: record for record in found}


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

    async def first_times(self, event_ids: Sequence[str], at: datetime) -> set[str]:
        """One multi-row INSERT ... ON CONFLICT DO NOTHING RETURNING: the ids that went in are new."""
        unique = list(dict.fromkeys(event_ids))
        if not unique:
            return set()
        insert: Any = postgresql.insert if self._conn.dialect.name == "postgresql" else sqlite.insert
        table = t.seen_call_events
        statement = (
            insert(table)
            .values([{"event_id": event_id, "seen_at": at} for event_id in unique])
            .on_conflict_do_nothing()
            .returning(table.c.event_id)
        )
        return set((await self._conn.execute(statement)).scalars().all())

    async def forget_before(self, moment: datetime, limit: int) -> int:
        table = t.seen_call_events
        oldest = (
            sa.select(table.c.event_id).where(table.c.seen_at < moment).order_by(table.c.seen_at).limit(limit)
        )
        result = await self._conn.execute(table.delete().where(table.c.event_id.in_(oldest)))
        return int(result.rowcount or 0)


_EVENT_ENCODER = msgspec.json.Encoder()
_EVENT_DECODER = msgspec.json.Decoder(XsiEvent)
_INBOX_INSERT = sa.insert(t.pbx_event_inbox)


class SqlInbox:
    """The PBX's parsed events as JSON rows; one multi-row INSERT per group of deliveries."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def append_many(self, events: Sequence[XsiEvent], at: datetime) -> None:
        if events:
            rows = [{"event": _EVENT_ENCODER.encode(e).decode(), "received_at": at} for e in events]
            # executemany of one statement: compiled and prepared once, whatever the group's size.
            await self._conn.execute(_INBOX_INSERT, rows)

    async def oldest(self, limit: int) -> list[InboxEntry]:
        table = t.pbx_event_inbox
        statement = (
            sa.select(table.c.id, table.c.event)
            .where(table.c.error.is_(None))
            .order_by(table.c.id)
            .limit(limit)
        )
        if self._conn.dialect.name == "postgresql":
            # Two workers take different rows; the seen-event ids keep a redelivery harmless anyway.
            statement = statement.with_for_update(skip_locked=True)
        rows = await self._conn.execute(statement)
        return [InboxEntry(row_id, _EVENT_DECODER.decode(event)) for row_id, event in rows]

    async def remove(self, ids: Sequence[int]) -> None:
        if ids:
            table = t.pbx_event_inbox
            await self._conn.execute(table.delete().where(table.c.id.in_(list(ids))))

    async def set_aside(self, entry_id: int, error: str) -> None:
        table = t.pbx_event_inbox
        await self._conn.execute(table.update().where(table.c.id == entry_id).values(error=error[:2000]))

    async def waiting(self) -> int:
        table = t.pbx_event_inbox
        statement = sa.select(sa.func.count()).select_from(table).where(table.c.error.is_(None))
        return int((await self._conn.execute(statement)).scalar_one())


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
