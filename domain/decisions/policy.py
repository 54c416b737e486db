"""One decision for one client: greedy, explored by Thompson sampling, or held out for the rule.

Randomness comes only from the seed the caller passes (derive it with ``seed_for``), so equal
inputs give equal decisions. Each decision keeps its propensity, the probability with which the
policy chose what it chose, for the off-policy estimate of the fixed rule. Thompson sampling draws
the channel first and then the slot from that channel's figures, independently, so its share of an
action is P(channel) x P(slot | channel), each computed without drawing (``thompson.win_share``).

The decisions of one send share a ``DecisionMemo``: the allowed slots of equal windows, and the
figures, best slot and shares of a channel whose evidence is the send's shared one (clients with no
counters of their own), are worked out once. A memo is a cache of pure functions, nothing more.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from domain.decisions.channels import ChannelRanking, RankedChannel
from domain.decisions.evidence import DecisionSettings, Evidence, group_line
from domain.decisions.thompson import FLOOR, Normal, Posterior, draw, normals_of, win_share
from domain.decisions.timing import Cell, SendingWindow, Slot, TimeChoice, allowed_slots, make_choice

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


Line = tuple[float, float]


def lines_of(schedule: Schedule, evidence: Mapping[Cell, Evidence], settings: DecisionSettings) -> list[Line]:
    """Each cell's group-level rate as a line in the channel's rate (``evidence.group_line``)."""
    return [group_line(evidence.get(cell, NO_EVIDENCE), settings) for cell in schedule.cells]


class Arms:
    """One channel's figures over a schedule's cells: smoothed rate and Beta posterior of each.

    ``lines`` are the cells' group and all-clients levels (``lines_of``); only the client level and
    the channel's rate are the client's own.
    """

    def __init__(
        self,
        schedule: Schedule,
        evidence: Mapping[Cell, Evidence],
        channel_rate: float,
        settings: DecisionSettings,
        lines: Sequence[Line],
    ) -> None:
        self.evidence = evidence
        self.channel_rate = channel_rate
        strength = settings.min_client_attempts
        rates: list[float] = []
        normals: list[Normal] = []
        sqrt = math.sqrt
        for cell, (base, slope) in zip(schedule.cells, lines, strict=True):
            group_rate = base + slope * channel_rate
            found = evidence.get(cell)
            successes, attempts = (
                (0.0, 0.0) if found is None else (found.client.successes, found.client.attempts)
            )
            # Beta(alpha, beta) with alpha + beta = total; its mean is the cell's smoothed rate.
            alpha = successes + strength * group_rate
            total = attempts + strength
            rate = alpha / total
            rates.append(rate)
            normals.append((rate, sqrt(rate * (1 - rate) / (total + 1))))
        self.rates = rates
        self.normals = normals
        # Strictly better only: ties go to the earliest cell.
        self.best = max(range(len(rates)), key=lambda i: (rates[i], -i))
        self._shares: dict[int, float] = {}
        self._times: dict[int, TimeChoice] = {}

    def share(self, index: int) -> float:
        """P(Thompson sampling picks the cell ``index``, given this channel)."""
        if index not in self._shares:
            self._shares[index] = win_share(self.normals, index)
        return self._shares[index]

    def time(self, schedule: Schedule, index: int, settings: DecisionSettings) -> TimeChoice:
        if index not in self._times:
            self._times[index] = make_choice(
                schedule.first[index], self.evidence, settings, self.channel_rate
            )
        return self._times[index]


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
        self._schedules: dict[tuple[SendingWindow, datetime], Schedule] = {}
        self._arms: dict[tuple[int, Schedule, float], Arms] = {}
        self._lines: dict[tuple[int, Schedule], list[Line]] = {}
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
        if self._shared is None:
            return Arms(schedule, evidence, rate, self.settings, lines_of(schedule, evidence, self.settings))
        shared = self._shared.get(channel_id, {})
        lines = self._lines.get((channel_id, schedule))
        if lines is None:
            lines = self._lines[(channel_id, schedule)] = lines_of(schedule, shared, self.settings)
        if not (evidence is shared or (not evidence and not shared)):
            return Arms(schedule, evidence, rate, self.settings, lines)
        key = (channel_id, schedule, rate)
        found = self._arms.get(key)
        if found is None:
            found = self._arms[key] = Arms(schedule, evidence, rate, self.settings, lines)
        return found

    def channel_share(self, ranked: Sequence[RankedChannel], index: int) -> float:
        """P(Thompson sampling picks the ``index``-th ranked channel)."""
        key = (tuple((c.estimate.alpha, c.estimate.beta) for c in ranked), index)
        found = self._channel_shares.get(key)
        if found is None:
            found = self._channel_shares[key] = win_share(normals_of(key[0]), index)
        return found


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
    if not ranking.ranked:
        return None
    if memo is None or not (memo.settings is settings or memo.settings == settings):
        memo = DecisionMemo(settings)
    schedule = memo.schedule(window, start) if slots is None else Schedule(slots)
    if not schedule.slots:
        return None
    arms = {
        c.channel_id: memo.arms(c.channel_id, schedule, slot_evidence.get(c.channel_id, {}), c.estimate.rate)
        for c in ranking.ranked
    }
    rule = Action(min(ranking.ranked, key=lambda c: c.priority).channel_id, schedule.slots[0].at)
    greedy = _greedy(ranking.ranked, schedule, arms)
    rng = random.Random(seed)
    draw = rng.random()
    if draw < settings.holdout_share:
        mode, chosen = Mode.HOLDOUT, rule
    elif rng.random() < settings.exploration_share:
        mode, chosen = Mode.EXPLORE, _thompson(ranking.ranked, schedule, arms, rng)
    else:
        mode, chosen = Mode.GREEDY, greedy
    propensity = _propensity(chosen, rule, greedy, ranking.ranked, schedule, arms, memo)
    index = schedule.index_at[chosen.at]
    time = arms[chosen.channel_id].time(schedule, index, settings)
    explanation = f"{mode.value}: {ranking.explanation}; time {time.explanation}; propensity {propensity:.4f}"
    return Decision(
        chosen.channel_id,
        time,
        mode,
        propensity,
        rule,
        ranking,
        explanation,
        predicted_chosen=arms[chosen.channel_id].rates[index],
        predicted_rule=arms[rule.channel_id].rates[0],
    )


def _greedy(channels: Sequence[RankedChannel], schedule: Schedule, arms: Mapping[int, Arms]) -> Action:
    # Strictly better only: ties go to the better-ranked channel, then to the earliest slot.
    best: tuple[float, Action] | None = None
    for channel in channels:
        figures = arms[channel.channel_id]
        rate = figures.rates[figures.best]
        if best is None or rate > best[0]:
            best = (rate, Action(channel.channel_id, schedule.first[figures.best].at))
    assert best is not None
    return best[1]


def _thompson(
    channels: Sequence[RankedChannel], schedule: Schedule, arms: Mapping[int, Arms], rng: random.Random
) -> Action:
    channel = channels[draw(normals_of([(c.estimate.alpha, c.estimate.beta) for c in channels]), rng)]
    index = draw(arms[channel.channel_id].normals, rng)
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
        cell = schedule.index_at[chosen.at]
        share = memo.channel_share(channels, position) * arms[chosen.channel_id].share(cell)
        probability += (1 - holdout) * explore * max(share, FLOOR)
    return min(probability, 1.0)
