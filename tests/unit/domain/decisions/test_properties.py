"""The decision properties the issue lists, checked by hypothesis over random inputs."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.decisions import (
    DecisionSettings,
    Evidence,
    Exclusion,
    Level,
    SendingWindow,
    Tally,
    decide,
    rank_channels,
)
from domain.organisation import WorkingDay
from domain.rules import QuietHours
from tests.unit.domain.decisions.builders import CATALOGUE, a_block, a_client, a_rule

CHANNEL_IDS = [c.channel_id for c in CATALOGUE]
ZONES = ["UTC", "Europe/Moscow", "Asia/Kolkata", "America/New_York", "Asia/Vladivostok", "Europe/Berlin"]
PROPERTY = settings(max_examples=150, deadline=None)


@st.composite
def tallies(draw: st.DrawFn, most: int = 60) -> Tally:
    attempts = draw(st.integers(0, most))
    return Tally(draw(st.integers(0, attempts)), attempts)


evidences = st.builds(Evidence, client=tallies(), group=tallies(200), all=tallies(2000))
channel_evidence = st.dictionaries(st.sampled_from(CHANNEL_IDS), evidences)
channel_sets = st.sets(st.sampled_from(CHANNEL_IDS))


@st.composite
def ranking_inputs(draw: st.DrawFn) -> dict[str, Any]:
    allowed = sorted(draw(channel_sets))
    priority = draw(st.permutations(allowed).map(lambda p: list(p[: len(p) // 2 + 1]) if p else []))
    client = a_client(
        phones=draw(st.sampled_from([[], ["+79990000001"]])),
        email=draw(st.sampled_from([None, "ivan@example.com"])),
        social_media=draw(st.sampled_from([None, {"telegram": "@ivan"}])),
    )
    return {
        "channels": CATALOGUE,
        "rule": a_rule(allowed_channel_ids=allowed, channel_priority=priority),
        "type_id": 1,
        "client": client,
        "blocks": tuple(a_block(c) for c in draw(channel_sets)),
        "now": datetime(2026, 3, 2, 9, tzinfo=UTC),
        "permitted": draw(st.none() | channel_sets),
        "evidence": draw(channel_evidence),
        "settings": DecisionSettings(),
    }


@PROPERTY
@given(ranking_inputs())
def test_never_a_blocked_disallowed_unpermitted_or_unreachable_channel(inputs: dict[str, Any]) -> None:
    result = rank_channels(**inputs)
    ranked = {c.channel_id for c in result.ranked}
    blocked = {b.channel_id for b in inputs["blocks"]}
    allowed = set(inputs["rule"].allowed_channel_ids) or set(CHANNEL_IDS)
    assert not ranked & blocked
    assert ranked <= allowed
    if inputs["permitted"] is not None:
        assert ranked <= inputs["permitted"]
    client = inputs["client"]
    if not client.phones:
        assert not ranked & {1, 4}
    if client.email is None:
        assert 2 not in ranked
    if not client.social_media:
        assert 3 not in ranked
    assert ranked | {e.channel_id for e in result.excluded} == set(CHANNEL_IDS)
    assert all(e.reason in Exclusion for e in result.excluded)


@PROPERTY
@given(ranking_inputs(), st.data())
def test_one_more_success_never_lowers_that_channels_rank(
    inputs: dict[str, Any], data: st.DataObject
) -> None:
    before = rank_channels(**inputs)
    if not before.ranked:
        return
    channel = data.draw(st.sampled_from([c.channel_id for c in before.ranked]))
    old = inputs["evidence"].get(channel, Evidence())
    success = Tally(1, 1)
    evidence = {
        **inputs["evidence"],
        channel: Evidence(client=old.client + success, group=old.group + success, all=old.all + success),
    }
    after = rank_channels(**{**inputs, "evidence": evidence})
    rank = {c.channel_id: c.rank for c in before.ranked}
    assert {c.channel_id: c.rank for c in after.ranked}[channel] <= rank[channel]


@PROPERTY
@given(ranking_inputs())
def test_a_client_with_no_history_gets_the_groups_answer(inputs: dict[str, Any]) -> None:
    no_history = {c: Evidence(group=e.group, all=e.all) for c, e in inputs["evidence"].items()}
    result = rank_channels(**{**inputs, "evidence": no_history})
    config: DecisionSettings = inputs["settings"]

    def group_rate(channel_id: int) -> float:
        e = no_history.get(channel_id, Evidence())
        all_rate = (e.all.successes + config.min_all_attempts * config.rule_prior_rate) / (
            e.all.attempts + config.min_all_attempts
        )
        return (e.group.successes + config.min_group_attempts * all_rate) / (
            e.group.attempts + config.min_group_attempts
        )

    rates = [round(group_rate(c.channel_id), 12) for c in result.ranked]
    assert rates == sorted(rates, reverse=True)
    assert all(c.estimate.level is not Level.CLIENT for c in result.ranked)
    assert [round(c.estimate.rate, 12) for c in result.ranked] == rates


@st.composite
def windows(draw: st.DrawFn) -> SendingWindow:
    days = draw(st.sets(st.integers(0, 6), min_size=1))
    opens = draw(st.integers(0, 20))
    hours = draw(
        st.none()
        | st.just(tuple(WorkingDay(d, time(opens), time(draw(st.integers(opens + 1, 23)))) for d in range(7)))
    )
    quiet = draw(
        st.none()
        | st.tuples(st.integers(0, 23), st.integers(0, 59), st.integers(0, 23))
        .filter(lambda q: q[0] != q[2])
        .map(lambda q: QuietHours(time(q[0], q[1]), time(q[2])))
    )
    return SendingWindow(
        time_zone=draw(st.sampled_from(ZONES)),
        working_hours=hours or (),
        allowed_weekdays=frozenset(days),
        quiet_hours=quiet,
        sends=tuple(NOW + timedelta(minutes=m) for m in draw(st.lists(st.integers(-3000, 3000), max_size=4))),
        max_per_day=draw(st.none() | st.integers(1, 3)),
        min_interval=draw(st.none() | st.integers(1, 600).map(lambda m: timedelta(minutes=m))),
    )


NOW = datetime(2026, 3, 27, 22, 17, tzinfo=UTC)  # a Friday night, two days before a DST change
slot_evidence = st.dictionaries(
    st.tuples(st.integers(0, 6), st.integers(0, 23)),
    st.builds(Evidence, client=tallies(), group=tallies(200)),
)


@PROPERTY
@given(
    ranking_inputs(),
    windows(),
    st.integers(0, 3000).map(lambda m: NOW + timedelta(minutes=m)),
    st.dictionaries(st.sampled_from(CHANNEL_IDS), slot_evidence, max_size=3),
    st.integers(0, 2**32),
    st.floats(0, 1),
    st.floats(0, 1),
)
def test_never_a_time_in_quiet_hours_outside_the_days_or_hours_or_before_now_and_always_the_same(
    inputs: dict[str, Any],
    window: SendingWindow,
    start: datetime,
    grid: dict[int, Any],
    seed: int,
    explore: float,
    holdout: float,
) -> None:
    config = DecisionSettings(exploration_share=explore, holdout_share=holdout)
    ranking = rank_channels(**{**inputs, "settings": config})

    def run() -> Any:
        return decide(
            ranking=ranking, window=window, start=start, slot_evidence=grid, settings=config, seed=seed
        )

    decision = run()
    if decision is None:
        return
    assert decision == run()
    at = decision.time.at
    local = at.astimezone(window.zone)
    assert at >= start >= NOW
    assert at < start + timedelta(days=config.horizon_days)
    assert (decision.time.weekday, decision.time.hour) == (local.weekday(), local.hour)
    assert local.weekday() in window.allowed_weekdays
    clock = local.time().replace(tzinfo=None)
    if window.quiet_hours is not None:
        assert not window.quiet_hours.contains(clock)
    if window.working_hours:
        day = next(d for d in window.working_hours if d.weekday == local.weekday())
        assert day.opens <= clock < day.closes
    if window.min_interval is not None:
        assert all(abs(at - s) >= window.min_interval for s in window.sends)
    assert decision.channel_id in {c.channel_id for c in ranking.ranked}
    assert 0 < decision.propensity <= 1
