"""A provider's circuit: opens after N failures in a row, cools down, lets one probe through."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.providers import CircuitBreaker, CircuitState


def test_opens_after_n_failures_in_a_row_and_stays_open_for_the_cool_down() -> None:
    breaker = CircuitBreaker(failures_to_open=3, cooldown=30)
    for _ in range(2):
        breaker.failed(0, "500")
    assert breaker.state is CircuitState.CLOSED and breaker.allows(0)
    breaker.failed(1, "500")
    assert breaker.state is CircuitState.OPEN
    assert not breaker.allows(30.9)
    assert breaker.allows(31) and breaker.state is CircuitState.HALF_OPEN


def test_a_success_resets_the_count() -> None:
    breaker = CircuitBreaker(failures_to_open=2, cooldown=5)
    breaker.failed(0, "x")
    breaker.succeeded()
    breaker.failed(0, "x")
    assert breaker.state is CircuitState.CLOSED and breaker.consecutive_failures == 1


def test_half_open_lets_one_probe_through_whose_outcome_decides() -> None:
    breaker = CircuitBreaker(failures_to_open=1, cooldown=10)
    breaker.failed(0, "x")
    assert breaker.allows(10) and not breaker.allows(10)  # one probe at a time
    breaker.failed(10, "still down")
    assert breaker.state is CircuitState.OPEN and breaker.open_until == 20 and breaker.opened_count == 2
    assert breaker.allows(20)
    breaker.succeeded()
    assert breaker.state is CircuitState.CLOSED and breaker.allows(20) and breaker.allows(20)


def test_retry_after_pauses_at_once_for_that_long() -> None:
    breaker = CircuitBreaker(failures_to_open=10, cooldown=5)
    breaker.failed(100, "429", retry_after=60)
    assert breaker.state is CircuitState.OPEN and not breaker.allows(159) and breaker.allows(160)


def test_nonsense_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        CircuitBreaker(failures_to_open=0)


@given(st.lists(st.tuples(st.sampled_from(["ok", "fail", "ask"]), st.floats(0, 50)), max_size=60))
def test_an_open_circuit_never_admits_before_its_time(steps: list[tuple[str, float]]) -> None:
    breaker = CircuitBreaker(failures_to_open=3, cooldown=10)
    now = 0.0
    for action, later in steps:
        now += later
        if action == "ok":
            breaker.succeeded()
        elif action == "fail":
            breaker.failed(now, "x")
        else:
            was_open_until = breaker.open_until if breaker.state is CircuitState.OPEN else None
            admitted = breaker.allows(now)
            if was_open_until is not None and now < was_open_until:
                assert not admitted
        assert breaker.state is not CircuitState.OPEN or breaker.consecutive_failures >= 1
