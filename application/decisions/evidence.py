"""Evidence for decisions, read from the counters: client, group and all-clients tallies."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from application.decisions.ports import SlotCounts, StatsReadModel, StatsScope
from domain.decisions import Cell, DecisionSettings, Evidence, Measure, Tally
from domain.decisions.counting import decay_factor
from domain.decisions.evidence import Layered
from domain.decisions.policy import NO_EVIDENCE


@dataclass(frozen=True)
class EvidenceSet:
    by_channel: dict[int, Evidence]
    by_slot: Mapping[int, Mapping[Cell, Evidence]]


def _tallies(
    rows: Sequence[SlotCounts], measure: Measure, factor: float
) -> dict[tuple[int, int, int], Tally]:
    sums: dict[tuple[int, int, int], tuple[float, float]] = {}
    for row in rows:  # summed over types when the scope names none
        successes = row.weighted_responses if measure is Measure.RESPONSE else row.weighted_delivered
        key = (row.channel_id, row.weekday, row.hour)
        before = sums.get(key, (0.0, 0.0))
        sums[key] = (before[0] + successes * factor, before[1] + row.weighted_attempts * factor)
    # Clamped: float sums of added and removed weights may leave a hair below zero.
    return {key: Tally(min(max(s, 0.0), max(a, 0.0)), max(a, 0.0)) for key, (s, a) in sums.items()}


async def load_evidence(
    stats: StatsReadModel,
    *,
    client_id: int | None,
    group_ids: Sequence[int],
    type_id: int | None,
    now: datetime,
    settings: DecisionSettings,
) -> EvidenceSet:
    """Three reads of the counters (the client, its groups, everybody), recency-weighted as of now."""
    client = (
        await stats.slot_counts(StatsScope(client_id=client_id, type_id=type_id))
        if client_id is not None
        else []
    )
    group = (
        await stats.slot_counts(StatsScope(group_ids=tuple(group_ids), type_id=type_id)) if group_ids else []
    )
    everybody = await stats.slot_counts(StatsScope(type_id=type_id))
    return evidence_from(client, group, everybody, now=now, settings=settings)


@dataclass(frozen=True)
class Tallies:
    """One level's recency-weighted tallies by channel x local weekday x hour."""

    by_cell: dict[tuple[int, int, int], Tally]


def tallies(rows: Sequence[SlotCounts], *, now: datetime, settings: DecisionSettings) -> Tallies:
    return Tallies(_tallies(rows, settings.objective, decay_factor(now, settings.half_life_days)))


def evidence_from(
    client: Sequence[SlotCounts] | Tallies,
    group: Sequence[SlotCounts] | Tallies,
    everybody: Sequence[SlotCounts] | Tallies,
    *,
    now: datetime,
    settings: DecisionSettings,
) -> EvidenceSet:
    """The evidence of the three levels' counters (or tallies already weighted, shared by many clients)."""
    levels = {
        level: (rows if isinstance(rows, Tallies) else tallies(rows, now=now, settings=settings)).by_cell
        for level, rows in (("client", client), ("group", group), ("all", everybody))
    }
    cells = set().union(*levels.values())
    by_slot: dict[int, dict[Cell, Evidence]] = defaultdict(dict)
    sums: dict[int, dict[str, Tally]] = defaultdict(
        lambda: {"client": Tally(), "group": Tally(), "all": Tally()}
    )
    for channel_id, weekday, hour in cells:
        key = (channel_id, weekday, hour)
        parts = {level: levels[level].get(key, Tally()) for level in levels}
        by_slot[channel_id][(weekday, hour)] = Evidence(
            client=parts["client"], group=parts["group"], all=parts["all"]
        )
        for level, tally in parts.items():
            sums[channel_id][level] = sums[channel_id][level] + tally
    by_channel = {c: Evidence(client=s["client"], group=s["group"], all=s["all"]) for c, s in sums.items()}
    return EvidenceSet(by_channel, dict(by_slot))


def with_own(shared: EvidenceSet, own: Tallies) -> EvidenceSet:
    """``shared`` (group and all clients, no client level) with one client's own tallies laid over.

    The same as ``evidence_from(own, group, everybody)``, but the channels the client has no
    counters on keep the shared objects, and the others are the shared cells with the client's
    own ones laid over (``Layered``), not copies of them.
    """
    by_slot: dict[int, Mapping[Cell, Evidence]] = dict(shared.by_slot)
    by_channel = dict(shared.by_channel)
    layers: dict[int, dict[Cell, Evidence]] = defaultdict(dict)
    totals: dict[int, Tally] = {}
    for (channel_id, weekday, hour), tally in own.by_cell.items():
        base = shared.by_slot.get(channel_id, {}).get((weekday, hour), NO_EVIDENCE)
        layers[channel_id][(weekday, hour)] = Evidence(client=tally, group=base.group, all=base.all)
        totals[channel_id] = totals.get(channel_id, Tally()) + tally
    for channel_id, layer in layers.items():
        by_slot[channel_id] = Layered(shared.by_slot.get(channel_id, {}), layer)
        base = shared.by_channel.get(channel_id, NO_EVIDENCE)
        by_channel[channel_id] = Evidence(client=totals[channel_id], group=base.group, all=base.all)
    return EvidenceSet(by_channel, by_slot)
