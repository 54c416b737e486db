"""The decision log in SQL: what an automatic send decided for each communication it created."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy.bulk import among
from adapters.sqlalchemy.stats import zones
from adapters.sqlalchemy.surveys import local_day
from adapters.sqlalchemy.tables import client_group_members, metadata
from adapters.sqlalchemy.types import JsonList, UtcDateTime
from application.decisions.outcomes import deltas, ended_outcome
from application.decisions.ports import DecisionRecord, LoggedOutcome, OutcomeKey, StatsScope
from domain.communications import Communication, LifecycleStatus
from domain.decisions.evaluation import OutcomeSums
from domain.decisions.measures import Measure, counts, is_delivered, is_response

communication_decisions = sa.Table(
    "communication_decisions",
    metadata,
    # No foreign key (0024): the row is written with its communication, in one transaction, and
    # SqlCommunications.delete removes it explicitly; a key check would cost a lookup and a row
    # lock per row of an auto send.
    sa.Column("communication_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("mode", sa.String(16), nullable=False),
    sa.Column("objective", sa.String(16), nullable=False),
    sa.Column("propensity", sa.Float, nullable=False),
    sa.Column("matches_rule", sa.Boolean, nullable=False),
    sa.Column("rule_channel_id", sa.Integer, nullable=False),
    sa.Column("rule_at", UtcDateTime, nullable=False),
    sa.Column("predicted_chosen", sa.Float, nullable=False),
    sa.Column("predicted_rule", sa.Float, nullable=False),
    sa.Column("explanation", sa.Text, nullable=False),
    sa.Column("create_time", UtcDateTime, nullable=False),
    sa.Column("channel_ids", JsonList(), nullable=False, server_default="[]"),
)
_FIELDS = tuple(c.name for c in communication_decisions.columns)

_KEY = ("client_id", "type_id", "channel_id", "department_id", "employee_id", "day", "mode")
_SUMS = ("outcomes", "logged", "rewards", "inverse", "inverse_squares", "robust", "robust_squares")
decision_outcomes = sa.Table(
    "decision_outcomes",
    metadata,
    *(sa.Column(name, sa.Integer, primary_key=True, autoincrement=False) for name in _KEY[:5]),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("mode", sa.String(16), primary_key=True),
    sa.Column("outcomes", sa.Integer, nullable=False),
    sa.Column("logged", sa.Integer, nullable=False),
    *(sa.Column(name, sa.Float, nullable=False) for name in _SUMS[2:]),
)
"""Ended auto decisions summed by client x type x channel x department x employee x local day x
mode (``application.decisions.outcomes``): ``/stats/auto`` adds rows up, never reads the log."""


def _insert(conn: AsyncConnection, table: sa.Table) -> Any:
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


async def _add_sums(conn: AsyncConnection, changes: dict[OutcomeKey, OutcomeSums]) -> None:
    if not changes:
        return
    rows = [
        {**dict(zip(_KEY, key, strict=True)), **dict(zip(_SUMS, sums.values(), strict=True))}
        for key, sums in changes.items()
    ]
    statement = _insert(conn, decision_outcomes)
    statement = statement.on_conflict_do_update(
        index_elements=list(_KEY),
        set_={name: decision_outcomes.c[name] + statement.excluded[name] for name in _SUMS},
    )
    await conn.execute(statement, rows)
    if any(sums.outcomes < 0 for sums in changes.values()):
        # Emptied keys go, as a rebuild would not have them.
        await conn.execute(decision_outcomes.delete().where(decision_outcomes.c.outcomes == 0))


Change = tuple[Communication | None, Communication | None]
_CHUNK = 5_000


async def move_outcomes(conn: AsyncConnection, changes: Sequence[Change]) -> None:
    """Moves the aggregate by communications' outcome changes, (before, after) with None for
    added or deleted; in the caller's transaction. Reads the log only when one of them has ended."""
    ended = [
        (old, new)
        for old, new in changes
        if (old is not None and counts(old.status)) or (new is not None and counts(new.status))
    ]
    if not ended:
        return
    ids = sorted({c.id or 0 for pair in ended for c in pair if c is not None})
    d = communication_decisions.c
    records = {}
    for start in range(0, len(ids), _CHUNK):  # under the drivers' bound-parameter limits
        chosen = sa.select(*(d[name] for name in _LOGGED)).where(
            among(d.communication_id, ids[start : start + _CHUNK], conn.dialect)  # one array on PostgreSQL
        )
        records.update({row.communication_id: row for row in await conn.execute(chosen)})
    if not records:
        return
    involved = [c for pair in ended for c in pair if c is not None and c.id in records]
    zone_of = await zones(conn, involved)
    removed: list[tuple[OutcomeKey, OutcomeSums]] = []
    added: list[tuple[OutcomeKey, OutcomeSums]] = []
    for old, new in ended:
        for side, found in ((old, removed), (new, added)):
            if side is not None and side.id in records:
                outcome = ended_outcome(records[side.id], side, zone_of(side))
                if outcome is not None:
                    found.append(outcome)
    await _add_sums(conn, deltas(removed, added))


_LOGGED = (
    "communication_id",
    "mode",
    "objective",
    "propensity",
    "matches_rule",
    "predicted_chosen",
    "predicted_rule",
)


def _scoped(statement: Any, columns: Any, scope: StatsScope) -> Any:
    """``statement`` narrowed to the scope's client, group and keys (both tables name them alike)."""
    if scope.client_id is not None:
        statement = statement.where(columns.client_id == scope.client_id)
    if scope.group_ids:
        members = sa.select(client_group_members.c.client_id).where(
            client_group_members.c.group_id.in_(scope.group_ids)
        )
        statement = statement.where(columns.client_id.in_(members))
    for name in ("type_id", "channel_id", "department_id", "employee_id"):
        if getattr(scope, name) is not None:
            statement = statement.where(columns[name] == getattr(scope, name))
    return statement


