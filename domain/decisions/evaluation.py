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
    n = len(values)
    if n == 0:
        return Interval(math.nan, math.nan, math.nan, 0)
    mean = sum(values) / n
    variance = sum((v - mean) ** 2 for v in values) / (n - 1) if n > 1 else 0.0
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
    if auto.count == 0 or rule.count == 0:
        return Lift(Interval(math.nan, math.nan, math.nan, len(logs)), auto.value, rule.value, "off-policy")
    half = math.hypot(auto.high - auto.value, rule.high - rule.value)
    diff = auto.value - rule.value
    method = "doubly robust" if robust else "inverse propensity"
    return Lift(Interval(diff, diff - half, diff + half, len(logs)), auto.value, rule.value, method)
