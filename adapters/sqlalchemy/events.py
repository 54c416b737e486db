"""The events log in SQL, and the PostgreSQL doorbell (LISTEN/NOTIFY) that tells other processes.

``events`` is append-only: a status change and its event are written in one transaction. Ids must
follow commit order, or a reader that has seen id 11 would never look back for a 10 committed
later. On PostgreSQL two transactions may take ids and commit in the other order, so appenders
take one transaction-scoped advisory lock before they take ids: appends queue for the moment
between their INSERT and their COMMIT (the last statements of a short transaction). SQLite has
one writer at a time, so its order is commit order already. ``sqlite_autoincrement`` keeps ids
from being reused once retention empties the table.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

import asyncpg
import msgspec
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy.communications import BigId
from adapters.sqlalchemy.engine import _postgres_args
from adapters.sqlalchemy.tables import metadata
from adapters.sqlalchemy.types import JsonDict, UtcDateTime
from application.events.ports import EVENT_TYPES, Event, EventBus, EventFilter, StoredEvent, Subscription

log = logging.getLogger("switchboard.events")

CHANNEL = "switchboard_events"
ORDER_LOCK = 0x5357_4556_454E_5453 & 0x7FFF_FFFF_FFFF_FFFF
"""The advisory lock key that keeps event ids in commit order (any constant nobody else uses)."""

events = sa.Table(
    "events",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("type", sa.String(64), nullable=False),
    sa.Column("send_id", sa.Integer),
    sa.Column("mailing_id", sa.Integer),
    sa.Column("client_id", sa.Integer),
    sa.Column("payload", JsonDict(), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False, index=True),
    sqlite_autoincrement=True,
)
_e = events.c


_FIELDS: dict[type[Event], tuple[str, ...]] = {}


def _payload(event: Event) -> dict[str, Any]:
    names = _FIELDS.get(type(event))
    if names is None:
        names = _FIELDS[type(event)] = tuple(f.name for f in fields(event))
    return {**{name: getattr(event, name) for name in names}, "at": event.at.isoformat()}


# PostgreSQL: a batch of events in one INSERT ... SELECT FROM unnest(arrays), whatever its size; the
# statement never changes, so it is prepared once (a multi-row VALUES is rendered for every batch).
# The payloads go as JSON text, as the column's own type would write them.
_UNNEST_EVENTS = sa.text(
    "INSERT INTO events (type, send_id, mailing_id, client_id, payload, created_at) "
    "SELECT given.type, given.send_id, given.mailing_id, given.client_id, given.payload, :created_at "
    "FROM unnest(CAST(:types AS VARCHAR[]), CAST(:send_ids AS INTEGER[]), CAST(:mailing_ids AS INTEGER[]), "
    "CAST(:client_ids AS INTEGER[]), CAST(:payloads AS JSON[])) "
    "AS given(type, send_id, mailing_id, client_id, payload)"
).bindparams(
    sa.bindparam("types", type_=postgresql.ARRAY(sa.String)),
    sa.bindparam("send_ids", type_=postgresql.ARRAY(sa.Integer)),
    sa.bindparam("mailing_ids", type_=postgresql.ARRAY(sa.Integer)),
    sa.bindparam("client_ids", type_=postgresql.ARRAY(sa.Integer)),
    sa.bindparam("payloads", type_=postgresql.ARRAY(sa.Text)),
    sa.bindparam("created_at", type_=UtcDateTime()),
)


_json = msgspec.json.Encoder().encode
"""An event's payload as JSON text (its fields are strings, integers and their dicts): msgspec's C
encoder, where ``json.dumps`` cost a few µs an event; a worker appends two events a message."""


def _event(type_: str, payload: dict[str, Any]) -> Event:
    return EVENT_TYPES[type_](**{**payload, "at": datetime.fromisoformat(payload["at"])})


class SqlEventLog:
    def __init__(self, connection: AsyncConnection) -> None:
        self._conn = connection
        self._appended = False

    @property
    def appended(self) -> bool:
        return self._appended

    async def append(self, events_: Sequence[Event], at: datetime) -> None:
        if not events_:
            return
        if self._conn.dialect.name == "postgresql":
            if not self._appended:
                await self._conn.execute(sa.select(sa.func.pg_advisory_xact_lock(ORDER_LOCK)))
            arrays = {
                "types": [e.type for e in events_],
                "send_ids": [e.send_id for e in events_],
                "mailing_ids": [e.mailing_id for e in events_],
                "client_ids": [e.client_id for e in events_],
                "payloads": [_json(_payload(e)).decode() for e in events_],
            }
            await self._conn.execute(_UNNEST_EVENTS, {**arrays, "created_at": at})
            self._appended = True
            return
        rows = [
            {
                "type": e.type,
                "send_id": e.send_id,
                "mailing_id": e.mailing_id,
                "client_id": e.client_id,
                "payload": _payload(e),
                "created_at": at,
            }
            for e in events_
        ]
        for start in range(0, len(rows), 2_000):
            await self._conn.execute(events.insert(), rows[start : start + 2_000])
        self._appended = True

    def committed(self) -> bool:
        """Called by the unit of work after its commit: whether to ring; the next append locks again."""
        appended, self._appended = self._appended, False
        return appended

    async def after(self, last_id: int, where: EventFilter, limit: int) -> list[StoredEvent]:
        statement = sa.select(_e.id, _e.type, _e.payload, _e.created_at).where(_e.id > last_id)
        for column, value in (
            (_e.send_id, where.send_id),
            (_e.mailing_id, where.mailing_id),
            (_e.client_id, where.client_id),
        ):
            if value is not None:
                statement = statement.where(column == value)
        rows = await self._conn.execute(statement.order_by(_e.id).limit(limit))
        return [StoredEvent(id=i, event=_event(t, p), created_at=c) for i, t, p, c in rows]

    async def last_id(self) -> int:
        found = (await self._conn.execute(sa.select(sa.func.max(_e.id)))).scalar_one()
        return int(found or 0)

    async def delete_before(self, cutoff: datetime) -> int:
        result = await self._conn.execute(events.delete().where(_e.created_at < cutoff))
        return int(result.rowcount or 0)


class PgEventBus:
    """NOTIFY after a commit that added events; one LISTEN connection per process rings ``local``.

    The readers of this process subscribe to ``local`` (the in-process doorbell); a ring from this
    process reaches them without the round trip, and its own NOTIFY is recognised and skipped.
    """

    def __init__(self, database_url: str, local: EventBus, *, health_every: float = 5.0) -> None:
        url = make_url(database_url).set(drivername="postgresql")
        self._dsn = url.render_as_string(hide_password=False)
        self._connect_args = _postgres_args(self._dsn)
        self._local = local
        self._health_every = health_every
        self._token = uuid.uuid4().hex
        self._notifier: Any = None
        self._notify_lock = asyncio.Lock()
        self._listener: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()
        self._rings: set[asyncio.Task[None]] = set()

    async def publish(self) -> None:
        await self._local.publish()
        async with self._notify_lock:
            try:
                if self._notifier is None or self._notifier.is_closed():
                    self._notifier = await asyncpg.connect(self._dsn, **self._connect_args)
                await self._notifier.execute("SELECT pg_notify($1, $2)", CHANNEL, self._token)
            except Exception:  # the events are committed; other processes' readers poll too
                log.warning("NOTIFY failed; other processes see the events on their next poll", exc_info=True)
                await self._drop_notifier()

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[Subscription]:
        self._start()
        async with self._local.subscribe() as subscription:
            yield subscription

    async def listening(self, seconds: float = 10.0) -> bool:
        """Waits until the LISTEN connection is up (tests and startup use it)."""
        self._start()
        try:
            async with asyncio.timeout(seconds):
                await self._listening.wait()
        except TimeoutError:
            return False
        return True

    def _start(self) -> None:
        if self._listener is None or self._listener.done():
            self._listener = asyncio.create_task(self._listen(), name="switchboard-events-listen")

    def _heard(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        if payload != self._token:
            # Kept until done: the loop holds tasks only weakly.
            task = asyncio.get_running_loop().create_task(self._local.publish())
            self._rings.add(task)
            task.add_done_callback(self._rings.discard)

    async def _listen(self) -> None:
        while True:
            connection = None
            try:
                connection = await asyncpg.connect(self._dsn, **self._connect_args)
                await connection.add_listener(CHANNEL, self._heard)
                self._listening.set()
                # Readers look again: anything committed while no one listened is read now.
                await self._local.publish()
                while True:
                    await asyncio.sleep(self._health_every)
                    await connection.execute("SELECT 1")
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("the LISTEN connection failed; reconnecting", exc_info=True)
                self._listening.clear()
                await asyncio.sleep(1.0)
            finally:
                if connection is not None:
                    with contextlib.suppress(Exception):
                        await connection.close(timeout=2)

    async def _drop_notifier(self) -> None:
        notifier, self._notifier = self._notifier, None
        if notifier is not None:
            with contextlib.suppress(Exception):
                await notifier.close(timeout=2)

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener
            self._listener = None
        self._listening.clear()
        async with self._notify_lock:
            await self._drop_notifier()
