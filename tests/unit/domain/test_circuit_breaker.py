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
    breaker.succeeded(0)
    breaker.failed(0, "x")
    assert breaker.state is CircuitState.CLOSED and breaker.consecutive_failures == 1


def test_half_open_lets_one_probe_through_whose_outcome_decides() -> None:
    breaker = CircuitBreaker(failures_to_open=1, cooldown=10)
    breaker.failed(0, "x")
    assert breaker.allows(10) and not breaker.allows(10)  # one probe at a time
    breaker.failed(10, "still down")
    assert breaker.state is CircuitState.OPEN and breaker.open_until == 20 and breaker.opened_count == 2
    assert breaker.allows(20)
    breaker.succeeded(20)
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
            breaker.succeeded(now)
        elif action == "fail":
            breaker.failed(now, "x")
        else:
            was_open_until = breaker.open_until if breaker.state is CircuitState.OPEN else None
            admitted = breaker.allows(now)
            if was_open_until is not None and now < was_open_until:
                assert not admitted
        assert breaker.state is not CircuitState.OPEN or breaker.consecutive_failures >= 1


def test_a_success_of_a_call_begun_before_the_circuit_opened_does_not_close_it() -> None:
    breaker = CircuitBreaker(failures_to_open=2, cooldown=10)
    assert breaker.allows(0)  # a slow call begins while the circuit is closed ...
    breaker.failed(1, "500")
    breaker.failed(2, "500")  # ... the circuit opens meanwhile ...
    breaker.succeeded(0)  # ... and the slow call's answer comes in
    assert breaker.state is CircuitState.OPEN and not breaker.allows(5)
    assert breaker.allows(12) and breaker.state is CircuitState.HALF_OPEN
    breaker.succeeded(0)  # still not the probe's answer
    assert breaker.state is CircuitState.HALF_OPEN and not breaker.allows(13), "the probe keeps its slot"
    breaker.succeeded(12)
    assert breaker.state is CircuitState.CLOSED and breaker.consecutive_failures == 0


def test_a_stale_success_does_not_reset_the_count_of_a_circuit_closed_since() -> None:
    breaker = CircuitBreaker(failures_to_open=2, cooldown=10)
    breaker.failed(1, "x")
    breaker.failed(2, "x")
    assert breaker.allows(12)
    breaker.succeeded(12)
    breaker.failed(13, "x")
    breaker.succeeded(0)  # began before the circuit opened at 2
    assert breaker.consecutive_failures == 1
    breaker.succeeded(13)
    assert breaker.consecutive_failures == 0


def test_a_probe_overtaken_by_a_reopening_does_not_close_the_circuit() -> None:
    breaker = CircuitBreaker(failures_to_open=1, cooldown=10)
    breaker.failed(0, "x")
    assert breaker.allows(10)  # the probe
    breaker.failed(11, "429", retry_after=30)  # another call's answer reopens it meanwhile
    breaker.succeeded(10)
    assert breaker.state is CircuitState.OPEN and not breaker.allows(40)


def test_with_no_cool_down_the_probe_still_closes_the_circuit() -> None:
    breaker = CircuitBreaker(failures_to_open=1, cooldown=0)
    breaker.failed(5, "x")
    assert breaker.allows(5)
    breaker.succeeded(5)
    assert breaker.state is CircuitState.CLOSED


@given(
    st.lists(
        st.tuples(st.sampled_from(["begin", "ok", "fail", "ask"]), st.floats(0.001, 20), st.integers(0, 9)),
        max_size=80,
    )
)
def test_only_an_answer_to_a_call_admitted_since_the_circuit_last_opened_closes_it(
    steps: list[tuple[str, float, int]],
) -> None:
    breaker = CircuitBreaker(failures_to_open=2, cooldown=10)
    now = 0.0
    calls: list[float] = []  # the admission times of calls still awaiting their answer
    opened: float | None = None  # when the circuit last went from not open to open
    for action, later, pick in steps:
        now += later
        was_open = breaker.state is not CircuitState.CLOSED
        if action in ("begin", "ask"):
            if breaker.allows(now):
                calls.append(now)
        elif not calls:
            continue
        else:
            began = calls.pop(pick % len(calls))
            if action == "ok":
                breaker.succeeded(began)
                if was_open and breaker.state is CircuitState.CLOSED:
                    assert opened is not None and began > opened, "a call begun before it opened closed it"
            else:
                before = breaker.opened_count
                breaker.failed(now, "x", retry_after=10 if pick == 0 else None)
                if breaker.opened_count != before:
                    opened = now
    if breaker.state is CircuitState.HALF_OPEN and breaker.probing and calls:
        probe = max(calls)
        breaker.succeeded(probe)
        assert breaker.state is CircuitState.CLOSED, "the probe's answer closes a half-open circuit"
