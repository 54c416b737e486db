"""Survey answers in memory: the fake twin of adapters/sqlalchemy/surveys.py."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from zoneinfo import ZoneInfo

from adapters.memory.communications import CommunicationTables
from adapters.memory.stats import ZoneOf
from application.decisions.ports import StatsScope, SurveyCount
from domain.communications import Communication
from domain.communications.surveys import SurveyAnswer
from domain.decisions.counting import moment_of


class MemorySurveyResponses:
    def __init__(
        self,
        tables: Callable[[], CommunicationTables],
        zone_of: ZoneOf,
        memberships: Callable[[], Mapping[int, frozenset[int]]],
    ) -> None:
        self._tables = tables
        self._zone_of = zone_of
        self._memberships = memberships

    async def add_many(self, communication: Communication, answers: list[SurveyAnswer]) -> int:
        assert communication.id is not None
        tables = self._tables()
        tables.survey_answers += tuple((communication.id, a) for a in answers)
        return len(answers)

    async def of(self, communication_id: int) -> list[SurveyAnswer]:
        return [a for c, a in self._tables().survey_answers if c == communication_id]

    async def counts(self, scope: StatsScope) -> list[SurveyCount]:
        # The fake counts from the answers themselves; the SQL adapter reads its counters.
        if scope.employee_id is not None:
            return []
        tables = self._tables()
        members: set[int] | None = None
        if scope.group_ids:
            memberships = self._memberships()
            members = set().union(*(memberships.get(g, frozenset()) for g in scope.group_ids))
        found: Counter[tuple[str, str]] = Counter()
        for communication_id, answer in tables.survey_answers:
            c = tables.rows[communication_id]
            day = moment_of(c).astimezone(ZoneInfo(self._zone_of(c) or "UTC")).date()
            if scope.client_id is not None and c.client_id != scope.client_id:
                continue
            if members is not None and c.client_id not in members:
                continue
            if (scope.since is not None and day < scope.since) or (
                scope.until is not None and day > scope.until
            ):
                continue
            wanted = (
                (scope.type_id, c.type_id),
                (scope.channel_id, c.channel_id),
                (scope.department_id, c.department_id),
            )
            if any(asked is not None and asked != value for asked, value in wanted):
                continue
            found[(answer.question, answer.answer)] += 1
        return [
            SurveyCount(q, a, n)
            for (q, a), n in sorted(found.items(), key=lambda i: (i[0][0], -i[1], i[0][1]))
        ]

    async def rebuild(self) -> int:
        return len(self._tables().survey_answers)
