"""Communications in SQL: the tables, their indexes, and the repository.

Indexes follow the list filters that must stay fast on millions of rows. Every list is
ordered by a time and then by id in the same direction (see ``total_order``), so each
``(filter columns…, create_time, id)`` index answers "filter + period, newest first, one page"
by reading just that page from the index, forwards or backwards, with no sort step:

* ``client_id + period``                      -> (client_id, create_time, id)
* ``status + department_id + period``          -> (department_id, status, create_time, id)
* ``status + period``, ``employee_id + period`` -> (status, create_time, id), (employee_id, create_time, id)
* period alone, or no filter                   -> (create_time, id)

The period filter is on ``create_time`` (when the communication was recorded: for a fact, when
it happened; for a planned one, when it was planned), which is never NULL. The planned time has
its own filter on ``scheduled_at`` and index (status, scheduled_at) for "planned and due".

Columns most rows leave NULL (employee, mailing, project, document, fallback_of, the provider's
message id) have partial indexes of the rows that set them: a bulk send writes 9 index entries per
communication instead of 15. Only ``client_id`` keeps a foreign key (docs/decisions.md, "Bulk accept
writes less").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import fields
from datetime import datetime
from functools import cache
from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy import decisions as decision_log
from adapters.sqlalchemy import stats, surveys
from adapters.sqlalchemy.bulk import among
from adapters.sqlalchemy.fastpath import driver_rows
from adapters.sqlalchemy.filters import related, unstorable, where
from adapters.sqlalchemy.tables import client_group_members, metadata
from adapters.sqlalchemy.types import EnumText, UtcDateTime
from application.communications.ports import Keyset, total_order
from application.queries import Condition, Criterion, Op, Query
from domain.communications import (
    Communication,
    CommunicationKind,
    DeliveryStatus,
    Direction,
    IdTranslation,
    LifecycleStatus,
    StatusChange,
    imported_changes,
)
from domain.errors import Conflict, NotFound

# Communications and their history outgrow 32-bit ids; SQLite's rowid alias must stay INTEGER.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _ref(name: str, table: str, *, nullable: bool = True) -> sa.Column[Any]:
    # RESTRICT: a client that communications name cannot be deleted under them.
    return sa.Column(name, sa.Integer, sa.ForeignKey(f"{table}.id", ondelete="RESTRICT"), nullable=nullable)


def _named(name: str, *, nullable: bool = True) -> sa.Column[Any]:
    # A dictionary or organisation id with no foreign key: a key's check costs every inserted row
    # a trigger (a bulk send of 100,000 paid ~0.2 s per key), while these are deleted rarely and
    # their delete use cases refuse while communications name them (``referenced_by``).
    return sa.Column(name, sa.Integer, nullable=nullable)


def _present(*columns: str, set_: str | None = None) -> sa.Index:
    """An index of the rows where ``set_`` (the first column unless named) is not NULL: most
    communications leave it NULL (a send names no employee, mailing, project or document, and no
    provider message id yet), and an ``=`` filter on it implies NOT NULL, so it still answers."""
    where = sa.text(f"{set_ or columns[0]} IS NOT NULL")
    return sa.Index(None, *columns, postgresql_where=where, sqlite_where=where)


communications = sa.Table(
    "communications",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("uuid", sa.String(36), nullable=False, unique=True),
    _named("type_id", nullable=False),
    _named("channel_id", nullable=False),
    sa.Column("direction", EnumText(Direction, 16), nullable=False),
    sa.Column("kind", EnumText(CommunicationKind, 16), nullable=False),
    sa.Column("status", EnumText(LifecycleStatus, 16), nullable=False),
    sa.Column("delivery_status", EnumText(DeliveryStatus, 16)),
    _ref("client_id", "clients"),
    _named("employee_id"),
    _named("department_id"),
    _named("project_id"),
    # Mailings arrive with the sending issue; the foreign key comes with their table.
    sa.Column("mailing_id", sa.Integer),
    _named("document_id"),
    sa.Column("subject", sa.String(1000)),
    sa.Column("content", sa.Text),
    sa.Column("scheduled_at", UtcDateTime),
    sa.Column("started_at", UtcDateTime),
    sa.Column("finished_at", UtcDateTime),
    sa.Column("result", sa.Text),
    sa.Column("failure_reason", sa.Text),
    sa.Column("provider", sa.String(64)),
    sa.Column("provider_message_id", sa.String(255)),
    sa.Column("attempts", sa.Integer, nullable=False),
    # The communication this one follows up on the next channel of its send (no FK: history stays).
    sa.Column("fallback_of", BigId),
    sa.Column("create_time", UtcDateTime, nullable=False),
    sa.Column("update_time", UtcDateTime, nullable=False),
    sa.Index(None, "client_id", "create_time", "id"),
    sa.Index(None, "department_id", "status", "create_time", "id"),
    sa.Index(None, "status", "create_time", "id"),
    _present("employee_id", "create_time", "id"),
    sa.Index(None, "create_time", "id"),
    sa.Index(None, "channel_id", "create_time"),
    sa.Index(None, "type_id", "create_time"),
    sa.Index(None, "status", "scheduled_at"),
    _present("mailing_id", "status"),
    # Deleting a project or document counts its communications first: those need an index too.
    _present("project_id"),
    _present("document_id"),
    # The fallback step asks whether a failed communication was followed up already.
    _present("fallback_of"),
    # Provider callbacks find their communication by the provider's message id.
    _present("provider", "provider_message_id", set_="provider_message_id"),
    sqlite_autoincrement=True,
)

communication_history = sa.Table(
    "communication_history",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    # No foreign key: the rows are written with their communication (a key's check would cost
    # each of a bulk send's rows a lookup and a row lock); ``delete`` removes them explicitly.
    sa.Column("communication_id", BigId, nullable=False),
    sa.Column("field", sa.String(32), nullable=False),
    sa.Column("from_status", sa.String(32)),
    sa.Column("to_status", sa.String(32), nullable=False),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("actor", sa.String(128)),
    sa.Column("note", sa.Text),
    sa.Index(None, "communication_id", "id"),
    sqlite_autoincrement=True,
)

communication_external_ids = sa.Table(
    "communication_external_ids",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column(
        "communication_id",
        BigId,
        sa.ForeignKey("communications.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("system", sa.String(64), nullable=False),
    sa.Column("external_id", sa.String(255), nullable=False),
    sa.Column("create_time", UtcDateTime, nullable=False),
    sa.UniqueConstraint("system", "external_id"),
    sa.UniqueConstraint("communication_id", "system"),
    sqlite_autoincrement=True,
)

_COLUMNS = [f.name for f in fields(Communication) if f.name not in ("id", "history")]
_UPDATED = tuple(name for name in _COLUMNS if name != "uuid")
_UNNEST: dict[tuple[str, tuple[str, ...]], sa.TextClause] = {}


def _unnest_update(dialect: Any, columns: tuple[str, ...] = _UPDATED) -> sa.TextClause:
    """``UPDATE communications ... FROM unnest(...)``: one array parameter per written column
    (PostgreSQL). One statement per set of columns, compiled and prepared once each."""
    statement = _UNNEST.get((dialect.name, columns))
    if statement is None:
        types = {"row_id": _c.id.type, "loaded_at": _c.update_time.type, **{n: _c[n].type for n in columns}}
        arrays = ", ".join(f"CAST(:{n} AS {t.compile(dialect=dialect)}[])" for n, t in types.items())
        sql = (
            f"UPDATE communications SET {', '.join(f'{n} = given.{n}' for n in columns)} "
            f"FROM unnest({arrays}) AS given({', '.join(types)}) "
            "WHERE communications.id = given.row_id AND communications.update_time = given.loaded_at "
            "RETURNING communications.id"
        )
        statement = _UNNEST[(dialect.name, columns)] = sa.text(sql).bindparams(
            *(sa.bindparam(n, type_=postgresql.ARRAY(t)) for n, t in types.items())
        )
    return statement


def _in_list(condition: Condition) -> bool:
    """An IN condition on one of the table's own columns."""
    return condition.op is Op.IN and not condition.field.relation and condition.field.name in _c


