"""One decision for one client: greedy, explored by Thompson sampling, or held out for the rule.

Randomness comes only from the seed the caller passes (derive it with ``seed_for``), so equal
inputs give equal decisions. Each decision keeps its propensity, the probability with which the
policy chose what it chose, for the off-policy estimate of the fixed rule. Thompson sampling draws
the channel first and then the slot from that channel's figures, independently, so its share of an
action is P(channel) x P(slot | channel), each computed without drawing (``thompson.win_share``).

The decisions of one send share a ``DecisionMemo``: the allowed slots of equal windows; per channel,
schedule and slot root the figures of the send's shared evidence (a client's own cells are patched
in over them); and a ``Plan`` per shared ranking (figures, rule and greedy action, propensities) for
the clients with no counters of their own. A memo is a cache of pure functions, nothing more.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import numpy as np

from domain.decisions.channels import ChannelRanking, RankedChannel
from domain.decisions.evidence import DecisionSettings, Evidence, Layered, Tally, group_line
from domain.decisions.thompson import FLOOR, ArmField, Posterior, draw, normals_of, shares, win_shares
from domain.decisions.timing import (
    Cell,
    SendingWindow,
    Slot,
    TimeChoice,
    allowed_slots,
    make_choice,
    slot_root,
)

NO_EVIDENCE = Evidence()


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


_MASK = (1 << 64) - 1


def uniform(seed: int, stream: int) -> float:
    """A uniform draw in [0, 1) from a seed and a stream number: SplitMix64's mix of the seed's
    ``stream``-th state. The holdout and exploration draws of every decision need two numbers, and
    a ``random.Random`` seeded per decision costs several times these few integer operations."""
    mixed = (seed + (stream + 1) * 0x9E3779B97F4A7C15) & _MASK
    mixed = ((mixed ^ (mixed >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    mixed = ((mixed ^ (mixed >> 27)) * 0x94D049BB133111EB) & _MASK
    return ((mixed ^ (mixed >> 31)) >> 11) / 9007199254740992.0  # 2^53


class Schedule:
    """The allowed slots of one window, and the distinct local (weekday, hour) cells among them."""

    def __init__(self, slots: Sequence[Slot]) -> None:
        self.slots = tuple(slots)
        first: dict[Cell, Slot] = {}
        for slot in self.slots:
            first.setdefault(slot.cell, slot)
        self.cells = tuple(first)
        """Chronological by first allowed slot."""
        self.first = tuple(first.values())
        """The earliest slot of each cell: where a cell's choice goes (ties go to the earliest)."""
        self.index_at = {slot.at: index for index, slot in enumerate(self.first)}
        self.position = {cell: index for index, cell in enumerate(self.cells)}


class Lines:
    """Each cell's group-level rate as a line in the channel's rate (``evidence.group_line``)."""

    def __init__(self, schedule: Schedule, evidence: Mapping[Cell, Evidence], settings: DecisionSettings):
        pairs = [group_line(evidence.get(cell, NO_EVIDENCE), settings) for cell in schedule.cells]
        self.base = np.array([a for a, _ in pairs])
        self.slope = np.array([b for _, b in pairs])


class Arms:
    """One channel's figures over a schedule's cells: smoothed rate and Beta posterior of each.

    The cells without client counts have the group-level rate at the channel's root
    (``slot_root``); ``own`` cells (index -> client tally) are patched in over that base, so a client
    with counters of its own costs its own cells, not the 168.
    """

    def __init__(
        self,
        schedule: Schedule,
        evidence: Mapping[Cell, Evidence],
        root: float,
        settings: DecisionSettings,
        lines: Lines,
        base: Arms | None = None,
        own: Mapping[int, Tally] | None = None,
    ) -> None:
        self.evidence = evidence
        self.channel_rate = root
        strength = settings.min_client_attempts
        if base is None:
            rates = lines.base + lines.slope * root
            spreads = np.sqrt(rates * (1 - rates) / (strength + 1))
            self.field = ArmField(rates, spreads)
        else:
            rates, spreads = base.field.means.copy(), base.field.spreads.copy()
            indexes = sorted(own or {})
            for index in indexes:
                tally = (own or {})[index]
                total = tally.attempts + strength
                rate = (tally.successes + strength * base.field.means[index]) / total
                rates[index] = rate
                spreads[index] = math.sqrt(rate * (1 - rate) / (total + 1))
            self.field = base.field.patched(indexes, rates, spreads)
        self.rates = rates
        # np.argmax takes the first of equal maxima: ties go to the earliest cell.
        self.best = int(np.argmax(rates))
        self._shares: dict[int, float] = {}
        self._times: dict[int, TimeChoice] = {}

    def rate(self, index: int) -> float:
        return float(self.rates[index])

    def share(self, index: int) -> float:
        """P(Thompson sampling picks the cell ``index``, given this channel)."""
        if index not in self._shares:
            self._shares[index] = self.field.share(index)
        return self._shares[index]

    def time(self, schedule: Schedule, index: int, settings: DecisionSettings) -> TimeChoice:
        if index not in self._times:
            self._times[index] = make_choice(
                schedule.first[index], self.evidence, settings, self.channel_rate
            )
        return self._times[index]


