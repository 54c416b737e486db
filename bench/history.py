"""A realistic year of communication history, for the list and statistics benchmarks.

Each communication's success depends on its channel, the weekday and the hour (people answer
messages at lunch and in the evening, calls in working hours, little at night or at weekends),
and a little on the client, so that "which channel and which hour work best" has a real answer
to find. Deterministic for a given seed.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

# Base success rate of each channel code, and the hours (local) it works best.
CHANNEL_SUCCESS = {"sms": 0.62, "messenger": 0.71, "email": 0.34, "push": 0.45, "call": 0.55, "visit": 0.9}
PEAK_HOURS = {
    "sms": (12, 13, 18, 19),
    "messenger": (19, 20, 21),
    "email": (9, 10, 11),
    "push": (8, 18, 19),
    "call": (10, 11, 15, 16),
    "visit": (11, 12, 13, 14, 15, 16, 17),
}
WEEKDAY_FACTOR = (1.0, 1.05, 1.05, 1.0, 0.95, 0.7, 0.6)


@dataclass(frozen=True)
class World:
    """The ids the history points at: they must already exist in the database."""

    client_ids: range
    channel_ids_by_code: dict[str, int]
    type_ids: list[int]
    department_ids: list[int]
    employee_ids: list[int]


def success_rate(channel: str, moment: datetime, client_bias: float) -> float:
    hour_factor = (
        1.3 if moment.hour in PEAK_HOURS[channel] else (0.35 if moment.hour < 7 or moment.hour > 22 else 1.0)
    )
    rate = CHANNEL_SUCCESS[channel] * WEEKDAY_FACTOR[moment.weekday()] * hour_factor * client_bias
    return max(0.02, min(0.98, rate))


def communications(world: World, count: int, *, end: datetime, seed: int = 11) -> Iterator[dict[str, Any]]:
    """Rows of ``communications`` in the table's own column names, oldest first."""
    rng = random.Random(seed)
    start = end - timedelta(days=365)
    span = (end - start).total_seconds()
    channels = list(world.channel_ids_by_code)
    weights = [5, 3, 4, 3, 3, 1][: len(channels)]
    moments = sorted(rng.random() * span for _ in range(count))
    for offset in moments:
        created = start + timedelta(seconds=offset)
        client_id = rng.choice(world.client_ids)
        channel = rng.choices(channels, weights)[0]
        client_bias = 0.7 + (client_id * 2654435761 % 1000) / 1666  # stable per client, 0.7 … 1.3
        succeeded = rng.random() < success_rate(channel, created, client_bias)
        dispatched = channel in ("sms", "messenger", "email", "push")
        finished = created + timedelta(seconds=rng.randint(5, 3600))
        yield {
            "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "type_id": rng.choice(world.type_ids),
            "channel_id": world.channel_ids_by_code[channel],
            "direction": "inbound" if channel == "visit" or rng.random() < 0.1 else "outbound",
            "kind": "planned" if dispatched else "fact",
            "status": "done" if succeeded else ("failed" if rng.random() < 0.8 else "cancelled"),
            "delivery_status": (
                ("delivered" if rng.random() < 0.7 else "read") if succeeded else "undelivered"
            )
            if dispatched
            else None,
            "client_id": client_id,
            "employee_id": rng.choice(world.employee_ids),
            "department_id": rng.choice(world.department_ids),
            "project_id": None,
            "mailing_id": None,
            "fallback_of": None,
            "document_id": None,
            "subject": None,
            "content": "Напоминаем о записи на сервис" if dispatched else None,
            "scheduled_at": created if dispatched else None,
            "started_at": created,
            "finished_at": finished if succeeded else None,
            "result": "Записался на ремонт" if succeeded and channel == "call" else None,
            "failure_reason": None if succeeded else "no answer",
            "provider": "sandbox" if dispatched else None,
            "provider_message_id": None,
            "attempts": 1 if dispatched else 0,
            "create_time": created,
            "update_time": finished,
        }


def year_end() -> datetime:
    return datetime(2026, 11, 1, tzinfo=UTC)