def _changed_columns(pairs: Iterable[tuple[Communication, Communication]]) -> tuple[str, ...]:
    """The updatable columns in which any ``(stored, current)`` pair differs, in table order; the
    update time always (it is what the next compare and set compares)."""
    unchanged = [n for n in _UPDATED if n != "update_time"]
    values = itemgetter(*unchanged)
    for stored, current in pairs:
        # Their attributes' dicts (a dataclass without slots), read in one call of C code: most of
        # a batch changes what the first item changed, so the tuples compare equal at once.
        was, now = stored.__dict__, current.__dict__
        if unchanged and values(was) != values(now):
            unchanged = [n for n in unchanged if was[n] == now[n]]
            values = itemgetter(*unchanged) if unchanged else values
    return tuple(n for n in _UPDATED if n not in unchanged)


_HISTORY = ("field", "from_status", "to_status", "at", "actor", "note")
IMPORTED_ENTRY = "imported"
"""``field`` of the one history row the bulk import keeps per communication in place of the entries
of ``imported_changes``, which follow from it: the delivery status it was imported with in
``from_status``, its final status in ``to_status``, when it ended in ``at``, who imported it in
``actor``; when it began is the communication's ``create_time``. ``history`` gives the entries back."""
_UNNEST_HISTORY: dict[str, sa.TextClause] = {}