def _own_cells(
    schedule: Schedule, evidence: Mapping[Cell, Evidence], base: Mapping[Cell, Evidence]
) -> dict[int, Tally]:
    """The schedule's cells where ``evidence`` has client counts (only its own layer, if layered)."""
    cells = evidence.own if isinstance(evidence, Layered) and evidence.base is base else evidence
    found: dict[int, Tally] = {}
    for cell, figures in cells.items():
        index = schedule.position.get(cell)
        if index is not None and figures.client.attempts > 0:
            found[index] = figures.client
    return found


class DecisionMemo:
    """What many decisions under one settings share: schedules of equal windows, and the figures of
    channels whose evidence is ``shared``.

    ``shared`` is the evidence of a client with no counters of their own; given it, every evidence
    decided through this memo must have the same group and all-clients levels (only the client level
    may differ), as ``application.decisions.evidence.with_own`` makes them.
    """

    def __init__(
        self, settings: DecisionSettings, shared: Mapping[int, Mapping[Cell, Evidence]] | None = None
    ):
        self.settings = settings
        self._shared = None if shared is None else dict(shared)
        self._shared_source = shared
        self._plans: dict[tuple[int, int], Plan] = {}
        self._schedules: dict[tuple[SendingWindow, datetime], Schedule] = {}
        self._bases: dict[tuple[int, Schedule, float], Arms] = {}
        self._lines: dict[tuple[int, Schedule], Lines] = {}
        self._channel_shares: dict[tuple[tuple[Posterior, ...], int], float] = {}

    def schedule(self, window: SendingWindow, start: datetime) -> Schedule:
        key = (window, start)
        found = self._schedules.get(key)
        if found is None:
            found = Schedule(allowed_slots(window, start, timedelta(days=self.settings.horizon_days)))
            self._schedules[key] = found
        return found

    def arms(
        self, channel_id: int, schedule: Schedule, evidence: Mapping[Cell, Evidence], rate: float
    ) -> Arms:
        root = slot_root(rate)
        if self._shared is None:
            lines = Lines(schedule, evidence, self.settings)
            base = Arms(schedule, evidence, root, self.settings, lines)
            shared: Mapping[Cell, Evidence] = evidence
        else:
            shared = self._shared.get(channel_id, {})
            found_lines = self._lines.get((channel_id, schedule))
            if found_lines is None:
                found_lines = self._lines[(channel_id, schedule)] = Lines(schedule, shared, self.settings)
            lines = found_lines
            key = (channel_id, schedule, root)
            found = self._bases.get(key)
            if found is None:
                found = self._bases[key] = Arms(schedule, shared, root, self.settings, lines)
            base = found
            if evidence is shared or (not evidence and not shared):
                return base
        own = _own_cells(schedule, evidence, shared)
        if not own:
            return base
        return Arms(schedule, evidence, root, self.settings, lines, base, own)

    def plan(
        self,
        ranking: ChannelRanking,
        schedule: Schedule,
        slot_evidence: Mapping[int, Mapping[Cell, Evidence]],
    ) -> Plan:
        """The plan of a ranking over a schedule; kept when the evidence is the shared one (the
        clients without counters of their own share their ranking objects too)."""
        if slot_evidence is not self._shared_source:
            return Plan(ranking, schedule, slot_evidence, self)
        key = (id(ranking), id(schedule))
        found = self._plans.get(key)
        if found is None or found.ranking is not ranking or found.schedule is not schedule:
            found = self._plans[key] = Plan(ranking, schedule, slot_evidence, self)
        return found

    def channel_share(self, ranked: Sequence[RankedChannel], index: int) -> float:
        """P(Thompson sampling picks the ``index``-th ranked channel)."""
        key = _channel_key(ranked, index)
        found = self._channel_shares.get(key)
        if found is None:
            self.prepare([(ranked, index)], [])
            found = self._channel_shares[key]
        return found

    def prepare(
        self, channels: Sequence[tuple[Sequence[RankedChannel], int]], cells: Sequence[tuple[Arms, int]]
    ) -> None:
        """Computes the Thompson shares of these ranked channels and channels' cells not known yet,
        in a few numpy calls for all of them (``thompson.shares``), for ``channel_share`` and
        ``Arms.share`` to find."""
        keys = list(dict.fromkeys(_channel_key(r, i) for r, i in channels))
        keys = [k for k in keys if k not in self._channel_shares]
        for key, share in zip(keys, win_shares([(normals_of(k[0]), k[1]) for k in keys]), strict=True):
            self._channel_shares[key] = share
        asked = list({(id(a), i): (a, i) for a, i in cells if i not in a._shares}.values())
        for (arms, index), share in zip(asked, shares([(a.field, i) for a, i in asked]), strict=True):
            arms._shares[index] = share


