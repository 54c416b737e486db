"""Success counts, recency weighting and the Beta-binomial shrinkage chain shared by decisions.

The chain: the client's own counts are shrunk toward its group's (or department's) rate, which is
shrunk toward the rate of all clients, which is shrunk toward the rule's fixed prior. Each level's
minimum-data threshold is also its prior strength (pseudo-attempts): a level with as many attempts
as its threshold weighs as much as everything above it, and is then the level that decided. Adding
data never moves a rate discontinuously, so one more success can only raise it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from domain.decisions.measures import DEFAULT_OBJECTIVE, Measure


class Level(StrEnum):
    """Which level's data decided a rate: the most specific one with enough data."""

    CLIENT = "client"
    GROUP = "group"
    ALL = "all"
    RULE = "rule"


@dataclass(frozen=True)
class Tally:
    """Successes out of attempts; weighted by recency, so both may be fractional."""

    successes: float = 0.0
    attempts: float = 0.0

    def __post_init__(self) -> None:
        if self.attempts < 0 or self.successes < 0 or self.successes > self.attempts + 1e-9:
            raise ValueError(f"impossible tally: {self.successes} successes of {self.attempts}")

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.successes + other.successes, self.attempts + other.attempts)

    def record(self, success: bool, weight: float = 1.0) -> Tally:
        return Tally(self.successes + (weight if success else 0.0), self.attempts + weight)


EMPTY = Tally()


def recency_weight(age_days: float, half_life_days: float) -> float:
    """Weight of an outcome ``age_days`` old: halves every half-life; the future counts fully."""
    return float(0.5 ** (max(age_days, 0.0) / half_life_days))


@dataclass(frozen=True)
class DecisionSettings:
    """Every threshold and default of the decisions, each named in the explanations."""

    objective: Measure = DEFAULT_OBJECTIVE
    half_life_days: float = 180.0
    horizon_days: int = 7
    min_client_attempts: float = 10.0
    min_group_attempts: float = 30.0
    min_all_attempts: float = 50.0
    rule_prior_rate: float = 0.5
    """The rule level's rate before any data: equal for every channel, so its priority decides."""
    exploration_share: float = 0.0
    holdout_share: float = 0.0

    def __post_init__(self) -> None:
        if self.half_life_days <= 0:
            raise ValueError("half_life_days must be positive")
        if self.horizon_days < 1:
            raise ValueError("horizon_days must be at least 1")
        if min(self.min_client_attempts, self.min_group_attempts, self.min_all_attempts) <= 0:
            raise ValueError("minimum-data thresholds must be positive")
        if not 0 < self.rule_prior_rate < 1:
            raise ValueError("rule_prior_rate must lie strictly between 0 and 1")
        if not 0 <= self.exploration_share <= 1 or not 0 <= self.holdout_share <= 1:
            raise ValueError("exploration_share and holdout_share are shares between 0 and 1")

    def describe(self) -> str:
        return (
            f"objective {self.objective.value}; half-life {self.half_life_days:g} days; "
            f"minimum data: client {self.min_client_attempts:g}, group {self.min_group_attempts:g}, "
            f"all clients {self.min_all_attempts:g} attempts; rule prior {self.rule_prior_rate:g}"
        )


@dataclass(frozen=True)
class Estimate:
    """A smoothed rate with the figures that made it."""

    successes: float
    attempts: float
    prior: float
    """The rate of the level above, toward which this level's counts were shrunk."""
    rate: float
    level: Level
    alpha: float
    """Posterior Beta parameters (for Thompson sampling)."""
    beta: float


@dataclass(frozen=True)
class Evidence:
    """The counts of one arm (a channel, or a weekday x hour slot) at each level of the chain."""

    client: Tally = EMPTY
    group: Tally = EMPTY
    all: Tally = EMPTY


def _shrink(tally: Tally, prior: float, strength: float) -> float:
    return (tally.successes + strength * prior) / (tally.attempts + strength)


def _rates(
    evidence: Evidence, settings: DecisionSettings, root_prior: float | None
) -> tuple[float, float, float]:
    rule_rate = settings.rule_prior_rate if root_prior is None else root_prior
    all_rate = _shrink(evidence.all, rule_rate, settings.min_all_attempts)
    group_rate = _shrink(evidence.group, all_rate, settings.min_group_attempts)
    return rule_rate, all_rate, group_rate


def group_line(evidence: Evidence, settings: DecisionSettings) -> tuple[float, float]:
    """(a, b) with the group level's rate = a + b x the root prior: the shrinkage is linear in it,
    so the policy computes the levels above the client once per cell and only the root per client."""
    all_weight = settings.min_all_attempts / (evidence.all.attempts + settings.min_all_attempts)
    group_weight = settings.min_group_attempts / (evidence.group.attempts + settings.min_group_attempts)
    all_part = evidence.all.successes / (evidence.all.attempts + settings.min_all_attempts)
    group_part = evidence.group.successes / (evidence.group.attempts + settings.min_group_attempts)
    return group_part + group_weight * all_part, group_weight * all_weight


def posterior(
    evidence: Evidence, settings: DecisionSettings, root_prior: float | None = None
) -> tuple[float, float, float]:
    """``estimate``'s (rate, alpha, beta) without its figures: the fast path of the policy.

    The Beta's pseudo-counts are the client level's prior strength around the group's rate.
    """
    return _client_posterior(evidence.client, _rates(evidence, settings, root_prior)[2], settings)


def _client_posterior(
    client: Tally, group_rate: float, settings: DecisionSettings
) -> tuple[float, float, float]:
    strength = settings.min_client_attempts
    return (
        _shrink(client, group_rate, strength),
        client.successes + strength * group_rate,
        (client.attempts - client.successes) + strength * (1 - group_rate),
    )


def estimate(evidence: Evidence, settings: DecisionSettings, root_prior: float | None = None) -> Estimate:
    """The client-level posterior of one arm, shrunk through group, all clients and the rule."""
    rule_rate, all_rate, group_rate = _rates(evidence, settings, root_prior)
    client_rate, alpha, beta = _client_posterior(evidence.client, group_rate, settings)
    if evidence.client.attempts >= settings.min_client_attempts:
        level, decided, prior = Level.CLIENT, evidence.client, group_rate
    elif evidence.group.attempts >= settings.min_group_attempts:
        level, decided, prior = Level.GROUP, evidence.group, all_rate
    elif evidence.all.attempts >= settings.min_all_attempts:
        level, decided, prior = Level.ALL, evidence.all, rule_rate
    else:
        level, decided, prior = Level.RULE, evidence.all, rule_rate
    return Estimate(
        successes=decided.successes,
        attempts=decided.attempts,
        prior=prior,
        rate=client_rate,
        level=level,
        alpha=alpha,
        beta=beta,
    )


Key = TypeVar("Key")


class Layered(Mapping[Key, "Evidence"]):
    """A shared mapping of evidence with a few entries of one client's laid over it, unchanged.

    The policy patches only ``own`` over figures it computed for ``base`` (shared by many clients).
    """

    def __init__(self, base: Mapping[Key, Evidence], own: Mapping[Key, Evidence]) -> None:
        self.base = base
        self.own = own

    def __getitem__(self, key: Key) -> Evidence:
        found = self.own.get(key)
        return self.base[key] if found is None else found

    def __iter__(self) -> Iterator[Key]:
        yield from self.own
        yield from (key for key in self.base if key not in self.own)

    def __len__(self) -> int:
        return len(self.base) + sum(1 for key in self.own if key not in self.base)