def _unnest_history(dialect: Any) -> sa.TextClause:
    """``INSERT INTO communication_history ... SELECT FROM unnest(...)`` (PostgreSQL)."""
    statement = _UNNEST_HISTORY.get(dialect.name)
    if statement is None:
        h = communication_history.c
        names = ("communication_id", *_HISTORY)
        arrays = ", ".join(f"CAST(:{n} AS {h[n].type.compile(dialect=dialect)}[])" for n in names)
        sql = f"INSERT INTO communication_history ({', '.join(names)}) SELECT * FROM unnest({arrays})"
        statement = _UNNEST_HISTORY[dialect.name] = sa.text(sql).bindparams(
            *(sa.bindparam(n, type_=postgresql.ARRAY(h[n].type)) for n in names)
        )
    return statement


_c = communications.c
_x = communication_external_ids.c
# Declared in sending.py, which builds on this module; a communication deleted while queued leaves it.
_dispatch_queue = sa.table("dispatch_queue", sa.column("communication_id"))


class SqlCommunications:
    def __init__(self, connection: AsyncConnection) -> None:
        self._conn = connection
        self._relations = {
            "client_group_id": related(
                _c.client_id, client_group_members.c.client_id, client_group_members.c.group_id
            )
        }
        self._x_relations: Mapping[str, Any] = {}
        # id(entity) -> (entity, how many of its history entries are stored): the identity
        # map that lets `update` write only the entries appended since loading.
        self._seen: dict[int, tuple[Communication, int, datetime, Communication]] = {}

    # -- writing -----------------------------------------------------------------------------

    async def add(self, communication: Communication) -> Communication:
        return (await self.add_many([communication]))[0]

    async def add_many(self, items: Sequence[Communication]) -> list[Communication]:
        if not items:
            return []
        rows = [{name: getattr(c, name) for name in _COLUMNS} for c in items]
        async with _conflicts("the communication conflicts with stored data"):
            # Ids matched by uuid, not by position: returning them in the parameters' order makes
            # SQLAlchemy insert one row per statement on SQLite (no ordered multi-row RETURNING).
            statement = communications.insert().returning(_c.id, _c.uuid)
            ids = {uuid: new_id for new_id, uuid in await self._conn.execute(statement, rows)}
        for communication in items:
            communication.id = ids[communication.uuid]
        await self._write_history([(c, c.history) for c in items])
        await stats.apply(self._conn, [], await stats.contributions(self._conn, items))
        for communication in items:
            self._track(communication)
        return list(items)

    async def update(self, communication: Communication) -> None:
        self._stored_history(communication)  # refuses one this unit of work did not load
        loaded_at = self._seen[id(communication)][2]
        values = {name: getattr(communication, name) for name in _COLUMNS if name != "uuid"}
        async with _conflicts("the communication conflicts with stored data"):
            # Compare and set: a communication someone else changed since we loaded it is not
            # overwritten (two operators closing and failing one call at the same moment).
            statement = (
                communications.update()
                .where(_c.id == communication.id, _c.update_time == loaded_at)
                .values(values)
            )
            result = await self._conn.execute(statement)
        if result.rowcount == 0:
            if await self.get(communication.id or 0) is None:
                raise NotFound("communication", communication.id)
            raise Conflict(f"communication {communication.uuid} was changed meanwhile; load it again")
        await self._count_changes([communication])
        await self._write_new_history([communication])

    async def update_many(self, items: Sequence[Communication]) -> None:
        if not items:
            return
        for communication in items:
            self._stored_history(communication)
        async with _conflicts("a communication conflicts with stored data"):
            if self._conn.dialect.name == "postgresql":
                written = await self._update_from_values(items)
            else:
                written = await self._update_each(items)
        stale = sorted(c.id or 0 for c in items if c.id not in written)
        if stale:
            raise Conflict(f"communications {stale[:10]} were changed meanwhile; run the change again")
        await self._count_changes(items)
        await self._write_new_history(items)

    async def _update_from_values(self, items: Sequence[Communication]) -> set[int]:
        # One statement per batch, ``UPDATE ... FROM unnest(arrays)``, not one per row: the
        # dispatcher writes a batch in one round trip, and the statement text never changes, so it
        # is compiled and prepared once. Compare and set on the loaded update time; the ids it
        # returns tell which rows nobody else changed since we loaded them.
        #
        # Only the columns that some item of the batch changed are written: a delivery report moves
        # three or four of the 27, and every array costs per element, in SQLAlchemy and in asyncpg.
        # The others are left as stored, which is what was loaded (the update time makes sure).
        written = _changed_columns([(self._seen[id(c)][3], c) for c in items])
        statement = _unnest_update(self._conn.dialect, written)
        columns: dict[str, list[Any]] = {
            "row_id": [c.id for c in items],
            "loaded_at": [self._seen[id(c)][2] for c in items],
            **{name: [getattr(c, name) for c in items] for name in written},
        }
        return set((await self._conn.execute(statement, columns)).scalars())

    async def _update_each(self, items: Sequence[Communication]) -> set[int]:
        # SQLite has no column list on a VALUES alias; an executemany there stays in-process.
        rows = [
            {
                "row_id": c.id,
                "loaded_at": self._seen[id(c)][2],
                **{name: getattr(c, name) for name in _COLUMNS if name != "uuid"},
            }
            for c in items
        ]
        await self._conn.execute(
            communications.update().where(
                _c.id == sa.bindparam("row_id"), _c.update_time == sa.bindparam("loaded_at")
            ),
            rows,
        )
        # Checked afterwards: not every driver counts the rows of each statement in a batch. A row
        # without our new time was changed by someone else since we loaded it.
        expected = {c.id: c.update_time for c in items}
        stored = await self._conn.execute(sa.select(_c.id, _c.update_time).where(_c.id.in_(list(expected))))
        return {row_id for row_id, at in stored if expected[row_id] == at}

    async def delete(self, communication_id: int) -> None:
        # Its rows elsewhere go explicitly: history and the queue row have no foreign key (bulk
        # writes skip the check), and this keeps true wherever the others are off.
        stored = await self._load(sa.select(communications).where(_c.id == communication_id))
        await stats.apply(self._conn, await stats.contributions(self._conn, stored), [])
        await surveys.forget(self._conn, stored)
        await decision_log.move_outcomes(self._conn, [(c, None) for c in stored])
        await self._conn.execute(
            decision_log.communication_decisions.delete().where(
                decision_log.communication_decisions.c.communication_id == communication_id
            )
        )
        for table in (communication_history, communication_external_ids, _dispatch_queue):
            await self._conn.execute(table.delete().where(table.c.communication_id == communication_id))
        await self._conn.execute(communications.delete().where(_c.id == communication_id))

    # -- reading -----------------------------------------------------------------------------

    async def get(self, communication_id: int) -> Communication | None:
        found = await self._load(sa.select(communications).where(_c.id == communication_id))
        return found[0] if found else None

    async def get_by_uuid(self, uuid: str) -> Communication | None:
        found = await self._load(sa.select(communications).where(_c.uuid == uuid))
        return found[0] if found else None

    async def find(self, query: Query, after: Keyset | None = None) -> list[Communication]:
        order = total_order(query.order_by)
        keyed = self._by_keys(query.criteria) if after is None and not query.offset else None
        if keyed is not None:
            name, values = keyed
            if not values:
                return []
            statement = _keyed_statement(name, order)
            rows = await driver_rows(self._conn, statement, {"values": values, "limit": query.limit})
            return [self._hydrate(row) for row in rows]
        statement = sa.select(communications).where(*self._where(query.criteria))
        if after is not None:
            statement = statement.where(_after(order, after))
        statement = (
            statement.order_by(*_ordering(communications, order)).limit(query.limit).offset(query.offset)
        )
        return await self._load(statement)

    async def count(self, *criteria: Criterion) -> int:
        statement = sa.select(sa.func.count()).select_from(communications).where(*self._where(criteria))
        return int((await self._conn.execute(statement)).scalar_one())

    async def history(self, communication_id: int) -> list[StatusChange]:
        h = communication_history.c
        rows = await self._conn.execute(
            sa.select(*(h[name] for name in _HISTORY))
            .where(h.communication_id == communication_id)
            .order_by(h.id)
        )
        entries: list[StatusChange] = []
        for row in rows.mappings():
            if row["field"] != IMPORTED_ENTRY:
                entries.append(StatusChange(**row))
                continue
            began = (
                await self._conn.execute(sa.select(_c.create_time).where(_c.id == communication_id))
            ).scalar_one()
            delivery = row["from_status"]
            entries += imported_changes(
                began=began,
                ended=row["at"],
                status=LifecycleStatus(row["to_status"]),
                delivery_status=None if delivery is None else DeliveryStatus(delivery),
                actor=row["actor"],
            )
        return entries

    # -- id translations ---------------------------------------------------------------------

    async def add_translation(self, translation: IdTranslation) -> IdTranslation:
        await self._refuse_taken(translation)
        async with _conflicts("the id translation conflicts with a stored one"):
            result = await self._conn.execute(
                communication_external_ids.insert()
                .values(
                    communication_id=translation.communication_id,
                    system=translation.system,
                    external_id=translation.external_id,
                    create_time=translation.create_time,
                )
                .returning(_x.id)
            )
        translation.id = result.scalar_one()
        return translation

    async def find_translations(self, query: Query) -> list[IdTranslation]:
        statement = (
            sa.select(communication_external_ids, _c.uuid.label("communication_uuid"))
            .join(communications, _c.id == _x.communication_id)
            .where(*(where(communication_external_ids, c, self._x_relations) for c in query.criteria))
            .order_by(*_ordering(communication_external_ids, total_order(query.order_by or ("id",))))
            .limit(query.limit)
            .offset(query.offset)
        )
        rows = (await self._conn.execute(statement)).mappings().all()
        return [
            IdTranslation(
                id=row["id"],
                communication_id=row["communication_id"],
                communication_uuid=row["communication_uuid"],
                system=row["system"],
                external_id=row["external_id"],
                create_time=row["create_time"],
            )
            for row in rows
        ]

    async def count_translations(self, *criteria: Criterion) -> int:
        statement = (
            sa.select(sa.func.count())
            .select_from(communication_external_ids)
            .where(*(where(communication_external_ids, c, self._x_relations) for c in criteria))
        )
        return int((await self._conn.execute(statement)).scalar_one())

    # -- internals ---------------------------------------------------------------------------

    def _where(self, criteria: Iterable[Criterion]) -> list[sa.ColumnElement[bool]]:
        return [
            self._among(c)
            if isinstance(c, Condition) and _in_list(c)
            else where(communications, c, self._relations)
            for c in criteria
        ]

    def _by_keys(self, criteria: Sequence[Criterion]) -> tuple[str, list[Any]] | None:
        """A batch read by ids or uuids alone on PostgreSQL (the dispatcher's, the delivery reports'):
        its column and storable values, for a statement run on the driver (see ``_keyed_statement``)."""
        if self._conn.dialect.name != "postgresql" or len(criteria) != 1:
            return None
        (condition,) = criteria
        if not isinstance(condition, Condition) or not _in_list(condition):
            return None
        name = condition.field.name
        if name not in _KEYS:
            return None
        column = _c[name]
        return name, [v for v in condition.value if not unstorable(column, v)]  # type: ignore[attr-defined]

    def _among(self, condition: Condition) -> sa.ColumnElement[bool]:
        # The dispatcher and the delivery reports read a batch by ids or uuids: on PostgreSQL one
        # array parameter (= ANY), not an IN list whose hundreds of parameters are rendered at
        # every execution. The meaning is the filter's own (values no column can hold match nothing).
        column = _c[condition.field.name]
        storable = [v for v in condition.value if not unstorable(column, v)]  # type: ignore[attr-defined]
        return among(column, storable, self._conn.dialect) if storable else sa.false()

    async def _load(self, statement: sa.Select[Any]) -> list[Communication]:
        rows = (await self._conn.execute(statement)).mappings().all()
        return [self._hydrate(row) for row in rows]

    def _hydrate(self, row: Mapping[str, Any]) -> Communication:
        # Stored rows were valid when written: rebuild without re-running today's checks.
        communication = Communication.__new__(Communication)
        communication.__dict__.update({name: row[name] for name in ("id", *_COLUMNS)})
        communication.history = []
        self._track(communication)
        return communication

    def _track(self, communication: Communication) -> None:
        # The last stored state, shallow, so that an update can take back what it counted.
        stored = Communication.__new__(Communication)
        stored.__dict__.update(communication.__dict__)  # a shallow copy, without copy.copy's generic protocol
        self._seen[id(communication)] = (
            communication,
            len(communication.history),
            communication.update_time,
            stored,
        )

    def _stored_history(self, communication: Communication) -> int:
        tracked = self._seen.get(id(communication))
        if tracked is None or tracked[0] is not communication:
            raise ValueError("update a communication added or loaded through this unit of work")
        return tracked[1]

    async def _count_changes(self, items: Sequence[Communication]) -> None:
        before = [self._seen[id(c)][3] for c in items]
        await decision_log.move_outcomes(
            self._conn,
            [
                (old, new)
                for old, new in zip(before, items, strict=True)
                if _outcome_of(old) != _outcome_of(new)
            ],
        )
        changed = [
            (old, new) for old, new in zip(before, items, strict=True) if _counted(old) != _counted(new)
        ]
        if changed:
            olds, news = [old for old, _ in changed], [new for _, new in changed]
            await stats.apply(
                self._conn,
                await stats.contributions(self._conn, olds),
                await stats.contributions(self._conn, news),
            )

    async def _write_new_history(self, items: Sequence[Communication]) -> None:
        await self._write_history([(c, c.history[self._stored_history(c) :]) for c in items])
        for communication in items:
            self._track(communication)

    async def _write_history(self, changes: Sequence[tuple[Communication, Sequence[StatusChange]]]) -> None:
        pairs = [(c.id, entry) for c, entries in changes for entry in entries]
        if not pairs:
            return
        if self._conn.dialect.name == "postgresql":
            # One INSERT ... SELECT FROM unnest(arrays): a batch's history in one round trip.
            statement = _unnest_history(self._conn.dialect)
            arrays = {name: [getattr(entry, name) for _, entry in pairs] for name in _HISTORY}
            await self._conn.execute(statement, {"communication_id": [i for i, _ in pairs], **arrays})
            return
        rows = [
            {"communication_id": i, **{name: getattr(entry, name) for name in _HISTORY}} for i, entry in pairs
        ]
        await self._conn.execute(communication_history.insert(), rows)

    async def _refuse_taken(self, translation: IdTranslation) -> None:
        # Checked first for a message that names the holder; the unique indexes stay the guard.
        holder = await self._conn.execute(
            sa.select(_c.uuid, _x.external_id, _x.system, _x.communication_id)
            .join(communications, _c.id == _x.communication_id)
            .where(
                sa.or_(
                    sa.and_(_x.system == translation.system, _x.external_id == translation.external_id),
                    sa.and_(
                        _x.communication_id == translation.communication_id, _x.system == translation.system
                    ),
                )
            )
            .limit(1)
        )
        row = holder.first()
        if row is None:
            return
        if row.external_id == translation.external_id:
            raise Conflict(
                f"{translation.system} id {translation.external_id!r} already names communication {row.uuid}"
            )
        raise Conflict(f"communication {row.uuid} already has a {translation.system} id: {row.external_id!r}")


