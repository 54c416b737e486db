"""What decisions and statistics need from storage: the counters read model."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from domain.communications import Communication
from domain.communications.surveys import SurveyAnswer
from domain.decisions.evaluation import FALLBACK_MODE, OutcomeSums

__all__ = ["FALLBACK_MODE"]  # re-exported: the fallback path and the tests name it from here


@dataclass(frozen=True)
class StatsScope:
    """Which counters to sum: one client, the members of some groups, or everybody.

    A period (``since`` / ``until``, local days, both included), a department or an employee is
    answered from the per-day counters (per client for a client or groups, else everybody's).
    """

    client_id: int | None = None
    group_ids: tuple[int, ...] = ()
    type_id: int | None = None
    channel_id: int | None = None
    since: date | None = None
    until: date | None = None
    department_id: int | None = None
    employee_id: int | None = None

    def __post_init__(self) -> None:
        if self.client_id is not None and self.group_ids:
            raise ValueError("a scope is one client or some groups, not both")

    @property
    def personal(self) -> bool:
        return self.client_id is not None or bool(self.group_ids)

    @property
    def detailed(self) -> bool:
        """Asks what only the per-day detailed counters hold: a period, a department, an employee."""
        return (
            self.since is not None
            or self.until is not None
            or self.department_id is not None
            or self.employee_id is not None
        )


@dataclass(frozen=True)
class SlotCounts:
    """The counters of one channel and type at one local weekday x hour, summed over a scope.

    The ``weighted_`` sums carry epoch weights (see domain.decisions.counting): multiply by
    ``decay_factor(now)`` for recency weights as of now. Periods have none (zeros).
    """

    channel_id: int
    type_id: int
    weekday: int
    hour: int
    attempts: int
    delivered: int
    responses: int
    weighted_attempts: float = 0.0
    weighted_delivered: float = 0.0
    weighted_responses: float = 0.0


@dataclass(frozen=True)
class CounterRow:
    """One stored counter of the per-client table, for comparing maintained and rebuilt states."""

    client_id: int
    channel_id: int
    type_id: int
    weekday: int
    hour: int
    attempts: int
    delivered: int
    responses: int
    weighted_attempts: float


@dataclass(frozen=True)
class DailyRow:
    day: date
    channel_id: int
    type_id: int
    weekday: int
    hour: int
    attempts: int
    delivered: int
    responses: int


@dataclass(frozen=True)
class EmployeeCounts:
    """One employee's communications that ended, and how many were delivered and answered."""

    employee_id: int
    """0: communications without an employee (automatic sends)."""
    attempts: int
    delivered: int
    responses: int


@dataclass(frozen=True)
class DetailRow:
    """One stored counter of the per-client-day table, for comparing maintained and rebuilt states."""

    client_id: int
    day: date
    hour: int
    channel_id: int
    type_id: int
    department_id: int
    employee_id: int
    weekday: int
    attempts: int
    delivered: int
    responses: int


@dataclass(frozen=True)
class TeamDayRow:
    """One stored counter of everybody's per-day table with the department and the employee."""

    day: date
    hour: int
    channel_id: int
    type_id: int
    department_id: int
    employee_id: int
    weekday: int
    attempts: int
    delivered: int
    responses: int


@dataclass(frozen=True)
class TotalRow:
    """One stored counter of everybody's all-time table (channel x type x weekday x hour)."""

    channel_id: int
    type_id: int
    weekday: int
    hour: int
    attempts: int
    delivered: int
    responses: int
    weighted_attempts: float


@dataclass(frozen=True)
class StatsSnapshot:
    """Every non-empty counter of each table, ordered by key: maintained and rebuilt must be equal."""

    per_client: list[CounterRow]
    daily: list[DailyRow]
    detail: list[DetailRow]
    team_days: list[TeamDayRow]
    totals: list[TotalRow]

    def tables(self) -> tuple[list[Any], ...]:
        return (self.per_client, self.daily, self.detail, self.team_days, self.totals)


class StatsReadModel(Protocol):
    """Counters kept with the writes of communications, so that no request scans the history."""

    async def slot_counts(self, scope: StatsScope) -> list[SlotCounts]:
        """The counters of the scope, summed by channel x type x local weekday x hour."""

    async def slot_counts_by_client(
        self, client_ids: list[int], type_id: int | None
    ) -> dict[int, list[SlotCounts]]:
        """Each client's own counters (all time), in a few set-based reads for a whole audience."""

    async def employee_counts(self, scope: StatsScope) -> list[EmployeeCounts]:
        """The counters of the scope, summed by employee."""

    async def rebuild(self) -> int:
        """Recomputes every counter from the stored communications; returns how many counted."""

    async def snapshot(self) -> StatsSnapshot:
        """Every non-empty counter, ordered by key (for checks and exports)."""


@dataclass(frozen=True)
class SurveyCount:
    """How many times one answer was given to one question within a scope."""

    question: str
    answer: str
    count: int


class SurveyResponseRepository(Protocol):
    """Survey answers, with their counters kept in the same transaction."""

    async def add_many(self, communication: Communication, answers: list[SurveyAnswer]) -> int:
        """Stores the answers of one communication; returns how many were stored."""

    async def of(self, communication_id: int) -> list[SurveyAnswer]:
        """The stored answers of one communication, in the order given."""

    async def counts(self, scope: StatsScope) -> list[SurveyCount]:
        """Answers by question, summed over the scope (local day of the communication)."""

    async def rebuild(self) -> int:
        """Recomputes the counters from the stored answers; returns how many counted."""


@dataclass(frozen=True)
class DecisionRecord:
    """What an automatic send decided for one communication, kept beside it."""

    communication_id: int
    mode: str
    """greedy, explore or holdout; or FALLBACK_MODE for a channel fallback's follow-up."""
    objective: str
    """The measure the decision optimised: response or delivered."""
    propensity: float
    matches_rule: bool
    rule_channel_id: int
    rule_at: datetime
    predicted_chosen: float
    predicted_rule: float
    explanation: str
    create_time: datetime
    channel_ids: tuple[int, ...] = ()
    """The channels the send tries, in order (the chosen one, then the rest of the ranking): the
    channel fallback's list for an auto send, whose own list names none. Empty when the send named
    its channels (``"at": "auto"`` alone)."""


@dataclass(frozen=True)
class LoggedOutcome:
    """A logged decision whose communication has ended: its reward by the decision's objective."""

    mode: str
    reward: int
    propensity: float
    matches_rule: bool
    predicted_chosen: float
    predicted_rule: float


class DecisionLog(Protocol):
    """The decisions of automatic sends, for their explanation and the proof of lift."""

    async def add_many(self, records: list[DecisionRecord]) -> None:
        """Stores the decisions of newly created communications (not ended yet: the aggregate of
        outcomes counts each when its status change ends it)."""

    async def of(self, communication_id: int) -> DecisionRecord | None:
        """The decision that created a communication; None for one not sent by ``auto``."""

    async def of_many(self, communication_ids: Sequence[int]) -> dict[int, DecisionRecord]:
        """The decisions of several communications, by communication id (those without: absent)."""

    async def outcomes(self, scope: StatsScope) -> list[LoggedOutcome]:
        """The logged decisions of the scope whose communications ended (done or failed)."""

    async def outcome_sums(self, scope: StatsScope) -> dict[str, OutcomeSums]:
        """The ended decisions' sums by mode, from the aggregate kept beside the log (no scan)."""

    async def rebuild(self) -> int:
        """Recomputes the aggregate of ended decisions from the log; returns how many counted."""

    async def snapshot(self) -> list[tuple[OutcomeKey, OutcomeSums]]:
        """The aggregate's rows, sorted by key (for the maintained-equals-rebuilt check)."""


OutcomeKey = tuple[int, int, int, int, int, date, str]
"""client, type, channel, department (0: none), employee (0: none), local day, mode."""


@dataclass(frozen=True)
class ImportReferences:
    """What the rows of one history import name: the question of ``HistoryWriter.stored``."""

    type_ids: frozenset[int] = frozenset()
    channel_ids: frozenset[int] = frozenset()
    employee_ids: frozenset[int] = frozenset()
    department_ids: frozenset[int] = frozenset()
    client_ids: frozenset[int] = frozenset()
    client_keys: frozenset[tuple[str, str]] = frozenset()
    """(project code, guid): a client named by its CRM key."""
    uuids: frozenset[str] = frozenset()


@dataclass(frozen=True)
class StoredReferences:
    """The answer to ``ImportReferences``: the stored ones, and the id of each client key found."""

    type_ids: frozenset[int]
    channel_ids: frozenset[int]
    employee_ids: frozenset[int]
    department_ids: frozenset[int]
    client_ids: frozenset[int]
    client_by_key: dict[tuple[str, str], int]
    uuids: frozenset[str]
    """Uuids of communications stored already (a re-import)."""


class HistoryWriter(Protocol):
    """Past communications stored in bulk (COPY where the database has it), counters included."""

    async def stored(self, asked: ImportReferences) -> StoredReferences:
        """Which of the references an import names exist: ids only, one query per kind."""

    async def write(self, items: Iterable[Communication], actor: str | None, at_most: int) -> int:
        """Stores the communications ``items`` yields (at most ``at_most``), built by
        ``Communication.imported``, with their ``imported_history`` (by ``actor``), and counts
        them; sets their ids; answers how many. ``items`` may build them lazily: a store may take
        each as it comes, so the database writes the first while the next are being built."""
