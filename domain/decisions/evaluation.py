"""Proof of lift: holdout lift with a confidence interval, and off-policy estimates of the rule.

Both read logged decisions: the outcome (1 success, 0 not), the propensity of what was chosen,
whether that was also the fixed rule's choice, and the model's predicted rates for the chosen and
the rule's actions (for the doubly robust estimate).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist


@dataclass(frozen=True)
class LoggedDecision:
    reward: float
    propensity: float
    matches_rule: bool
    held_out: bool = False
    predicted_chosen: float = 0.0
    predicted_rule: float = 0.0

    def __post_init__(self) -> None:
        if not 0 < self.propensity <= 1:
            raise ValueError(f"a logged propensity lies in (0, 1], not {self.propensity}")


@dataclass(frozen=True)
class Interval:
    value: float
    low: float
    high: float
    count: int


def _z(confidence: float) -> float:
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def _mean_interval(values: Sequence[float], confidence: float) -> Interval:
    return _interval_of_sums(sum(values), sum(v * v for v in values), len(values), confidence)


def _interval_of_sums(total: float, squares: float, n: int, confidence: float) -> Interval:
    """The mean's normal interval from the sum and the sum of squares of ``n`` values."""
    if n == 0:
        return Interval(math.nan, math.nan, math.nan, 0)
    mean = total / n
    variance = max(squares - total * total / n, 0.0) / (n - 1) if n > 1 else 0.0
    half = _z(confidence) * math.sqrt(variance / n)
    return Interval(mean, mean - half, mean + half, n)


def inverse_propensity(logs: Sequence[LoggedDecision], confidence: float = 0.95) -> Interval:
    """IPS estimate of the fixed rule's success rate on the same traffic."""
    return _mean_interval(
        [log.reward / log.propensity if log.matches_rule else 0.0 for log in logs], confidence
    )


def doubly_robust(logs: Sequence[LoggedDecision], confidence: float = 0.95) -> Interval:
    """Doubly robust estimate of the rule's rate: the model's prediction, corrected where logged."""
    return _mean_interval(
        [
            log.predicted_rule
            + ((log.reward - log.predicted_chosen) / log.propensity if log.matches_rule else 0.0)
            for log in logs
        ],
        confidence,
    )


def observed_rate(logs: Sequence[LoggedDecision], confidence: float = 0.95) -> Interval:
    """The success rate of the automatic decisions actually made (holdout excluded)."""
    return _mean_interval([log.reward for log in logs if not log.held_out], confidence)


@dataclass(frozen=True)
class Lift:
    """Automatic minus rule success rate, with its interval, and the two rates compared."""

    difference: Interval
    auto_rate: float
    rule_rate: float
    method: str

    @property
    def relative(self) -> float:
        return self.difference.value / self.rule_rate if self.rule_rate else math.nan


def holdout_lift(
    auto_successes: float,
    auto_count: int,
    holdout_successes: float,
    holdout_count: int,
    confidence: float = 0.95,
) -> Lift:
    """Difference of two proportions with a Wald interval; NaN figures while an arm is empty."""
    if auto_count == 0 or holdout_count == 0:
        empty = Interval(math.nan, math.nan, math.nan, auto_count + holdout_count)
        return Lift(empty, math.nan, math.nan, "holdout")
    p_auto, p_rule = auto_successes / auto_count, holdout_successes / holdout_count
    se = math.sqrt(p_auto * (1 - p_auto) / auto_count + p_rule * (1 - p_rule) / holdout_count)
    diff = p_auto - p_rule
    half = _z(confidence) * se
    return Lift(
        Interval(diff, diff - half, diff + half, auto_count + holdout_count), p_auto, p_rule, "holdout"
    )


def holdout_lift_of(logs: Sequence[LoggedDecision], confidence: float = 0.95) -> Lift:
    auto = [log.reward for log in logs if not log.held_out]
    held = [log.reward for log in logs if log.held_out]
    return holdout_lift(sum(auto), len(auto), sum(held), len(held), confidence)


