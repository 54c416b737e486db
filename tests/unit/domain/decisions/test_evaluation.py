"""Proof of lift: holdout difference with its interval, and the off-policy value of the rule."""

from __future__ import annotations

import random

import pytest

from domain.communications import DeliveryStatus, LifecycleStatus
from domain.decisions.evaluation import (
    LoggedDecision,
    doubly_robust,
    holdout_lift,
    inverse_propensity,
    off_policy_lift,
)
from domain.decisions.measures import is_delivered, is_response


def test_the_two_measures() -> None:
    assert is_delivered(LifecycleStatus.DONE, DeliveryStatus.READ)
    assert not is_response(LifecycleStatus.DONE, DeliveryStatus.READ)
    assert is_response(LifecycleStatus.DONE, DeliveryStatus.RESPONDED)
    assert is_response(LifecycleStatus.DONE, None)  # a call that took place
    assert not is_delivered(LifecycleStatus.FAILED, None)
    assert not is_delivered(LifecycleStatus.DONE, DeliveryStatus.UNDELIVERED)


def test_holdout_lift_is_the_difference_of_rates_with_a_wald_interval() -> None:
    lift = holdout_lift(300, 1000, 20, 100)
    assert lift.difference.value == pytest.approx(0.1)
    assert lift.difference.low == pytest.approx(0.1 - 1.959964 * (0.3 * 0.7 / 1000 + 0.2 * 0.8 / 100) ** 0.5)
    assert lift.relative == pytest.approx(0.5)


def test_inverse_propensity_recovers_the_rules_rate_from_logged_traffic() -> None:
    # A logging policy that picks the rule's action with probability 0.3; the rule succeeds 60%,
    # the other action 20%. The rule's true value is 0.6.
    rng = random.Random(5)
    logs = []
    for _ in range(20_000):
        matches = rng.random() < 0.3
        reward = float(rng.random() < (0.6 if matches else 0.2))
        logs.append(LoggedDecision(reward, 0.3 if matches else 0.7, matches, False, 0.5, 0.5))
    ips = inverse_propensity(logs)
    assert ips.low < 0.6 < ips.high
    assert doubly_robust(logs).value == pytest.approx(0.6, abs=0.03)
    lift = off_policy_lift(logs)
    assert lift.auto_rate == pytest.approx(0.3 * 0.6 + 0.7 * 0.2, abs=0.02)
    assert lift.difference.value == pytest.approx(0.32 - 0.6, abs=0.04)


def test_a_propensity_outside_zero_one_is_refused() -> None:
    with pytest.raises(ValueError):
        LoggedDecision(1.0, 0.0, True)
