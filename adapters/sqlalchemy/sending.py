"""Sends in SQL: the send requests, their refusals, the dispatch queue and the per-client send counts.

The dispatch queue holds one row per accepted communication with what the provider needs; the
worker claims due rows from it (see ``dispatch.py``). ``client_send_days`` (messages per client
and day, and each day's latest) is the read model behind frequency caps and minimum intervals: kept
up to date by the same transaction that queues the messages, so a check never counts history. The
rows a send writes beside its communications carry no foreign keys: their ids come from the same
transaction, and a key's check cost every one of 100,000 rows a lookup and a row lock.
"""

from __future__ import annotations

import operator
from collections import Counter, defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy import stats
from adapters.sqlalchemy.audience import audience_clients
from adapters.sqlalchemy.bulk import PipelinedInserts, among, insert_rows, reserve_ids, take_ids
from adapters.sqlalchemy.communications import BigId, communication_history, communications
from adapters.sqlalchemy.fastpath import driver_rows, insert_returning_id, row_by_id
from adapters.sqlalchemy.filters import unstorable
from adapters.sqlalchemy.send_setting import (
    SETTING,
    composite_entity,
    row_entity,
    send_setting,
    setting_of,
    setting_values,
    storable_channels,
    storable_setting,
)
from adapters.sqlalchemy.single_send import one_send_statement, one_send_values
from adapters.sqlalchemy.tables import (
    bookings,
    channel_blocks,
    client_group_members,
    clients,
    metadata,
    push_subscriptions,
    rules,
    telegram_links,
)
from adapters.sqlalchemy.types import EnumText, JsonDict, JsonList, UtcDateTime
from application.sending.commands import AcceptedItem, RefusedItem
from application.sending.store import (
    NO_COUNTS,
    PENDING_STATUS,
    Counts,
    FallbackOrigin,
    PendingRecipient,
    QueuedMessage,
    SendContent,
    SendFacts,
    SendRecord,
    SendSetting,
)
from domain.clients import Booking, BookingState, ChannelBlock, Client
from domain.communications import Communication
from domain.dictionaries import ChannelKind
from domain.rules import Rule
from domain.sending.refusals import RefusalReason

CHUNK = 5_000
"""Rows or ids per statement: under every driver's bound-parameter limit."""

