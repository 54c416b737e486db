"""Communications in memory: the fake twin of adapters/sqlalchemy/communications.py.

Rows are kept without their history, which lives beside them as immutable tuples, exactly as
the SQL tables split them; the contract tests hold both to the same answers.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from adapters.memory.matching import matches
from adapters.memory.stats import Counters, ZoneOf, contributions
from application.communications.ports import Keyset, total_order
from application.decisions.outcomes import deltas, ended_outcome
from application.decisions.ports import DecisionRecord, OutcomeKey
from application.queries import Condition, Criterion, Op, Query
from domain.communications import Communication, IdTranslation, StatusChange
from domain.communications.surveys import SurveyAnswer
from domain.decisions.evaluation import OutcomeSums
from domain.errors import Conflict, NotFound

Memberships = Callable[[], Mapping[int, frozenset[int]]]


class CommunicationTables:
    """Everything stored about communications; the unit of work copies it per transaction."""

    def __init__(self) -> None:
        self.rows: dict[int, Communication] = {}
        self.by_uuid: dict[str, int] = {}
        self.history: dict[int, tuple[StatusChange, ...]] = {}
        self.translations: dict[int, IdTranslation] = {}
        self.next_id = 1
        self.next_translation_id = 1
        self.counters = Counters()
        self.survey_answers: tuple[tuple[int, SurveyAnswer], ...] = ()
        self.decisions: dict[int, DecisionRecord] = {}
        """(communication id, answer), in the order stored; an immutable tuple, copied by reference."""
        self.outcomes: dict[OutcomeKey, OutcomeSums] = {}
        """Ended auto decisions summed by key (application.decisions.outcomes)."""

    def move_outcomes(
        self, changes: Sequence[tuple[Communication | None, Communication | None]], zone_of: ZoneOf
    ) -> None:
        """Moves the outcome aggregate by (before, after) pairs of communications with decisions."""
        removed: list[tuple[OutcomeKey, OutcomeSums]] = []
        added: list[tuple[OutcomeKey, OutcomeSums]] = []
        for old, new in changes:
            for side, found in ((old, removed), (new, added)):
                record = None if side is None else self.decisions.get(side.id or 0)
                if side is not None and record is not None:
                    outcome = ended_outcome(record, side, zone_of(side))
                    if outcome is not None:
                        found.append(outcome)
        for key, change in deltas(removed, added).items():
            total = self.outcomes.get(key, OutcomeSums()) + change
            if total.outcomes:
                self.outcomes[key] = total
            else:
                self.outcomes.pop(key, None)

    def copy(self) -> CommunicationTables:
        # Shallow copies suffice: rows are replaced, never changed in place, and history
        # entries are frozen tuples.
        clone = CommunicationTables()
        clone.rows = dict(self.rows)
        clone.by_uuid = dict(self.by_uuid)
        clone.history = dict(self.history)
        clone.translations = dict(self.translations)
        clone.next_id = self.next_id
        clone.next_translation_id = self.next_translation_id
        clone.counters = self.counters.copy()
        clone.survey_answers = self.survey_answers
        clone.decisions = dict(self.decisions)
        clone.outcomes = dict(self.outcomes)
        return clone


def _detached(communication: Communication) -> Communication:
    stored = copy.copy(communication)
    stored.history = []
    return copy.deepcopy(stored)


class MemoryCommunications:
    def __init__(
        self, tables: CommunicationTables, memberships: Memberships, zone_of: ZoneOf = lambda _: None
    ) -> None:
        self._t = tables
        self._zone_of = zone_of
        self._memberships = memberships
        self._relations = {"client_group_id": self._in_group}
        # id(entity) -> (entity, how many of its history entries are stored): the identity
        # map that lets `update` write only the entries appended since loading.
        self._seen: dict[int, tuple[Communication, int]] = {}

    # -- writing -----------------------------------------------------------------------------

    async def add(self, communication: Communication, *, keep_id: bool = False) -> Communication:
        """Store it with the next id, or (``keep_id``) with the id taken for it ahead."""
        if communication.uuid in self._t.by_uuid:
            raise Conflict(f"a communication with uuid {communication.uuid} already exists")
        if keep_id:
            assert communication.id is not None and communication.id < self._t.next_id, "an id taken ahead"
            if communication.id in self._t.rows:
                raise Conflict(f"a communication with id {communication.id} already exists")
        else:
            communication.id = self._t.next_id
            self._t.next_id += 1
        self._t.rows[communication.id] = _detached(communication)
        self._t.by_uuid[communication.uuid] = communication.id
        self._t.history[communication.id] = tuple(communication.history)
        self._t.counters.apply([], contributions([communication], self._zone_of))
        self._track(communication)
        return communication

    async def add_many(
        self, communications: Sequence[Communication], *, keep_ids: bool = False
    ) -> list[Communication]:
        uuids = [c.uuid for c in communications]
        taken = sorted({u for u in uuids if u in self._t.by_uuid} | {u for u in uuids if uuids.count(u) > 1})
        if taken:
            raise Conflict(f"communications with uuid {', '.join(taken)} already exist")
        return [await self.add(c, keep_id=keep_ids) for c in communications]

    def take_ids(self, count: int) -> list[int]:
        """``count`` ids for communications stored later with them (``keep_ids``)."""
        start = self._t.next_id
        self._t.next_id += count
        return list(range(start, start + count))

    async def update(self, communication: Communication) -> None:
        stored = self._stored_history(communication)
        if communication.id not in self._t.rows:
            raise NotFound("communication", communication.id)
        self._t.counters.apply(
            contributions([self._t.rows[communication.id]], self._zone_of),
            contributions([communication], self._zone_of),
        )
        self._t.move_outcomes([(self._t.rows[communication.id], communication)], self._zone_of)
        self._t.rows[communication.id] = _detached(communication)
        self._t.history[communication.id] += tuple(communication.history[stored:])
        self._track(communication)

    async def update_many(self, communications: Sequence[Communication]) -> None:
        for communication in communications:
            await self.update(communication)

    async def delete(self, communication_id: int) -> None:
        row = self._t.rows.pop(communication_id, None)
        if row is None:
            return
        self._t.counters.apply(contributions([row], self._zone_of), [])
        self._t.move_outcomes([(row, None)], self._zone_of)
        self._t.survey_answers = tuple(a for a in self._t.survey_answers if a[0] != communication_id)
        self._t.decisions.pop(communication_id, None)
        del self._t.by_uuid[row.uuid]
        del self._t.history[communication_id]
        for key in [k for k, v in self._t.translations.items() if v.communication_id == communication_id]:
            del self._t.translations[key]

    # -- reading -----------------------------------------------------------------------------

    async def get(self, communication_id: int) -> Communication | None:
        row = self._t.rows.get(communication_id)
        return None if row is None else self._loaded(row)

    async def get_by_uuid(self, uuid: str) -> Communication | None:
        communication_id = self._t.by_uuid.get(uuid)
        return None if communication_id is None else await self.get(communication_id)

    async def find(self, query: Query, after: Keyset | None = None) -> list[Communication]:
        order = total_order(query.order_by)
        found = [c for c in self._t.rows.values() if self._matches_all(c, query.criteria)]
        if after is not None:
            found = [c for c in found if _comes_after(c, order, after)]
        found = _sorted(found, order)
        return [self._loaded(c) for c in found[query.offset : query.offset + query.limit]]

    async def count(self, *criteria: Criterion) -> int:
        return sum(1 for c in self._t.rows.values() if self._matches_all(c, criteria))

    async def history(self, communication_id: int) -> list[StatusChange]:
        return list(self._t.history.get(communication_id, ()))

    # -- id translations ---------------------------------------------------------------------

    async def add_translation(self, translation: IdTranslation) -> IdTranslation:
        if translation.communication_id not in self._t.rows:
            # What the foreign key answers in SQL.
            raise Conflict(f"the id translation names no stored communication {translation.communication_id}")
        for other in self._t.translations.values():
            if (other.system, other.external_id) == (translation.system, translation.external_id):
                raise Conflict(
                    f"{translation.system} id {translation.external_id!r} already names "
                    f"communication {other.communication_uuid}"
                )
            if (other.communication_id, other.system) == (translation.communication_id, translation.system):
                raise Conflict(
                    f"communication {other.communication_uuid} already has a {translation.system} id: "
                    f"{other.external_id!r}"
                )
        translation.id = self._t.next_translation_id
        self._t.next_translation_id += 1
        self._t.translations[translation.id] = copy.deepcopy(translation)
        return translation

    async def find_translations(self, query: Query) -> list[IdTranslation]:
        found = [t for t in self._t.translations.values() if self._matches_all(t, query.criteria)]
        found = _sorted(found, total_order(query.order_by or ("id",)))
        return [copy.deepcopy(t) for t in found[query.offset : query.offset + query.limit]]

    async def count_translations(self, *criteria: Criterion) -> int:
        return sum(1 for t in self._t.translations.values() if self._matches_all(t, criteria))

    # -- internals ---------------------------------------------------------------------------

    def _loaded(self, row: Communication) -> Communication:
        communication = copy.deepcopy(row)
        self._track(communication)
        return communication

    def _track(self, communication: Communication) -> None:
        self._seen[id(communication)] = (communication, len(communication.history))

    def _stored_history(self, communication: Communication) -> int:
        tracked = self._seen.get(id(communication))
        if tracked is None or tracked[0] is not communication:
            raise ValueError("update a communication added or loaded through this unit of work")
        return tracked[1]

    def _matches_all(self, item: Any, criteria: Iterable[Criterion]) -> bool:
        return all(matches(item, c, self._relations) for c in criteria)

    def _in_group(self, communication: Communication, condition: Condition) -> bool:
        if condition.op not in (Op.EQ, Op.IN):
            raise ValueError(f"unsupported operator {condition.op} on client_group_id")
        groups: set[Any] = {condition.value} if condition.op is Op.EQ else set(condition.value)  # type: ignore[call-overload]
        memberships = self._memberships()
        return any(communication.client_id in memberships.get(g, frozenset()) for g in groups)


def _sorted(items: list[Any], order: tuple[str, ...]) -> list[Any]:
    # Stable sorts from the last key to the first; NULLs last whatever the direction, as in SQL.
    for name in reversed(order):
        attribute = name.lstrip("-")
        present = [i for i in items if getattr(i, attribute) is not None]
        missing = [i for i in items if getattr(i, attribute) is None]
        present.sort(key=lambda i, a=attribute: getattr(i, a), reverse=name.startswith("-"))  # type: ignore[misc]
        items = present + missing
    return items


def _comes_after(communication: Communication, order: tuple[str, ...], after: Keyset) -> bool:
    key = order[0].lstrip("-")
    mine = (getattr(communication, key), communication.id)
    bound = (after.value, after.id)
    return mine < bound if order[0].startswith("-") else mine > bound