def _outcome_of(c: Communication) -> tuple[object, ...]:
    # What the aggregate of auto decisions' outcomes depends on (the employee is one of its keys).
    return (*_counted(c), c.employee_id)


def _counted(c: Communication) -> tuple[object, ...]:
    # What the statistics counters depend on; other edits leave them alone.
    return (
        c.status,
        c.delivery_status,
        c.client_id,
        c.channel_id,
        c.type_id,
        c.department_id,
        c.started_at,
        c.scheduled_at,
        c.create_time,
    )


_KEYS = ("id", "uuid")


@cache
def _keyed_statement(name: str, order: tuple[str, ...]) -> sa.Select[Any]:
    """``find``'s statement for ``name = ANY(:values)``, built once per key and order and run on the
    driver: SQLAlchemy's result rows and type processing of a 500-row batch cost more CPU than the
    query (the dispatcher reads each batch back to record it, the reports read theirs). The
    values pass the same bind and result processors, so the communications are the same."""
    column = _c[name]
    values = sa.bindparam("values", type_=postgresql.ARRAY(column.type))
    return (
        sa.select(communications)
        .where(column == sa.any_(values))
        .order_by(*_ordering(communications, order))
        .limit(sa.bindparam("limit", type_=sa.Integer))
    )


def _ordering(table: sa.Table, order: tuple[str, ...]) -> list[sa.ColumnElement[Any]]:
    clauses: list[sa.ColumnElement[Any]] = []
    for name in order:
        column = table.c[name.lstrip("-")]
        clause = column.desc() if name.startswith("-") else column.asc()
        # NULLS LAST only where NULLs can be: on a NOT NULL column the plain order is what
        # lets PostgreSQL walk an index backwards for a descending sort.
        clauses.append(clause.nulls_last() if column.nullable else clause)
    return clauses


def _after(order: tuple[str, ...], after: Keyset) -> sa.ColumnElement[bool]:
    first = order[0]
    column = _c[first.lstrip("-")]
    descending = first.startswith("-")
    if column is _c.id:
        return _c.id < after.id if descending else _c.id > after.id
    # (column, id) beyond (value, id), spelt out so that both databases bound the index scan
    # by the leading `column <= value` (or >=) and only filter the tie on id.
    if descending:
        return sa.and_(column <= after.value, sa.or_(column < after.value, _c.id < after.id))
    return sa.and_(column >= after.value, sa.or_(column > after.value, _c.id > after.id))


class _conflicts:  # noqa: N801 - used like a function: `async with _conflicts(...)`
    """Turns a unique constraint the database caught into a Conflict with a readable message."""

    def __init__(self, message: str) -> None:
        self._message = message

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, exc_type: object, exc: BaseException | None, tb: object) -> bool:
        if isinstance(exc, IntegrityError):
            detail = str(exc.orig).splitlines()[0][:200] if exc.orig is not None else "constraint violated"
            raise Conflict(f"{self._message}: {detail}") from exc
        return False