sends = sa.Table(
    "sends",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("idempotency_key", sa.String(255), unique=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column(
        "type_id", sa.Integer, sa.ForeignKey("communication_types.id", ondelete="RESTRICT"), nullable=False
    ),
    sa.Column("department_id", sa.Integer, sa.ForeignKey("departments.id", ondelete="RESTRICT")),
    sa.Column("actor", sa.String(128), nullable=False),
    sa.Column("accepted_count", sa.Integer, nullable=False),
    sa.Column("refused_count", sa.Integer, nullable=False),
    sa.Column("create_time", UtcDateTime, nullable=False),
    # The request's channel priority list, for the channel fallback of a communication that fails.
    sa.Column("channel_ids", JsonList(), nullable=False, server_default="[]"),
    # Its communications not yet in a final state: the one that brings it to 0 completes the send.
    sa.Column("open_count", sa.Integer, nullable=False, server_default="0"),
    sqlite_autoincrement=True,
)

send_refusals = sa.Table(
    "send_refusals",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column(
        "send_id", sa.Integer, sa.ForeignKey("sends.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    sa.Column("client_id", sa.Integer, nullable=False),
    sa.Column("reason", EnumText(RefusalReason, 32), nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sqlite_autoincrement=True,
)

dispatch_queue = sa.Table(
    "dispatch_queue",
    metadata,
    # No foreign keys: a row is written with its communication and its send, by ids taken
    # ahead; checking them cost each of a bulk send's rows two lookups and two row locks (half
    # of the queue's COPY). Sends are never deleted; a deleted communication deletes its row.
    sa.Column("communication_id", BigId, primary_key=True, autoincrement=False),
    sa.Column("send_id", sa.Integer, index=True),
    sa.Column("uuid", sa.String(36), nullable=False),
    sa.Column("client_id", sa.Integer),
    sa.Column("channel_id", sa.Integer, nullable=False),
    sa.Column("channel_kind", EnumText(ChannelKind, 16), nullable=False),
    sa.Column("due_at", UtcDateTime, nullable=False),
    # True until the message is sent or finally failed.
    sa.Column("pending", sa.Boolean, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("lease_until", UtcDateTime),
    sa.Column("lease_owner", sa.String(64)),
    sa.Column("recipient", sa.String(512), nullable=False),
    sa.Column("subject", sa.String(1000)),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("html", sa.Text),
    sa.Column("headers", JsonDict(), nullable=False),
    sa.Column("last_error", sa.Text),
    # The claim reads "pending and due, oldest first": this index answers it without a sort.
    sa.Index("ix_dispatch_queue_due", "pending", "due_at"),
)

# The send counts name their client with no foreign key: its check cost each upserted row a
# lookup and a row lock. A client with communications cannot be deleted, and ids are never
# reused, so a count left by a deleted client is never read.
client_send_days = sa.Table(
    "client_send_days",
    metadata,
    sa.Column("client_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("sends", sa.Integer, nullable=False),
    # The latest message counted on that day. The client's last send is the one of its latest
    # day's row (one index probe): one upserted row per client and send, not one here and one in
    # a table of last sends. NULL only on rows older than 0022 that were not a client's latest.
    sa.Column("last_sent_at", UtcDateTime),
)


# A bulk send's content, for the materialiser that makes its communications after the answer.
send_contents = sa.Table(
    "send_contents",
    metadata,
    sa.Column("send_id", sa.Integer, sa.ForeignKey("sends.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("subject", sa.Text),
    sa.Column("text", sa.Text),
    sa.Column("html", sa.Text),
    sa.Column("variables", JsonDict(), nullable=False),
    sa.Column("employee_id", sa.Integer),
    sa.Column("document_id", sa.Integer),
)

# A bulk send's decided recipients whose communications are not made yet: written by one COPY at
# the accept, taken (deleted) by the materialiser in the transaction that makes their rows. No
# foreign keys and no index beside the key, for the COPY's sake: the table holds a send's
# recipients only for the seconds until they are made, so the reads by send scan it.
send_pending = sa.Table(
    "send_pending",
    metadata,
    # Taken ahead from the communications' ids: the communication is made with it.
    sa.Column("communication_id", BigId, primary_key=True, autoincrement=False),
    sa.Column("send_id", sa.Integer, nullable=False),
    sa.Column("uuid", sa.String(36), nullable=False),
    sa.Column("client_id", sa.Integer, nullable=False),
    sa.Column("channel_id", sa.Integer, nullable=False),
    sa.Column("scheduled_at", UtcDateTime),
)
_PENDING_COLUMNS = ("communication_id", "send_id", "uuid", "client_id", "channel_id", "scheduled_at")


_COUNT_SENDS = sa.text(
    "INSERT INTO client_send_days (client_id, day, sends, last_sent_at) "
    "SELECT * FROM unnest(CAST(:client_ids AS INTEGER[]), CAST(:days AS DATE[]), "
    "CAST(:sends AS INTEGER[]), CAST(:last_sent_at AS TIMESTAMP WITH TIME ZONE[])) "
    "ON CONFLICT (client_id, day) DO UPDATE SET sends = client_send_days.sends + excluded.sends, "
    "last_sent_at = GREATEST(client_send_days.last_sent_at, excluded.last_sent_at)"
).bindparams(
    sa.bindparam("client_ids", type_=postgresql.ARRAY(sa.Integer)),
    sa.bindparam("days", type_=postgresql.ARRAY(sa.Date)),
    sa.bindparam("sends", type_=postgresql.ARRAY(sa.Integer)),
    sa.bindparam("last_sent_at", type_=postgresql.ARRAY(UtcDateTime())),
)
"""The per-client send counts on PostgreSQL, for a whole send at once: one upsert statement."""


def _hydrate(entity: Any, row: Any) -> Any:
    # Stored rows were valid when written: rebuild without re-running today's validation.
    made = object.__new__(entity)
    made.__dict__.update(row)
    return made


def _chunks(items: Sequence[Any]) -> list[Sequence[Any]]:
    return [items[i : i + CHUNK] for i in range(0, len(items), CHUNK)]


def _upsert(connection: AsyncConnection, table: sa.Table) -> Any:
    return (postgresql if connection.dialect.name == "postgresql" else sqlite).insert(table)


@dataclass(frozen=True)
class _SendCounts:
    """What a send adds to the read model: per client and day, its messages and the latest one."""

    per_day: dict[tuple[int, date], tuple[int, datetime]]

    @classmethod
    async def of(cls, queued: Sequence[QueuedMessage], writes: PipelinedInserts) -> _SendCounts:
        per_day: dict[tuple[int, date], tuple[int, datetime]] = {}
        for start in range(0, len(queued), CHUNK):
            await writes.turn()
            for q in queued[start : start + CHUNK]:
                if q.client_id is None:
                    continue
                key = (q.client_id, q.due_at.date())
                counted = per_day.get(key)
                if counted is None:
                    per_day[key] = (1, q.due_at)
                else:
                    per_day[key] = (counted[0] + 1, max(counted[1], q.due_at))
        return cls(per_day)

    @classmethod
    def of_times(cls, sent: Sequence[tuple[int, datetime]]) -> _SendCounts:
        """The same from (client id, when) pairs: a bulk send's pending recipients."""
        per_day: dict[tuple[int, date], tuple[int, datetime]] = {}
        for client_id, at in sent:
            key = (client_id, at.date())
            counted = per_day.get(key)
            per_day[key] = (1, at) if counted is None else (counted[0] + 1, max(counted[1], at))
        return cls(per_day)


class SqlSends:
    def __init__(self, connection: AsyncConnection) -> None:
        self._conn = connection

    async def active_rules(self, department_id: int) -> list[Rule]:
        rows = await driver_rows(self._conn, _ACTIVE_RULES, {"department_id": department_id})
        return [_hydrate(Rule, row) for row in rows]

    async def setting(
        self,
        department_id: int,
        type_id: int,
        channel_ids: Sequence[int],
        *,
        client_id: int | None = None,
        now: datetime | None = None,
    ) -> SendSetting:
        if client_id is None:
            return await send_setting(self._conn, department_id, type_id, channel_ids)
        assert now is not None, "a recipient's facts are of a moment"
        if self._conn.dialect.name != "postgresql" or storable_setting(department_id, type_id) is None:
            setting = await send_setting(self._conn, department_id, type_id, channel_ids)
            return replace(setting, recipient=await self.one_recipient(client_id, now))
        if unstorable(clients.c.id, client_id):
            setting = await send_setting(self._conn, department_id, type_id, channel_ids)
            return replace(setting, recipient=(None, None))
        # A single send's reads before its write: the setting and the recipient in one statement.
        values = setting_values(department_id, type_id, storable_channels(channel_ids))
        row, facts = await self._one(client_id, now, _SETTING_AND_RECIPIENT, values)
        return setting_of(row, self._conn.dialect, (self._client_of(row), facts))

    async def group_members(self, group_id: int) -> list[int]:
        m = client_group_members.c
        statement = sa.select(m.client_id).where(m.group_id == group_id).order_by(m.client_id)
        return list((await self._conn.execute(statement)).scalars())

    async def project_clients(self, project_id: int) -> list[int]:
        statement = sa.select(clients.c.id).where(clients.c.project_id == project_id).order_by(clients.c.id)
        return list((await self._conn.execute(statement)).scalars())

    async def facts(self, client_ids: Sequence[int], now: datetime) -> dict[int, SendFacts]:
        if len(client_ids) == 1:
            return await self._facts_of_one(client_ids[0], now)
        blocks: dict[int, list[ChannelBlock]] = defaultdict(list)
        held: dict[int, list[Booking]] = defaultdict(list)
        today: dict[int, int] = defaultdict(int)
        week: dict[int, int] = defaultdict(int)
        last: dict[int, datetime] = {}
        pushes: set[int] = set()
        chats: set[int] = set()
        day = now.date()
        dialect = self._conn.dialect
        # PostgreSQL takes the whole audience as one array: one query per kind of fact.
        chunks = [client_ids] if dialect.name == "postgresql" else _chunks(client_ids)
        for chunk in chunks:
            b = channel_blocks.c
            statement = sa.select(channel_blocks).where(
                among(b.client_id, chunk, dialect), sa.or_(b.until.is_(None), b.until > now)
            )
            for row in (await self._conn.execute(statement)).mappings():
                blocks[row["client_id"]].append(_hydrate(ChannelBlock, row))
            k = bookings.c
            statement = sa.select(bookings).where(
                among(k.client_id, chunk, dialect), k.status == BookingState.BOOKED, k.before_date > now
            )
            for row in (await self._conn.execute(statement)).mappings():
                held[row["client_id"]].append(_hydrate(Booking, row))
            d = client_send_days.c
            statement = sa.select(d.client_id, d.day, d.sends).where(
                among(d.client_id, chunk, dialect), d.day > day - timedelta(days=7)
            )
            for client_id, sent_day, count in await self._conn.execute(statement):
                week[client_id] += count
                if sent_day == day:
                    today[client_id] += count
            statement = sa.select(clients.c.id, _LATEST_SEND).where(among(clients.c.id, chunk, dialect))
            last.update({i: at for i, at in await self._conn.execute(statement) if at is not None})
            p = push_subscriptions.c
            statement = sa.select(p.client_id).where(among(p.client_id, chunk, dialect)).distinct()
            pushes.update((await self._conn.execute(statement)).scalars())
            g = telegram_links.c
            statement = sa.select(g.client_id).where(
                among(g.client_id, chunk, dialect), g.chat_id.is_not(None)
            )
            chats.update((await self._conn.execute(statement)).scalars())
        known = set(blocks) | set(held) | set(week) | set(last) | pushes | chats
        return {
            i: SendFacts(
                blocks=tuple(blocks.get(i, ())),
                bookings=tuple(held.get(i, ())),
                sent_today=today.get(i, 0),
                sent_this_week=week.get(i, 0),
                last_sent_at=last.get(i),
                has_push_subscription=i in pushes,
                has_linked_chat=i in chats,
            )
            for i in known
        }

    async def clients(self, client_ids: Sequence[int]) -> dict[int, Client]:
        return await audience_clients(self._conn, client_ids)

    async def one_recipient(self, client_id: int, now: datetime) -> tuple[Client | None, SendFacts | None]:
        if unstorable(clients.c.id, client_id):
            return None, None
        if self._conn.dialect.name != "postgresql":
            row = await row_by_id(self._conn, clients, client_id)
            client = None if row is None else row_entity(Client, clients, row)
            return client, (await self._facts_of_one(client_id, now)).get(client_id)
        # The client's row rides along with its facts: one statement, not two.
        counts, facts = await self._one(client_id, now, _ONE_RECIPIENT)
        return self._client_of(counts), facts

    def _client_of(self, row: dict[str, Any]) -> Client | None:
        record = row["client"]
        return None if record is None else composite_entity(Client, clients, self._conn.dialect, record)

    async def _facts_of_one(self, client_id: int, now: datetime) -> dict[int, SendFacts]:
        """A single send's facts: the same reads for one client, prepared once and run on the driver."""
        _, facts = await self._one(client_id, now, _ONE_COUNTS)
        return {} if facts is None else {client_id: facts}

    async def _one(
        self, client_id: int, now: datetime, statement: sa.ClauseElement, more: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], SendFacts | None]:
        """``statement``'s row (``_ONE_COUNTS``'s columns, maybe more, whose values are ``more``)
        and the facts it tells."""
        values = {"client_id": client_id, "now": now, **(more or {})}

        async def rows(statement: sa.ClauseElement, **more: Any) -> list[dict[str, Any]]:
            # Reads open no transaction (READ COMMITTED: each statement sees what one opened now
            # would); after a write of the unit they are in its transaction.
            return await driver_rows(self._conn, statement, {**values, **more}, begin=False)

        day = now.date()
        booked = BookingState.BOOKED
        (counts,) = await rows(statement, today=day, since=day - timedelta(days=7), booked=booked)
        if not any(counts[name] for name in _FACT_NAMES):
            return counts, None
        # Most clients have neither: their rows are read only when the counts' probes found some.
        blocks: tuple[ChannelBlock, ...] = ()
        held: tuple[Booking, ...] = ()
        if counts["blocked"]:
            blocks = tuple(_hydrate(ChannelBlock, row) for row in await rows(_ONE_BLOCKS))
        if counts["held"]:
            held = tuple(_hydrate(Booking, row) for row in await rows(_ONE_BOOKINGS, booked=booked))
        facts = SendFacts(
            blocks=blocks,
            bookings=held,
            sent_today=counts["today"] or 0,
            sent_this_week=counts["week"] or 0,
            last_sent_at=counts["last_sent_at"],
            has_push_subscription=bool(counts["push"]),
            has_linked_chat=bool(counts["chat"]),
        )
        return counts, facts

    async def find_by_key(self, idempotency_key: str, since: datetime) -> SendRecord | None:
        # On the driver, prepared once: every send that carries a key asks this first. A read:
        # it opens no transaction (the expired key's update below opens the unit's).
        found = await driver_rows(self._conn, _BY_KEY, {"key": idempotency_key}, begin=False)
        if not found:
            return None
        row = found[0]
        if row["create_time"] < since:
            # An expired key is free again: forget the old request's claim on it.
            await self._conn.execute(
                sends.update().where(sends.c.id == row["id"]).values(idempotency_key=None)
            )
            return None
        return _record(row)

    async def get(self, send_id: int) -> SendRecord | None:
        row = (await self._conn.execute(sa.select(sends).where(sends.c.id == send_id))).mappings().first()
        return None if row is None else _record(row)

    async def add(
        self,
        record: SendRecord,
        planned: Sequence[Communication],
        queued: Sequence[QueuedMessage],
        refused: Sequence[RefusedItem],
        *,
        last_write: bool = False,
    ) -> SendRecord:
        values = {name: getattr(record, name) for name in _SEND_COLUMNS if name != "open_count"}
        if len(planned) == 1 and not refused and self._conn.dialect.name == "postgresql":
            return await self._add_one(values, planned[0], queued[0], last_write=last_write)
        # First: this opens the transaction (asyncpg's adapter opens it lazily) the bulk statements join.
        send_id = await insert_returning_id(
            self._conn, sends, {**values, "open_count": len(planned)}, _INSERT_SEND
        )
        await self._queue([send_id] * len(planned), planned, queued)
        await insert_rows(
            self._conn,
            send_refusals,
            ("send_id", "client_id", "reason", "message"),
            ((send_id, r.client_id, r.reason, r.message) for r in refused),
        )
        return SendRecord(**{**values, "id": send_id})

    async def add_pending(
        self,
        record: SendRecord,
        content: SendContent,
        pending: Sequence[PendingRecipient],
        refused: Sequence[RefusedItem],
    ) -> SendRecord:
        values = {name: getattr(record, name) for name in _SEND_COLUMNS if name != "open_count"}
        # First: this opens the transaction (asyncpg's adapter opens it lazily) the bulk statements join.
        send_id = await insert_returning_id(
            self._conn, sends, {**values, "open_count": len(pending)}, _INSERT_SEND
        )
        await self._conn.execute(
            send_contents.insert().values(
                send_id=send_id,
                subject=content.subject,
                text=content.text,
                html=content.html,
                variables=dict(content.variables),
                employee_id=content.employee_id,
                document_id=content.document_id,
            )
        )
        ids = await take_ids(self._conn, communications, len(pending))
        if ids and self._conn.dialect.name != "postgresql":
            # No communication is written with these yet: move SQLite's counter past them now.
            await reserve_ids(self._conn, communications, ids[-1])
        created = record.create_time
        writes = PipelinedInserts(self._conn)
        try:
            await writes.add(
                send_pending,
                _PENDING_COLUMNS,
                (
                    (i, send_id, p.uuid, p.client_id, p.channel_id, p.scheduled_at)
                    for i, p in zip(ids, pending, strict=True)
                ),
            )
            counts = _SendCounts.of_times([(p.client_id, p.scheduled_at or created) for p in pending])
            await writes.add(
                send_refusals,
                ("send_id", "client_id", "reason", "message"),
                ((send_id, r.client_id, r.reason, r.message) for r in refused),
            )
            await writes.finish()
        except BaseException:
            await writes.cancel()
            raise
        await self._count(counts)
        return SendRecord(**{**values, "id": send_id})

    async def take_pending(self, limit: int) -> list[PendingRecipient]:
        p = send_pending.c
        oldest = sa.select(p.communication_id).order_by(p.communication_id).limit(limit)
        if self._conn.dialect.name == "postgresql":
            oldest = oldest.with_for_update(skip_locked=True)
        # SQLite: the DELETE takes the write lock first, so a second taker waits, then finds others.
        statement = (
            send_pending.delete()
            .where(p.communication_id.in_(oldest.scalar_subquery()))
            .returning(*(p[name] for name in _PENDING_COLUMNS))
        )
        rows = (await self._conn.execute(statement)).mappings().all()
        return sorted((PendingRecipient(**row) for row in rows), key=operator.attrgetter("communication_id"))

    async def contents(self, send_ids: Collection[int]) -> dict[int, tuple[SendRecord, SendContent]]:
        if not send_ids:
            return {}
        statement = (
            sa.select(sends, *(c.label(f"content_{c.name}") for c in send_contents.c))
            .join(send_contents, send_contents.c.send_id == sends.c.id)
            .where(sends.c.id.in_(sorted(send_ids)))
        )
        found: dict[int, tuple[SendRecord, SendContent]] = {}
        for row in (await self._conn.execute(statement)).mappings():
            found[row["id"]] = (
                _record(row),
                SendContent(
                    subject=row["content_subject"],
                    text=row["content_text"],
                    html=row["content_html"],
                    variables=row["content_variables"] or {},
                    employee_id=row["content_employee_id"],
                    document_id=row["content_document_id"],
                ),
            )
        return found

    async def materialise(
        self,
        send_ids: Sequence[int],
        communications: Sequence[Communication],
        queued: Sequence[QueuedMessage],
    ) -> None:
        if communications:
            await self._write(send_ids, communications, queued)

    async def pending_total(self) -> int:
        statement = sa.select(sa.func.count()).select_from(send_pending)
        return int((await self._conn.execute(statement)).scalar_one())

    async def _add_one(
        self,
        values: dict[str, Any],
        communication: Communication,
        message: QueuedMessage,
        *,
        last_write: bool,
    ) -> SendRecord:
        """A send of one communication on PostgreSQL: every row in one statement (single_send);
        the unit's only write commits with its statement (``last_write`` and no transaction open)."""
        # New planned communications count nowhere yet, as in _queue: no query, and no rows.
        await stats.apply(self._conn, [], await stats.contributions(self._conn, [communication]))
        parameters = one_send_values(
            {**values, "open_count": 1},
            communication,
            _COMMUNICATION_COLUMNS,
            _queue_values(None, None, message),
        )
        (row,) = await driver_rows(self._conn, _ONE_SEND, parameters, begin=not last_write)
        communication.id = row["communication_id"]
        return SendRecord(**{**values, "id": row["send_id"]})

    async def add_fallbacks(
        self,
        send_ids: Sequence[int],
        communications: Sequence[Communication],
        queued: Sequence[QueuedMessage],
    ) -> None:
        if not communications:
            return
        await self._queue(send_ids, communications, queued)
        await self._open(Counter(send_ids), operator.add)

    async def finish(self, finished: Mapping[int, int]) -> list[int]:
        rows = await self._open(finished, operator.sub)
        return sorted(send_id for send_id, left in rows if left == 0)

    async def _open(self, changes: Mapping[int, int], op: Any) -> list[tuple[int, int]]:
        """Move the sends' open counts by ``changes`` (one statement a chunk); their new counts."""
        found: list[tuple[int, int]] = []
        ids = sorted(i for i, n in changes.items() if n)
        # In id order, so that two transactions lock the sends' rows in the same order.
        for chunk in _chunks(ids):
            by = sa.case({i: changes[i] for i in chunk}, value=sends.c.id)
            statement = (
                sends.update()
                .where(sends.c.id.in_(chunk))
                .values(open_count=op(sends.c.open_count, by))
                .returning(sends.c.id, sends.c.open_count)
            )
            found.extend((i, n) for i, n in await self._conn.execute(statement))
        return found

    async def fallback_origins(self, communication_ids: Sequence[int]) -> dict[int, FallbackOrigin]:
        if not communication_ids:
            return {}
        q = dispatch_queue.c
        later = communications.alias("later")
        # Indexed on fallback_of: one probe per failed communication, whatever the table's size.
        made = sa.exists().where(later.c.fallback_of == q.communication_id)
        statement = (
            sa.select(dispatch_queue, sends.c.channel_ids, made.label("has_fallback"))
            .join(sends, sends.c.id == q.send_id)
            .where(q.communication_id.in_(list(communication_ids)))
        )
        return {
            row.communication_id: FallbackOrigin(
                send_id=row.send_id,
                channel_ids=tuple(row.channel_ids or ()),
                message=queued_message(row),
                has_fallback=bool(row.has_fallback),
            )
            for row in await self._conn.execute(statement)
        }

    async def _queue(
        self, send_ids: Sequence[int], planned: Sequence[Communication], queued: Sequence[QueuedMessage]
    ) -> None:
        ids = await take_ids(self._conn, communications, len(planned))
        for communication, new_id in zip(planned, ids, strict=True):
            communication.id = new_id
        await self._count(await self._write(send_ids, planned, queued))

    async def _write(
        self, send_ids: Sequence[int], planned: Sequence[Communication], queued: Sequence[QueuedMessage]
    ) -> _SendCounts:
        """The communications (ids set), their history and queue rows; what they add to the counts."""
        writes = PipelinedInserts(self._conn)
        try:
            await writes.add(communications, _COMMUNICATION_COLUMNS, map(_communication_row, planned))
            await writes.add(
                communication_history,
                _HISTORY_COLUMNS,
                (
                    (c.id, h.field, h.from_status, h.to_status, h.at, h.actor, h.note)
                    for c in planned
                    for h in c.history
                ),
            )
            await writes.add(
                dispatch_queue,
                _QUEUE_COLUMNS,
                (_queue_row(s, c.id, q) for s, c, q in zip(send_ids, planned, queued, strict=True)),
            )
            counts = await _SendCounts.of(queued, writes)  # while the queue's COPY runs
            await writes.finish()
        except BaseException:
            await writes.cancel()
            raise
        # New planned communications count nowhere yet; this costs no query, and stays right if
        # a send ever records communications that do.
        await stats.apply(self._conn, [], await stats.contributions(self._conn, planned))
        return counts

    async def _count(self, counts: _SendCounts) -> None:
        per_day = counts.per_day
        if self._conn.dialect.name == "postgresql":
            # One statement for the whole send: unnest() turns the arrays into the upserted rows.
            await driver_rows(
                self._conn,
                _COUNT_SENDS,
                {
                    "client_ids": [c for c, _ in per_day],
                    "days": [d for _, d in per_day],
                    "sends": [n for n, _ in per_day.values()],
                    "last_sent_at": [at for _, at in per_day.values()],
                },
            )
            return
        rows = [
            {"client_id": c, "day": d, "sends": n, "last_sent_at": at} for (c, d), (n, at) in per_day.items()
        ]
        days = client_send_days.c
        for chunk in _chunks(rows):
            insert = _upsert(self._conn, client_send_days)
            later = sa.or_(days.last_sent_at.is_(None), insert.excluded.last_sent_at > days.last_sent_at)
            statement = insert.on_conflict_do_update(
                index_elements=["client_id", "day"],
                set_={
                    "sends": days.sends + insert.excluded.sends,
                    "last_sent_at": sa.case((later, insert.excluded.last_sent_at), else_=days.last_sent_at),
                },
            )
            await self._conn.execute(statement, list(chunk))

    async def accepted(self, send_id: int, *, limit: int, offset: int) -> list[AcceptedItem]:
        q, p = dispatch_queue.c, send_pending.c
        made = (
            sa.select(
                q.communication_id.label("id"),
                q.client_id,
                q.uuid,
                q.channel_id,
                sa.func.coalesce(communications.c.scheduled_at, q.due_at).label("at"),
            )
            .join(communications, communications.c.id == q.communication_id)
            .where(q.send_id == send_id)
        )
        # A pending recipient is listed as the communication it becomes: the same uuid and time.
        waiting = (
            sa.select(
                p.communication_id.label("id"),
                p.client_id,
                p.uuid,
                p.channel_id,
                sa.func.coalesce(p.scheduled_at, sends.c.create_time).label("at"),
            )
            .join(sends, sends.c.id == p.send_id)
            .where(p.send_id == send_id)
        )
        both = sa.union_all(made, waiting).subquery()
        statement = (
            sa.select(both.c.client_id, both.c.uuid, both.c.channel_id, both.c.at)
            .order_by(both.c.id)
            .limit(limit)
            .offset(offset)
        )
        rows = await self._conn.execute(statement)
        return [AcceptedItem(c or 0, u, ch, at) for c, u, ch, at in rows]

    async def refused(self, send_id: int, *, limit: int, offset: int) -> list[RefusedItem]:
        r = send_refusals.c
        statement = (
            sa.select(r.client_id, r.reason, r.message)
            .where(r.send_id == send_id)
            .order_by(r.id)
            .limit(limit)
            .offset(offset)
        )
        return [RefusedItem(c, reason, m) for c, reason, m in await self._conn.execute(statement)]

    async def counts(self, send_id: int) -> Counts:
        return (await self.counts_of_sends([send_id])).get(send_id, NO_COUNTS)

    async def counts_of_sends(self, send_ids: Sequence[int]) -> dict[int, Counts]:
        if not send_ids:
            return {}
        c, q = communications.c, dispatch_queue.c
        statement = (
            sa.select(q.send_id, c.status, c.delivery_status, sa.func.count())
            .select_from(dispatch_queue.join(communications, c.id == q.communication_id))
            .where(among(q.send_id, send_ids, self._conn.dialect))
            .group_by(q.send_id, c.status, c.delivery_status)
        )
        rows: dict[int, list[tuple[object, object | None, int]]] = defaultdict(list)
        for send_id, status, delivery_status, count in await self._conn.execute(statement):
            rows[send_id].append((status, delivery_status, count))
        p = send_pending.c
        waiting = (
            sa.select(p.send_id, sa.func.count())
            .where(among(p.send_id, send_ids, self._conn.dialect))
            .group_by(p.send_id)
        )
        for send_id, count in await self._conn.execute(waiting):
            rows[send_id].append((PENDING_STATUS.value, None, count))
        return {send_id: Counts.tally(of_send) for send_id, of_send in rows.items()}

    async def send_ids(self, communication_ids: Sequence[int]) -> dict[int, int]:
        q = dispatch_queue.c
        found: dict[int, int] = {}
        for chunk in _chunks(communication_ids):
            statement = sa.select(q.communication_id, q.send_id).where(
                q.communication_id.in_(chunk), q.send_id.is_not(None)
            )
            found.update({c: s for c, s in await self._conn.execute(statement)})
        return found


_ACTIVE_RULES = (
    sa.select(rules)
    .where(rules.c.department_id == sa.bindparam("department_id"), rules.c.active.is_(True))
    .order_by(rules.c.id)
)
_SEND_COLUMNS = tuple(c.name for c in sends.columns if c.name != "id")
_BY_KEY = sa.select(sends).where(sends.c.idempotency_key == sa.bindparam("key", type_=sa.String))
_INSERT_SEND = sends.insert().returning(sends.c.id)
_ONE_CLIENT = sa.bindparam("client_id", type_=sa.Integer)
# Untyped: each comparison types it by its column, as a plain value would be.
_NOW: sa.BindParameter[Any] = sa.bindparam("now")
_ONE_BLOCKED = sa.and_(
    channel_blocks.c.client_id == _ONE_CLIENT,
    sa.or_(channel_blocks.c.until.is_(None), channel_blocks.c.until > _NOW),
)
_ONE_HELD = sa.and_(
    bookings.c.client_id == _ONE_CLIENT,
    bookings.c.status == sa.bindparam("booked"),
    bookings.c.before_date > _NOW,
)
_ONE_BLOCKS = sa.select(channel_blocks).where(_ONE_BLOCKED)
_ONE_BOOKINGS = sa.select(bookings).where(_ONE_HELD)
_DAYS = client_send_days.c
_LATEST_SEND = (
    sa.select(_DAYS.last_sent_at)
    .where(_DAYS.client_id == clients.c.id)
    .order_by(_DAYS.day.desc())
    .limit(1)
    .scalar_subquery()
)
"""A client's last send: its latest day's (a backward probe of the primary key)."""
_ONE_COUNTS = sa.select(
    sa.select(sa.func.sum(_DAYS.sends))
    .where(_DAYS.client_id == _ONE_CLIENT, _DAYS.day == sa.bindparam("today"))
    .scalar_subquery()
    .label("today"),
    sa.select(sa.func.sum(_DAYS.sends))
    .where(_DAYS.client_id == _ONE_CLIENT, _DAYS.day > sa.bindparam("since"))
    .scalar_subquery()
    .label("week"),
    sa.select(_DAYS.last_sent_at)
    .where(_DAYS.client_id == _ONE_CLIENT)
    .order_by(_DAYS.day.desc())
    .limit(1)
    .scalar_subquery()
    .label("last_sent_at"),
    sa.exists().where(push_subscriptions.c.client_id == _ONE_CLIENT).label("push"),
    sa.exists()
    .where(telegram_links.c.client_id == _ONE_CLIENT, telegram_links.c.chat_id.is_not(None))
    .label("chat"),
    sa.exists().where(_ONE_BLOCKED).label("blocked"),
    sa.exists().where(_ONE_HELD).label("held"),
)
"""A single send's reads of one client's facts: the same as ``facts`` asks for an audience, the
blocks and bookings as probes first (their rows follow only when there are some)."""
_FACT_NAMES = tuple(c.name for c in _ONE_COUNTS.selected_columns)
_ONE_RECIPIENT = _ONE_COUNTS.add_columns(
    sa.select(clients.table_valued()).where(clients.c.id == _ONE_CLIENT).scalar_subquery().label("client")
)
"""The same, with the client's row as a composite value (on PostgreSQL)."""
_SETTING_AND_RECIPIENT = SETTING.add_columns(*_ONE_RECIPIENT.selected_columns)
"""A single send's reads before its write, on PostgreSQL: ``setting`` and ``one_recipient``."""

_COMMUNICATION_COLUMNS = ("id", *(f.name for f in fields(Communication) if f.name not in ("id", "history")))
_communication_row = operator.attrgetter(*_COMMUNICATION_COLUMNS)
_HISTORY_COLUMNS = ("communication_id", "field", "from_status", "to_status", "at", "actor", "note")
_QUEUE_COLUMNS = tuple(c.name for c in dispatch_queue.columns)


_ONE_SEND = one_send_statement(sends, dispatch_queue, _SEND_COLUMNS, _COMMUNICATION_COLUMNS, _QUEUE_COLUMNS)

_RECORD_COLUMNS = tuple(f.name for f in fields(SendRecord) if f.name != "id")


def _record(row: Any) -> SendRecord:
    stored = {name: row[name] for name in ("id", *_RECORD_COLUMNS)}
    return SendRecord(**{**stored, "channel_ids": tuple(row["channel_ids"] or ())})


def queued_message(row: Any) -> QueuedMessage:
    """A queue row as the dispatcher sees it (the column ``recipient`` is the message's ``to``)."""
    return QueuedMessage(
        communication_id=row.communication_id,
        uuid=row.uuid,
        client_id=row.client_id,
        channel_id=row.channel_id,
        channel_kind=row.channel_kind,
        due_at=row.due_at,
        to=row.recipient,
        subject=row.subject,
        text=row.text,
        html=row.html,
        headers=row.headers,
        attempts=row.attempts,
    )


_QUEUE_ROW_ORDER = (
    "communication_id",
    "send_id",
    "uuid",
    "client_id",
    "channel_id",
    "channel_kind",
    "due_at",
    "pending",
    "attempts",
    "lease_until",
    "lease_owner",
    "recipient",
    "subject",
    "text",
    "html",
    "headers",
    "last_error",
)
assert _QUEUE_ROW_ORDER == _QUEUE_COLUMNS, "_queue_row writes the queue's columns in table order"


def _queue_row(send_id: int | None, communication_id: int | None, q: QueuedMessage) -> tuple[Any, ...]:
    # A tuple in _QUEUE_ROW_ORDER, built directly: a bulk send makes one per accepted client.
    return (
        communication_id,
        send_id,
        q.uuid,
        q.client_id,
        q.channel_id,
        q.channel_kind,
        q.due_at,
        True,
        q.attempts,
        None,
        None,
        q.to,
        q.subject,
        q.text,
        q.html,
        dict(q.headers),
        None,
    )


def _queue_values(send_id: int | None, communication_id: int | None, q: QueuedMessage) -> dict[str, Any]:
    return dict(zip(_QUEUE_COLUMNS, _queue_row(send_id, communication_id, q), strict=True))
