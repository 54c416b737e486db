"""Survey answers in SQL, and their counters (per client x local day x department x channel x type)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy.stats import _insert, zones
from adapters.sqlalchemy.tables import client_group_members, metadata
from adapters.sqlalchemy.types import UtcDateTime
from application.decisions.ports import StatsScope, SurveyCount
from domain.communications import Communication
from domain.communications.surveys import MAX_TEXT, SurveyAnswer
from domain.decisions.counting import moment_of

survey_responses = sa.Table(
    "survey_responses",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "communication_id",
        sa.Integer,
        sa.ForeignKey("communications.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("client_id", sa.Integer, nullable=True),
    sa.Column("question", sa.String(MAX_TEXT), nullable=False),
    sa.Column("answer", sa.String(MAX_TEXT), nullable=False),
    sa.Column("create_time", UtcDateTime, nullable=False),
    sqlite_autoincrement=True,
)

stats_survey_days = sa.Table(
    "stats_survey_days",
    metadata,
    sa.Column("client_id", sa.Integer, primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("department_id", sa.Integer, primary_key=True),
    sa.Column("channel_id", sa.Integer, primary_key=True),
    sa.Column("type_id", sa.Integer, primary_key=True),
    sa.Column("question", sa.String(MAX_TEXT), primary_key=True),
    sa.Column("answer", sa.String(MAX_TEXT), primary_key=True),
    sa.Column("count", sa.Integer, nullable=False),
)
"""0 stands for no client or no department: keys are never null."""

_KEY = ("client_id", "day", "department_id", "channel_id", "type_id", "question", "answer")
Key = tuple[int, date, int, int, int, str, str]


def local_day(communication: Communication, zone: str | None) -> date:
    return moment_of(communication).astimezone(ZoneInfo(zone or "UTC")).date()


def key_of(communication: Communication, zone: str | None, answer: SurveyAnswer) -> Key:
    return (
        communication.client_id or 0,
        local_day(communication, zone),
        communication.department_id or 0,
        communication.channel_id,
        communication.type_id,
        answer.question,
        answer.answer,
    )


async def _count(conn: AsyncConnection, deltas: Counter[Key]) -> None:
    rows = [{**dict(zip(_KEY, k, strict=True)), "count": n} for k, n in deltas.items() if n]
    if not rows:
        return
    statement = _insert(conn, stats_survey_days)
    statement = statement.on_conflict_do_update(
        index_elements=list(_KEY), set_={"count": stats_survey_days.c["count"] + statement.excluded["count"]}
    )
    await conn.execute(statement, rows)
    if any(n < 0 for n in deltas.values()):
        await conn.execute(stats_survey_days.delete().where(stats_survey_days.c["count"] <= 0))


async def forget(conn: AsyncConnection, communications: Iterable[Communication]) -> None:
    """Takes the answers of communications about to be deleted out of the counters."""
    items = {c.id: c for c in communications if c.id is not None}
    if not items:
        return
    zone_of = await zones(conn, items.values())
    found = await conn.execute(
        sa.select(
            survey_responses.c.communication_id, survey_responses.c.question, survey_responses.c.answer
        ).where(survey_responses.c.communication_id.in_(list(items)))
    )
    deltas: Counter[Key] = Counter()
    for row in found:
        c = items[row.communication_id]
        deltas[key_of(c, zone_of(c), SurveyAnswer(row.question, row.answer))] -= 1
    await _count(conn, deltas)
    # Explicitly, as the other children of a communication: wherever foreign keys are off too.
    await conn.execute(survey_responses.delete().where(survey_responses.c.communication_id.in_(list(items))))


class SqlSurveyResponses:
    """The SurveyResponseRepository over ``survey_responses`` and ``stats_survey_days``."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._conn = connection

    async def add_many(self, communication: Communication, answers: list[SurveyAnswer]) -> int:
        if not answers:
            return 0
        now = datetime.now(UTC)
        await self._conn.execute(
            survey_responses.insert(),
            [
                {
                    "communication_id": communication.id,
                    "client_id": communication.client_id,
                    "question": a.question,
                    "answer": a.answer,
                    "create_time": now,
                }
                for a in answers
            ],
        )
        zone = (await zones(self._conn, [communication]))(communication)
        await _count(self._conn, Counter(key_of(communication, zone, a) for a in answers))
        return len(answers)

    async def of(self, communication_id: int) -> list[SurveyAnswer]:
        s = survey_responses.c
        rows = await self._conn.execute(
            sa.select(s.question, s.answer).where(s.communication_id == communication_id).order_by(s.id)
        )
        return [SurveyAnswer(row.question, row.answer) for row in rows]

    async def counts(self, scope: StatsScope) -> list[SurveyCount]:
        c = stats_survey_days.c
        statement: Any = (
            sa.select(c.question, c.answer, sa.func.sum(c["count"]).label("n"))
            .group_by(c.question, c.answer)
            .order_by(c.question, sa.func.sum(c["count"]).desc(), c.answer)
        )
        if scope.client_id is not None:
            statement = statement.where(c.client_id == scope.client_id)
        if scope.group_ids:
            members = sa.select(client_group_members.c.client_id).where(
                client_group_members.c.group_id.in_(scope.group_ids)
            )
            statement = statement.where(c.client_id.in_(members))
        for name in ("type_id", "channel_id", "department_id"):
            if getattr(scope, name) is not None:
                statement = statement.where(c[name] == getattr(scope, name))
        if scope.since is not None:
            statement = statement.where(c.day >= scope.since)
        if scope.until is not None:
            statement = statement.where(c.day <= scope.until)
        if scope.employee_id is not None:
            return []  # answers are the client's, not an employee's: no employee figures
        return [
            SurveyCount(row.question, row.answer, int(row.n)) for row in await self._conn.execute(statement)
        ]

    async def rebuild(self) -> int:
        from adapters.sqlalchemy.communications import communications

        await self._conn.execute(stats_survey_days.delete())
        s = survey_responses.c
        rows = (
            await self._conn.execute(
                sa.select(communications, s.question, s.answer).join(
                    communications, communications.c.id == s.communication_id
                )
            )
        ).all()
        items: dict[int, Communication] = {}
        for row in rows:
            if row.id not in items:
                communication = Communication.__new__(Communication)
                communication.__dict__.update(
                    {k: v for k, v in row._mapping.items() if k not in ("question", "answer")}
                )
                items[row.id] = communication
        zone_of = await zones(self._conn, items.values())
        deltas: Counter[Key] = Counter(
            key_of(items[row.id], zone_of(items[row.id]), SurveyAnswer(row.question, row.answer))
            for row in rows
        )
        await _count(self._conn, deltas)
        return len(rows)