def _communication_of(row: Any, fields: frozenset[str]) -> Communication:
    communication = Communication.__new__(Communication)
    communication.__dict__.update({k: row._mapping[k] for k in row._mapping if k in fields})
    return communication


def _record(row: sa.RowMapping) -> DecisionRecord:
    return DecisionRecord(**{**{k: row[k] for k in _FIELDS}, "channel_ids": tuple(row["channel_ids"] or ())})


class SqlDecisionLog:
    """The DecisionLog over ``communication_decisions``."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._conn = connection

    async def add_many(self, records: list[DecisionRecord]) -> None:
        # Newly created communications have not ended: the aggregate counts them when they do.
        if records:
            await self._conn.execute(
                communication_decisions.insert(), [{k: getattr(r, k) for k in _FIELDS} for r in records]
            )

    async def outcome_sums(self, scope: StatsScope) -> dict[str, OutcomeSums]:
        o = decision_outcomes.c
        statement: Any = sa.select(o.mode, *(sa.func.sum(o[name]) for name in _SUMS)).group_by(o.mode)
        statement = _scoped(statement, o, scope)
        if scope.since is not None:
            statement = statement.where(o.day >= scope.since)
        if scope.until is not None:
            statement = statement.where(o.day <= scope.until)
        rows = (await self._conn.execute(statement)).all()
        return {row[0]: _sums(row[1:]) for row in rows}

    async def rebuild(self) -> int:
        from adapters.sqlalchemy.communications import communications

        await self._conn.execute(decision_outcomes.delete())
        d, c = communication_decisions.c, communications.c
        rows = (
            await self._conn.execute(
                sa.select(communications, *(d[name] for name in _LOGGED[1:]))
                .join(communications, c.id == d.communication_id)
                .where(c.status.in_([LifecycleStatus.DONE, LifecycleStatus.FAILED]))
            )
        ).all()
        fields = frozenset(col.name for col in communications.columns)
        items = [(_communication_of(row, fields), row) for row in rows]
        zone_of = await zones(self._conn, [i for i, _ in items])
        found = [ended_outcome(row, item, zone_of(item)) for item, row in items]
        await _add_sums(self._conn, deltas([], [f for f in found if f is not None]))
        return len(items)

    async def snapshot(self) -> list[tuple[OutcomeKey, OutcomeSums]]:
        rows = await self._conn.execute(sa.select(decision_outcomes).order_by(*decision_outcomes.c[_KEY]))
        return [(tuple(row[: len(_KEY)]), _sums(row[len(_KEY) :])) for row in rows]

    async def of(self, communication_id: int) -> DecisionRecord | None:
        return (await self.of_many([communication_id])).get(communication_id)

    async def of_many(self, communication_ids: Sequence[int]) -> dict[int, DecisionRecord]:
        if not communication_ids:
            return {}
        d = communication_decisions.c
        rows = await self._conn.execute(
            sa.select(communication_decisions).where(d.communication_id.in_(list(communication_ids)))
        )
        return {row.communication_id: _record(row._mapping) for row in rows}

    async def outcomes(self, scope: StatsScope) -> list[LoggedOutcome]:
        from adapters.sqlalchemy.communications import communications

        d, c = communication_decisions.c, communications.c
        statement: Any = (
            sa.select(
                communications,
                d.mode,
                d.objective,
                d.propensity,
                d.matches_rule,
                d.predicted_chosen,
                d.predicted_rule,
            )
            .join(communications, c.id == d.communication_id)
            .where(c.status.in_([LifecycleStatus.DONE, LifecycleStatus.FAILED]))
        )
        statement = _scoped(statement, c, scope)
        moment = sa.func.coalesce(c.started_at, c.scheduled_at, c.create_time)
        # Local days: a day's margin in SQL, the exact local day below.
        if scope.since is not None:
            first = datetime.combine(scope.since - timedelta(days=1), time(), UTC)
            statement = statement.where(moment >= sa.literal(first, UtcDateTime))
        if scope.until is not None:
            last = datetime.combine(scope.until + timedelta(days=2), time(), UTC)
            statement = statement.where(moment < sa.literal(last, UtcDateTime))
        rows = (await self._conn.execute(statement)).all()
        fields = frozenset(col.name for col in communications.columns)
        items = [(_communication_of(row, fields), row) for row in rows]
        zone_of = await zones(self._conn, [c for c, _ in items])
        found = []
        for communication, row in items:
            if scope.since is not None or scope.until is not None:
                day = local_day(communication, zone_of(communication))
                if (scope.since is not None and day < scope.since) or (
                    scope.until is not None and day > scope.until
                ):
                    continue
            success = is_response if row.objective == Measure.RESPONSE.value else is_delivered
            found.append(
                LoggedOutcome(
                    mode=row.mode,
                    reward=int(success(communication.status, communication.delivery_status)),
                    propensity=row.propensity,
                    matches_rule=row.matches_rule,
                    predicted_chosen=row.predicted_chosen,
                    predicted_rule=row.predicted_rule,
                )
            )
        return found


def _sums(values: Sequence[Any]) -> OutcomeSums:
    outcomes, logged, rewards, *rest = (v or 0 for v in values)
    return OutcomeSums(int(outcomes), int(logged), float(rewards), *(float(v) for v in rest))
