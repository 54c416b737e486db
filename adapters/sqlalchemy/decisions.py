"""The decision log in SQL: what an automatic send decided for each communication it created."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy.stats import zones
from adapters.sqlalchemy.surveys import local_day
from adapters.sqlalchemy.tables import client_group_members, metadata
from adapters.sqlalchemy.types import JsonList, UtcDateTime
from application.decisions.ports import DecisionRecord, LoggedOutcome, StatsScope
from domain.communications import Communication, LifecycleStatus
from domain.decisions.measures import Measure, is_delivered, is_response

communication_decisions = sa.Table(
    "communication_decisions",
    metadata,
    sa.Column(
        "communication_id",
        sa.Integer,
        sa.ForeignKey("communications.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
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


def _record(row: sa.RowMapping) -> DecisionRecord:
    return DecisionRecord(**{**{k: row[k] for k in _FIELDS}, "channel_ids": tuple(row["channel_ids"] or ())})


class SqlDecisionLog:
    """The DecisionLog over ``communication_decisions``."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._conn = connection

    async def add_many(self, records: list[DecisionRecord]) -> None:
        if records:
            await self._conn.execute(
                communication_decisions.insert(), [{k: getattr(r, k) for k in _FIELDS} for r in records]
            )

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
        if scope.client_id is not None:
            statement = statement.where(c.client_id == scope.client_id)
        if scope.group_ids:
            members = sa.select(client_group_members.c.client_id).where(
                client_group_members.c.group_id.in_(scope.group_ids)
            )
            statement = statement.where(c.client_id.in_(members))
        for name, column in (
            ("type_id", c.type_id),
            ("channel_id", c.channel_id),
            ("department_id", c.department_id),
            ("employee_id", c.employee_id),
        ):
            if getattr(scope, name) is not None:
                statement = statement.where(column == getattr(scope, name))
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
        items = []
        for row in rows:
            communication = Communication.__new__(Communication)
            communication.__dict__.update({k: row._mapping[k] for k in row._mapping if k in fields})
            items.append((communication, row))
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
