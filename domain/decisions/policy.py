"""One decision for one client: greedy, explored by Thompson sampling, or held out for the rule.

Randomness comes only from the seed the caller passes (derive it with ``seed_for``), so equal
inputs give equal decisions. Each decision keeps its propensity, the probability with which the
policy chose what it chose, for the off-policy estimate of the fixed rule.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from domain.decisions.channels import ChannelRanking, RankedChannel
from domain.decisions.evidence import DecisionSettings, Estimate, Evidence
from domain.decisions.timing import (
    Cell,
    SendingWindow,
    Slot,
    TimeChoice,
    allowed_slots,
    best_slot,
    make_choice,
    slot_grid,
)

Grid = tuple[tuple[Estimate, ...], ...]


class Mode(StrEnum):
    GREEDY = "greedy"
    """The best smoothed channel at its best slot."""
    EXPLORE = "explore"
    """Drawn by Thompson sampling from the smoothed posteriors."""
    HOLDOUT = "holdout"
    """The rule's fixed priority at the requested time, to measure the lift of the others."""


@dataclass(frozen=True)
class Action:
    channel_id: int
    at: datetime


@dataclass(frozen=True)
class Decision:
    channel_id: int
    time: TimeChoice
    mode: Mode
    propensity: float
    rule_action: Action
    """What the fixed rule would have done for the same request (for holdout and off-policy)."""
    ranking: ChannelRanking
    explanation: str
    predicted_chosen: float = 0.0
    """The smoothed rate of the chosen channel at the chosen slot (for the doubly robust estimate)."""
    predicted_rule: float = 0.0
    """The smoothed rate of the rule's channel at the rule's slot."""

    @property
    def matches_rule(self) -> bool:
        return self.action == self.rule_action

    @property
    def action(self) -> Action:
        return Action(self.channel_id, self.time.at)


def seed_for(*parts: object) -> int:
    """A stable 64-bit seed from the decision's identity (e.g. a send key and a client id)."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big")


@dataclass(frozen=True)
class _Options:
    channels: tuple[RankedChannel, ...]
    slots: tuple[Slot, ...]
    grids: Mapping[int, Grid]


def decide(
    *,
    ranking: ChannelRanking,
    window: SendingWindow,
    start: datetime,
    slot_evidence: Mapping[int, Mapping[Cell, Evidence]],
    settings: DecisionSettings,
    seed: int,
    slots: Sequence[Slot] | None = None,
) -> Decision | None:
    """Channel and time for one client; None when no channel or no slot in the horizon is allowed.

    ``slot_evidence`` gives, per channel id, the counts by local weekday x hour; ``slots`` the
    allowed slots when the caller has already listed them (``allowed_slots``). The greedy choice is
    the ranked channel whose best allowed slot has the best smoothed rate: a channel that is second
    overall may be the best at the hours the client can be reached.
    """
    if not ranking.ranked:
        return None
    if slots is None:
        slots = allowed_slots(window, start, _horizon(settings))
    slots = tuple(slots)
    if not slots:
        return None
    grids = {
        c.channel_id: slot_grid(slot_evidence.get(c.channel_id, {}), settings, c.estimate.rate)
        for c in ranking.ranked
    }
    options = _Options(ranking.ranked, slots, grids)
    rule = Action(min(ranking.ranked, key=lambda c: c.priority).channel_id, slots[0].at)
    greedy = _greedy(ranking.ranked, slots, grids)
    rng = random.Random(seed)
    draw = rng.random()
    if draw < settings.holdout_share:
        mode, chosen = Mode.HOLDOUT, rule
    elif rng.random() < settings.exploration_share:
        mode, chosen = Mode.EXPLORE, _thompson(options, rng)
    else:
        mode, chosen = Mode.GREEDY, greedy
    propensity = _propensity(chosen, rule, greedy, options, settings, seed)
    slot = next(s for s in slots if s.at == chosen.at)
    time = make_choice(slot, grids[chosen.channel_id], settings)
    explanation = f"{mode.value}: {ranking.explanation}; time {time.explanation}; propensity {propensity:.4f}"
    rule_slot = slots[0]
    return Decision(
        chosen.channel_id,
        time,
        mode,
        propensity,
        rule,
        ranking,
        explanation,
        predicted_chosen=grids[chosen.channel_id][slot.weekday][slot.hour].rate,
        predicted_rule=grids[rule.channel_id][rule_slot.weekday][rule_slot.hour].rate,
    )


def _horizon(settings: DecisionSettings) -> timedelta:
    return timedelta(days=settings.horizon_days)


def _greedy(channels: Sequence[RankedChannel], slots: Sequence[Slot], grids: Mapping[int, Grid]) -> Action:
    # Strictly better only: ties go to the better-ranked channel, then to the earliest slot.
    best: tuple[float, Action] | None = None
    for channel in channels:
        slot = best_slot(slots, grids[channel.channel_id])
        rate = grids[channel.channel_id][slot.weekday][slot.hour].rate
        if best is None or rate > best[0]:
            best = (rate, Action(channel.channel_id, slot.at))
    assert best is not None
    return best[1]


def _thompson(options: _Options, rng: random.Random) -> Action:
    # Ties are measure-zero; max keeps the first (best-ranked channel, earliest slot).
    channel = max(options.channels, key=lambda c: rng.betavariate(c.estimate.alpha, c.estimate.beta))
    grid = options.grids[channel.channel_id]
    draws = {
        cell: rng.betavariate(grid[cell[0]][cell[1]].alpha, grid[cell[0]][cell[1]].beta)
        for cell in _cells(options.slots)
    }
    slot = max(options.slots, key=lambda s: draws[s.cell])
    return Action(channel.channel_id, slot.at)


def _cells(slots: Sequence[Slot]) -> list[Cell]:
    return list(dict.fromkeys(s.cell for s in slots))


def _propensity(
    chosen: Action, rule: Action, greedy: Action, options: _Options, settings: DecisionSettings, seed: int
) -> float:
    """P(chosen) under the whole policy; Thompson's share estimated by seeded Monte Carlo draws.

    The decision's own draw counts among the draws, so an explored action never gets zero.
    """
    holdout, explore = settings.holdout_share, settings.exploration_share
    probability = holdout * (chosen == rule) + (1 - holdout) * (1 - explore) * (chosen == greedy)
    if explore > 0:
        rng = random.Random(seed ^ 0x5EED)
        hits = sum(_thompson(options, rng) == chosen for _ in range(settings.propensity_draws))
        probability += (1 - holdout) * explore * (hits + 1) / (settings.propensity_draws + 1)
    return min(probability, 1.0)
