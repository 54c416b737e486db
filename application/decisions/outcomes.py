"""The aggregate of ended auto decisions behind ``/stats/auto``: what one communication adds.

Both storage adapters keep it in the transaction that changes a communication's outcome (a status
change of a communication with a decision, or a decision logged for one already ended), and
rebuild it from the log with ``switchboard rebuild-stats``.
"""

from __future__ import annotations

from typing import Protocol
from zoneinfo import ZoneInfo

from application.decisions.ports import OutcomeKey
from domain.communications import Communication
from domain.decisions.counting import moment_of
from domain.decisions.evaluation import HOLDOUT_MODE, LoggedDecision, OutcomeSums, outcome_sums
from domain.decisions.measures import Measure, counts, is_delivered, is_response


class LoggedFields(Protocol):
    """The fields of a decision ``ended_outcome`` reads (a DecisionRecord, or a row of the log)."""

    @property
    def mode(self) -> str: ...
    @property
    def objective(self) -> str: ...
    @property
    def propensity(self) -> float: ...
    @property
    def matches_rule(self) -> bool: ...
    @property
    def predicted_chosen(self) -> float: ...
    @property
    def predicted_rule(self) -> float: ...


def ended_outcome(
    record: LoggedFields, communication: Communication, time_zone: str | None
) -> tuple[OutcomeKey, OutcomeSums] | None:
    """What an ended communication with a decision adds to the aggregate; None while not ended."""
    if communication.client_id is None or not counts(communication.status):
        return None
    success = is_response if record.objective == Measure.RESPONSE.value else is_delivered
    reward = int(success(communication.status, communication.delivery_status))
    log = (
        LoggedDecision(
            reward=reward,
            propensity=record.propensity,
            matches_rule=record.matches_rule,
            held_out=record.mode == HOLDOUT_MODE,
            predicted_chosen=record.predicted_chosen,
            predicted_rule=record.predicted_rule,
        )
        if 0 < record.propensity <= 1
        else None
    )
    day = moment_of(communication).astimezone(ZoneInfo(time_zone or "UTC")).date()
    key = (
        communication.client_id,
        communication.type_id,
        communication.channel_id,
        communication.department_id or 0,
        communication.employee_id or 0,
        day,
        record.mode,
    )
    return key, outcome_sums(record.mode, log)


Delta = tuple[OutcomeKey, OutcomeSums]


def deltas(removed: list[Delta], added: list[Delta]) -> dict[OutcomeKey, OutcomeSums]:
    """The net change by key of what stopped and started counting (keys netting to nothing: dropped)."""
    found: dict[OutcomeKey, OutcomeSums] = {}
    for sign, items in ((-1, removed), (1, added)):
        for key, sums in items:
            found[key] = found.get(key, OutcomeSums()) + (sums if sign > 0 else -sums)
    return {key: sums for key, sums in found.items() if any(sums.values())}
