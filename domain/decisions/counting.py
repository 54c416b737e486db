"""What one communication adds to the statistics counters: the read model's unit of change.

The storage adapters keep counters per client x channel x type x local weekday x hour (and per
local day for periods) in the same transaction as the communication itself: on a new
communication they add its contribution, on a change they remove the old one and add the new.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from domain.communications import Communication
from domain.decisions.measures import counts, is_delivered, is_response

WEIGHT_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
"""Recency weights are stored as 2^((t - epoch) / half-life): sums stay additive, and a reader
turns them into today's weights by one factor 2^(-(now - epoch) / half-life)."""
DEFAULT_HALF_LIFE_DAYS = 180.0


@dataclass(frozen=True)
class Contribution:
    client_id: int
    channel_id: int
    type_id: int
    day: date
    """The local date (client's time zone, else the department's, else UTC)."""
    weekday: int
    hour: int
    delivered: int
    responses: int
    weight: float
    """2^((moment - epoch) / half-life), for the recency-weighted sums."""
    department_id: int = 0
    """0 when none: the detailed counters key on it, and keys are never null."""
    employee_id: int = 0

    @property
    def attempts(self) -> int:
        return 1


def moment_of(communication: Communication) -> datetime:
    """When a communication counts as having happened: started, else planned, else recorded."""
    return communication.started_at or communication.scheduled_at or communication.create_time


def epoch_weight(moment: datetime, half_life_days: float = DEFAULT_HALF_LIFE_DAYS) -> float:
    return float(2.0 ** ((moment - WEIGHT_EPOCH).total_seconds() / 86400 / half_life_days))


def decay_factor(now: datetime, half_life_days: float = DEFAULT_HALF_LIFE_DAYS) -> float:
    """Turns stored epoch weights into weights as of ``now`` (1 for an outcome happening now)."""
    return 1.0 / epoch_weight(now, half_life_days)


def contribution(
    communication: Communication, time_zone: str | None, half_life_days: float = DEFAULT_HALF_LIFE_DAYS
) -> Contribution | None:
    """The counters a communication adds; None when it counts nowhere (no client, or not ended)."""
    if communication.client_id is None or not counts(communication.status):
        return None
    moment = moment_of(communication)
    local = moment.astimezone(ZoneInfo(time_zone or "UTC"))
    status, delivery = communication.status, communication.delivery_status
    return Contribution(
        client_id=communication.client_id,
        channel_id=communication.channel_id,
        type_id=communication.type_id,
        day=local.date(),
        weekday=local.weekday(),
        hour=local.hour,
        delivered=int(is_delivered(status, delivery)),
        responses=int(is_response(status, delivery)),
        weight=epoch_weight(moment, half_life_days),
        department_id=communication.department_id or 0,
        employee_id=communication.employee_id or 0,
    )