def off_policy_lift(logs: Sequence[LoggedDecision], *, robust: bool = True, confidence: float = 0.95) -> Lift:
    """The observed automatic rate minus the off-policy estimate of the rule's, on the same traffic.

    The interval combines the two standard errors as if independent (they share the traffic, so
    it is conservative when both move together).
    """
    auto = observed_rate(logs, confidence)
    rule = doubly_robust(logs, confidence) if robust else inverse_propensity(logs, confidence)
    return _off_policy(auto, rule, len(logs), "doubly robust" if robust else "inverse propensity")


def _off_policy(auto: Interval, rule: Interval, count: int, method: str) -> Lift:
    if auto.count == 0 or rule.count == 0:
        return Lift(Interval(math.nan, math.nan, math.nan, count), auto.value, rule.value, "off-policy")
    half = math.hypot(auto.high - auto.value, rule.high - rule.value)
    diff = auto.value - rule.value
    return Lift(Interval(diff, diff - half, diff + half, count), auto.value, rule.value, method)


HOLDOUT_MODE = "holdout"
FALLBACK_MODE = "fallback"
"""The mode of a channel fallback's follow-up: not a decision of its own (its original counts)."""


@dataclass(frozen=True)
class OutcomeSums:
    """Sufficient statistics of ended decisions of one mode: every lift estimate from sums, so a
    read model can keep them per key and add them up for any scope."""

    outcomes: int = 0
    """Every ended decision, whatever its propensity (the count by mode)."""
    logged: int = 0
    """Those the estimates use: a propensity in (0, 1], not a fallback's follow-up."""
    rewards: float = 0.0
    inverse: float = 0.0
    """Sum of the inverse-propensity terms (``inverse_propensity``), and of their squares below."""
    inverse_squares: float = 0.0
    robust: float = 0.0
    """Sum of the doubly robust terms (``doubly_robust``), and of their squares below."""
    robust_squares: float = 0.0

    def __add__(self, other: OutcomeSums) -> OutcomeSums:
        return OutcomeSums(
            self.outcomes + other.outcomes,
            self.logged + other.logged,
            *(a + b for a, b in zip(self.values()[2:], other.values()[2:], strict=True)),
        )

    def __neg__(self) -> OutcomeSums:
        return OutcomeSums(-self.outcomes, -self.logged, *(-v for v in self.values()[2:]))

    def values(self) -> tuple[float, ...]:
        return (
            self.outcomes,
            self.logged,
            self.rewards,
            self.inverse,
            self.inverse_squares,
            self.robust,
            self.robust_squares,
        )


def outcome_sums(mode: str, log: LoggedDecision | None) -> OutcomeSums:
    """What one ended decision adds; ``log`` is None when the estimates leave it out."""
    if log is None or mode == FALLBACK_MODE:
        return OutcomeSums(outcomes=1)
    inverse = log.reward / log.propensity if log.matches_rule else 0.0
    robust = log.predicted_rule + (
        (log.reward - log.predicted_chosen) / log.propensity if log.matches_rule else 0.0
    )
    return OutcomeSums(1, 1, log.reward, inverse, inverse * inverse, robust, robust * robust)


@dataclass(frozen=True)
class Lifts:
    holdout: Lift
    inverse_propensity: Lift
    doubly_robust: Lift
    decisions: int
    """Decisions the estimates used."""


def lifts_of_sums(by_mode: dict[str, OutcomeSums], confidence: float = 0.95) -> Lifts:
    """The holdout and off-policy lifts from sums by mode: the same figures as from the logs."""
    held = by_mode.get(HOLDOUT_MODE, OutcomeSums())
    auto = sum((s for m, s in by_mode.items() if m not in (HOLDOUT_MODE, FALLBACK_MODE)), OutcomeSums())
    every = auto + held
    observed = _interval_of_sums(auto.rewards, auto.rewards, auto.logged, confidence)
    rule_ips = _interval_of_sums(every.inverse, every.inverse_squares, every.logged, confidence)
    rule_dr = _interval_of_sums(every.robust, every.robust_squares, every.logged, confidence)
    return Lifts(
        holdout=holdout_lift(auto.rewards, auto.logged, held.rewards, held.logged, confidence),
        inverse_propensity=_off_policy(observed, rule_ips, every.logged, "inverse propensity"),
        doubly_robust=_off_policy(observed, rule_dr, every.logged, "doubly robust"),
        decisions=every.logged,
    )
