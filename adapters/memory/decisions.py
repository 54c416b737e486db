"""The decision log in memory: the fake twin of adapters/sqlalchemy/decisions.py."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from adapters.memory.communications import CommunicationTables, MemoryCommunications
from adapters.memory.stats import ZoneOf
from application.decisions.ports import (
    DecisionRecord,
    ImportReferences,
    LoggedOutcome,
    OutcomeKey,
    StatsScope,
    StoredReferences,
)
from domain.communications import Communication
from domain.decisions.counting import moment_of
from domain.decisions.evaluation import OutcomeSums
from domain.decisions.measures import Measure, counts, is_delivered, is_response


class MemoryHistoryImport:
    """Past communications in bulk: in memory, the repository's own add_many."""

    def __init__(self, communications: MemoryCommunications, tables: Mapping[str, Any]) -> None:
        self._communications = communications
        self._tables = tables

    async def stored(self, asked: ImportReferences) -> StoredReferences:
        def among(table: str, ids: frozenset[int]) -> frozenset[int]:
            return frozenset(i for i in ids if i in self._tables[table].rows)

        code_of = {p.id: p.code for p in self._tables["projects"].rows.values()}
        by_key = {
            (code_of[c.project_id], c.guid): c.id
            for c in self._tables["clients"].rows.values()
            if c.project_id in code_of and c.guid is not None
        }
        return StoredReferences(
            type_ids=among("communication_types", asked.type_ids),
            channel_ids=among("channels", asked.channel_ids),
            employee_ids=among("employees", asked.employee_ids),
            department_ids=among("departments", asked.department_ids),
            client_ids=among("clients", asked.client_ids),
            client_by_key={key: by_key[key] for key in asked.client_keys if key in by_key},
            uuids=frozenset(
                [u for u in asked.uuids if await self._communications.get_by_uuid(u) is not None]
            ),
        )

    async def write(self, items: Iterable[Communication], actor: str | None, at_most: int) -> int:
        taken = list(items)
        for communication in taken:
            communication.history = communication.imported_history(actor)
        await self._communications.add_many(taken)
        return len(taken)


class MemoryDecisionLog:
    def __init__(
        self,
        tables: Callable[[], CommunicationTables],
        zone_of: ZoneOf,
        memberships: Callable[[], Mapping[int, frozenset[int]]],
    ) -> None:
        self._tables = tables
        self._zone_of = zone_of
        self._memberships = memberships

    async def add_many(self, records: list[DecisionRecord]) -> None:
        # Newly created communications have not ended: the aggregate counts them when they do.
        self._tables().decisions.update({r.communication_id: r for r in records})

    async def outcome_sums(self, scope: StatsScope) -> dict[str, OutcomeSums]:
        members = self._members(scope)
        found: dict[str, OutcomeSums] = {}
        for key, sums in self._tables().outcomes.items():
            # The stored keys have 0 for no department or employee; a scope never asks for 0.
            if _in_scope(scope, members, key[:6]):
                found[key[6]] = found.get(key[6], OutcomeSums()) + sums
        return found

    async def rebuild(self) -> int:
        tables = self._tables()
        tables.outcomes = {}
        ended = [tables.rows[i] for i in sorted(tables.decisions) if i in tables.rows]
        tables.move_outcomes([(None, c) for c in ended], self._zone_of)
        return sum(1 for c in ended if counts(c.status))

    async def snapshot(self) -> list[tuple[OutcomeKey, OutcomeSums]]:
        return sorted(self._tables().outcomes.items(), key=lambda item: item[0])

    async def of(self, communication_id: int) -> DecisionRecord | None:
        return self._tables().decisions.get(communication_id)

    async def of_many(self, communication_ids: Sequence[int]) -> dict[int, DecisionRecord]:
        found = self._tables().decisions
        return {i: found[i] for i in communication_ids if i in found}

    def _members(self, scope: StatsScope) -> set[int] | None:
        if not scope.group_ids:
            return None
        memberships = self._memberships()
        return set().union(*(memberships.get(g, frozenset()) for g in scope.group_ids))

    async def outcomes(self, scope: StatsScope) -> list[LoggedOutcome]:
        tables = self._tables()
        members = self._members(scope)
        found = []
        for communication_id, record in sorted(tables.decisions.items()):
            c = tables.rows[communication_id]
            if not counts(c.status):
                continue
            day = moment_of(c).astimezone(ZoneInfo(self._zone_of(c) or "UTC")).date()
            keys = (c.client_id or 0, c.type_id, c.channel_id, c.department_id, c.employee_id, day)
            if not _in_scope(scope, members, keys):
                continue
            success = is_response if record.objective == Measure.RESPONSE.value else is_delivered
            found.append(
                LoggedOutcome(
                    mode=record.mode,
                    reward=int(success(c.status, c.delivery_status)),
                    propensity=record.propensity,
                    matches_rule=record.matches_rule,
                    predicted_chosen=record.predicted_chosen,
                    predicted_rule=record.predicted_rule,
                )
            )
        return found


def _in_scope(scope: StatsScope, members: set[int] | None, keys: tuple[Any, ...]) -> bool:
    """Whether (client, type, channel, department, employee, local day) lies in the scope."""
    client_id, type_id, channel_id, department_id, employee_id, day = keys
    wanted = (
        (scope.client_id, client_id),
        (scope.type_id, type_id),
        (scope.channel_id, channel_id),
        (scope.department_id, department_id),
        (scope.employee_id, employee_id),
    )
    if any(asked is not None and asked != value for asked, value in wanted):
        return False
    if members is not None and client_id not in members:
        return False
    return not (
        (scope.since is not None and day < scope.since) or (scope.until is not None and day > scope.until)
    )
