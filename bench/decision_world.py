"""A world with a known truth, for measuring decisions: success probabilities per segment x
channel x local weekday x local hour, clients in several time zones, and a past drawn from it.

It extends bench/history.py (which gives each channel a fixed hour profile) with a truth that
differs by segment, so that a good decision has to learn who answers what, and when.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from domain.decisions import Evidence, Tally, recency_weight

CHANNELS = {1: "sms", 2: "email", 3: "messenger", 4: "call"}
ZONES = ("Europe/Kaliningrad", "Europe/Moscow", "Asia/Yekaterinburg", "Asia/Novosibirsk", "Asia/Vladivostok")
SEGMENTS = 4
NOW = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)  # a Monday morning
PAST_DAYS = 365


@dataclass(frozen=True)
class Truth:
    """p[segment][channel][weekday][hour]: the chance that a communication gets a response."""

    p: dict[int, dict[int, list[list[float]]]]

    def of(self, segment: int, channel_id: int, local: datetime) -> float:
        return self.p[segment][channel_id][local.weekday()][local.hour]


def make_truth(rng: random.Random) -> Truth:
    table: dict[int, dict[int, list[list[float]]]] = {}
    for segment in range(SEGMENTS):
        table[segment] = {}
        for channel_id in CHANNELS:
            base = rng.uniform(0.06, 0.35)
            peaks = [(rng.uniform(8, 21), rng.uniform(1.0, 3.0), rng.uniform(0.5, 1.6)) for _ in range(2)]
            weekday = [rng.uniform(0.6, 1.25) for _ in range(7)]
            grid = []
            for day in range(7):
                row = []
                for hour in range(24):
                    bump = sum(h * math.exp(-((hour - c) ** 2) / (2 * w * w)) for c, w, h in peaks)
                    night = 0.25 if hour < 7 or hour > 22 else 1.0
                    row.append(max(0.01, min(0.95, base * weekday[day] * night * (0.5 + bump))))
                grid.append(row)
            table[segment][channel_id] = grid
    return Truth(table)


@dataclass
class ClientFacts:
    client_id: int
    segment: int
    zone: str
    has_email: bool
    history: list[tuple[int, datetime, bool]] = field(default_factory=list)
    """(channel id, moment, success) oldest first."""


def make_clients(rng: random.Random, truth: Truth, count: int) -> list[ClientFacts]:
    clients = []
    for client_id in range(1, count + 1):
        facts = ClientFacts(client_id, rng.randrange(SEGMENTS), rng.choice(ZONES), rng.random() < 0.85)
        past = rng.choice([0, 0, 3, 8, 15, 25, 40, 60, 90])
        zone = ZoneInfo(facts.zone)
        for _ in range(past):
            # The company's old habit: any reachable channel, at local hours 8 to 21.
            channel_id = rng.choice([c for c in CHANNELS if c != 2 or facts.has_email])
            day = NOW - timedelta(days=rng.uniform(1, PAST_DAYS))
            local = day.astimezone(zone).replace(hour=rng.randint(8, 21), minute=rng.randrange(60))
            success = rng.random() < truth.of(facts.segment, channel_id, local)
            facts.history.append((channel_id, local.astimezone(UTC), success))
        facts.history.sort(key=lambda item: item[1])
        clients.append(facts)
    return clients


class Counters:
    """Recency-weighted tallies per client, segment and everybody, by channel and by local slot.

    The same counters the statistics read model keeps, computed here in memory.
    """

    def __init__(self, half_life_days: float, now: datetime) -> None:
        self.half_life = half_life_days
        self.now = now
        self.channel: dict[tuple[object, ...], Tally] = defaultdict(Tally)
        self.slot: dict[tuple[object, ...], Tally] = defaultdict(Tally)

    def add(
        self, facts: ClientFacts, channel_id: int, moment: datetime, success: bool, *, own: bool = True
    ) -> None:
        weight = recency_weight((self.now - moment).total_seconds() / 86400, self.half_life)
        local = moment.astimezone(ZoneInfo(facts.zone))
        scopes: list[tuple[str, object]] = [("group", facts.segment), ("all", None)]
        if own:
            scopes.append(("client", facts.client_id))
        for level, key in scopes:
            self.channel[(level, key, channel_id)] = self.channel[(level, key, channel_id)].record(
                success, weight
            )
            cell = (level, key, channel_id, local.weekday(), local.hour)
            self.slot[cell] = self.slot[cell].record(success, weight)

    def channel_evidence(
        self, facts: ClientFacts, *, personal: bool = True, group: bool = True
    ) -> dict[int, Evidence]:
        return {c: _evidence(self.channel, (c,), facts, personal, group) for c in CHANNELS}

    def slot_evidence(
        self, facts: ClientFacts, *, personal: bool = True, group: bool = True
    ) -> dict[int, dict[tuple[int, int], Evidence]]:
        return {
            c: {
                (d, h): _evidence(self.slot, (c, d, h), facts, personal, group)
                for d in range(7)
                for h in range(24)
            }
            for c in CHANNELS
        }


EMPTY = Tally()


def _evidence(
    table: dict[tuple[object, ...], Tally],
    suffix: tuple[int, ...],
    facts: ClientFacts,
    personal: bool,
    group: bool,
) -> Evidence:
    return Evidence(
        client=table.get(("client", facts.client_id, *suffix), EMPTY) if personal else EMPTY,
        group=table.get(("group", facts.segment, *suffix), EMPTY) if group else EMPTY,
        all=table.get(("all", None, *suffix), EMPTY),
    )