def _channel_key(ranked: Sequence[RankedChannel], index: int) -> tuple[tuple[Posterior, ...], int]:
    return tuple((c.estimate.alpha, c.estimate.beta) for c in ranked), index


@dataclass(frozen=True)
class DecisionRequest:
    """What one client's decision needs (``decide``'s arguments but the settings and the memo)."""

    ranking: ChannelRanking
    window: SendingWindow
    start: datetime
    slot_evidence: Mapping[int, Mapping[Cell, Evidence]]
    seed: int
    slots: Sequence[Slot] | None = None


def decide(
    *,
    ranking: ChannelRanking,
    window: SendingWindow,
    start: datetime,
    slot_evidence: Mapping[int, Mapping[Cell, Evidence]],
    settings: DecisionSettings,
    seed: int,
    slots: Sequence[Slot] | None = None,
    memo: DecisionMemo | None = None,
) -> Decision | None:
    """Channel and time for one client; None when no channel or no slot in the horizon is allowed.

    ``slot_evidence`` gives, per channel id, the counts by local weekday x hour; ``slots`` the
    allowed slots when the caller has already listed them (``allowed_slots``); ``memo`` what the
    decisions of one send share (built with the same settings). The greedy choice is the ranked
    channel whose best allowed slot has the best smoothed rate: a channel that is second overall
    may be the best at the hours the client can be reached.
    """
    request = DecisionRequest(ranking, window, start, slot_evidence, seed, slots)
    return decide_many([request], settings=settings, memo=memo)[0]


def decide_many(
    requests: Sequence[DecisionRequest], *, settings: DecisionSettings, memo: DecisionMemo | None = None
) -> list[Decision | None]:
    """``decide`` for each request, equal to deciding them one by one; the Thompson shares behind
    the propensities are computed for all of them together (``DecisionMemo.prepare``): one numpy
    batch, not a few numpy calls per client with counters of its own."""
    if memo is None or not (memo.settings is settings or memo.settings == settings):
        memo = DecisionMemo(settings)
    drafts: list[tuple[int, Plan, Mode, Action]] = []
    for position, request in enumerate(requests):
        if not request.ranking.ranked:
            continue
        if request.slots is None:
            schedule = memo.schedule(request.window, request.start)
        else:
            schedule = Schedule(request.slots)
        if not schedule.slots:
            continue
        plan = memo.plan(request.ranking, schedule, request.slot_evidence)
        if uniform(request.seed, 0) < settings.holdout_share:
            mode, chosen = Mode.HOLDOUT, plan.rule
        elif uniform(request.seed, 1) < settings.exploration_share:
            rng = random.Random(request.seed)  # only the explored draw from a generator
            mode, chosen = Mode.EXPLORE, _thompson(request.ranking.ranked, schedule, plan.arms, rng)
        else:
            mode, chosen = Mode.GREEDY, plan.greedy
        drafts.append((position, plan, mode, chosen))
    if settings.exploration_share > 0:
        needed = [(plan, chosen) for _, plan, _, chosen in drafts if chosen not in plan._propensities]
        memo.prepare(
            [(plan.ranking.ranked, plan.position(chosen)) for plan, chosen in needed],
            [(plan.arms[chosen.channel_id], plan.schedule.index_at[chosen.at]) for plan, chosen in needed],
        )
    found: list[Decision | None] = [None] * len(requests)
    for position, plan, mode, chosen in drafts:
        found[position] = plan.decision(mode, chosen, memo)
    return found


class Plan:
    """What every decision of one ranking over one schedule shares, whatever its seed: the channels'
    figures, the rule's and the greedy action, and the propensities of the actions taken so far."""

    def __init__(
        self,
        ranking: ChannelRanking,
        schedule: Schedule,
        slot_evidence: Mapping[int, Mapping[Cell, Evidence]],
        memo: DecisionMemo,
    ) -> None:
        self.ranking = ranking
        self.schedule = schedule
        self.arms = {
            c.channel_id: memo.arms(
                c.channel_id, schedule, slot_evidence.get(c.channel_id, {}), c.estimate.rate
            )
            for c in ranking.ranked
        }
        self.rule = Action(min(ranking.ranked, key=lambda c: c.priority).channel_id, schedule.slots[0].at)
        self.greedy = _greedy(ranking.ranked, schedule, self.arms)
        self._propensities: dict[Action, float] = {}
        self._explanations: dict[tuple[Mode, TimeChoice, float], str] = {}
        self._decisions: dict[tuple[Mode, Action], Decision] = {}

    def position(self, chosen: Action) -> int:
        """The place of the chosen channel in the ranking."""
        return next(i for i, c in enumerate(self.ranking.ranked) if c.channel_id == chosen.channel_id)

    def decision(self, mode: Mode, chosen: Action, memo: DecisionMemo) -> Decision:
        """The decision to take ``chosen`` in ``mode``; one (immutable) object for every client
        that shares this plan and takes the same action in the same mode."""
        key = (mode, chosen)
        found = self._decisions.get(key)
        if found is None:
            propensity = self.propensity(chosen, memo)
            index = self.schedule.index_at[chosen.at]
            arms = self.arms[chosen.channel_id]
            time = arms.time(self.schedule, index, memo.settings)
            found = self._decisions[key] = Decision(
                chosen.channel_id,
                time,
                mode,
                propensity,
                self.rule,
                self.ranking,
                self.explanation(mode, time, propensity),
                predicted_chosen=arms.rate(index),
                predicted_rule=self.arms[self.rule.channel_id].rate(0),
            )
        return found

    def propensity(self, chosen: Action, memo: DecisionMemo) -> float:
        found = self._propensities.get(chosen)
        if found is None:
            found = self._propensities[chosen] = _propensity(
                chosen, self.rule, self.greedy, self.ranking.ranked, self.schedule, self.arms, memo
            )
        return found

    def explanation(self, mode: Mode, time: TimeChoice, propensity: float) -> str:
        key = (mode, time, propensity)
        found = self._explanations.get(key)
        if found is None:
            found = self._explanations[key] = (
                f"{mode.value}: {self.ranking.explanation}; time {time.explanation}; "
                f"propensity {propensity:.4f}"
            )
        return found


def _greedy(channels: Sequence[RankedChannel], schedule: Schedule, arms: Mapping[int, Arms]) -> Action:
    # Strictly better only: ties go to the better-ranked channel, then to the earliest slot.
    best: tuple[float, Action] | None = None
    for channel in channels:
        figures = arms[channel.channel_id]
        rate = figures.rate(figures.best)
        if best is None or rate > best[0]:
            best = (rate, Action(channel.channel_id, schedule.first[figures.best].at))
    assert best is not None
    return best[1]


def _thompson(
    channels: Sequence[RankedChannel], schedule: Schedule, arms: Mapping[int, Arms], rng: random.Random
) -> Action:
    channel = channels[draw(normals_of([(c.estimate.alpha, c.estimate.beta) for c in channels]), rng)]
    index = arms[channel.channel_id].field.draw(rng)
    return Action(channel.channel_id, schedule.first[index].at)


def _propensity(
    chosen: Action,
    rule: Action,
    greedy: Action,
    channels: Sequence[RankedChannel],
    schedule: Schedule,
    arms: Mapping[int, Arms],
    memo: DecisionMemo,
) -> float:
    """P(chosen) under the whole policy: holdout, greedy, and Thompson's P(channel) x P(slot | channel).

    Thompson's share is at least thompson.FLOOR, so an explored action never gets zero.
    """
    settings = memo.settings
    holdout, explore = settings.holdout_share, settings.exploration_share
    probability = holdout * (chosen == rule) + (1 - holdout) * (1 - explore) * (chosen == greedy)
    if explore > 0:
        position = next(i for i, c in enumerate(channels) if c.channel_id == chosen.channel_id)
        # Known already when decided through ``decide_many`` (DecisionMemo.prepare).
        cell = schedule.index_at[chosen.at]
        share = memo.channel_share(channels, position) * arms[chosen.channel_id].share(cell)
        probability += (1 - holdout) * explore * max(share, FLOOR)
    return min(probability, 1.0)
