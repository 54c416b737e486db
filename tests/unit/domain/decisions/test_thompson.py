"""The Thompson shares computed against counted draws, the memo against no memo, and a ranking
patched with a client's own estimates against the ranking of its evidence."""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.decisions import (
    ChannelOption,
    ChannelRanking,
    Decision,
    DecisionMemo,
    DecisionRequest,
    DecisionSettings,
    Evidence,
    Mode,
    SendingWindow,
    Tally,
    decide,
    decide_many,
    rank_channels,
)
from domain.decisions.channels import reranked
from domain.decisions.evidence import Layered, estimate
from domain.decisions.policy import uniform
from domain.decisions.thompson import FLOOR, draw, normals_of, win_share, win_shares
from tests.unit.domain.decisions.builders import CATALOGUE, a_client, a_rule

START = datetime(2026, 3, 2, 9, tzinfo=UTC)


def counted_shares(posteriors: list[tuple[float, float]], draws: int, seed: int) -> list[float]:
    rng = random.Random(seed)
    normals = normals_of(posteriors)
    hits = [0] * len(posteriors)
    for _ in range(draws):
        hits[draw(normals, rng)] += 1
    return [h / draws for h in hits]


@settings(max_examples=15, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0.05, 0.6), st.sampled_from([10.0, 14.0, 40.0, 300.0])), min_size=2, max_size=40
    ),
    st.integers(0, 2**32),
)
def test_the_shares_agree_with_counted_thompson_draws(arms: list[tuple[float, float]], seed: int) -> None:
    posteriors = [(rate * strength, (1 - rate) * strength) for rate, strength in arms]
    counted = counted_shares(posteriors, 6_000, seed)
    normals = normals_of(posteriors)
    computed = [win_share(normals, i) for i in range(len(posteriors))]
    assert abs(sum(computed) - 1) < 0.005 + FLOOR * len(arms)
    # 6,000 draws carry at most ~0.0065 of noise (one standard deviation): four of them.
    assert max(abs(c - n) for c, n in zip(computed, counted, strict=True)) < 0.026


def test_a_hopeless_arm_gets_the_floor_and_a_sure_one_all_but_it() -> None:
    normals = normals_of([(990.0, 10.0), (10.0, 990.0)])
    assert win_share(normals, 1) == FLOOR
    assert win_share(normals, 0) > 0.999
    assert win_share(normals_of([(1.0, 1.0)]), 0) == 1.0


def explored_settings() -> DecisionSettings:
    return DecisionSettings(exploration_share=0.3, holdout_share=0.1)


def some_evidence(seed: int) -> dict[int, dict[tuple[int, int], Evidence]]:
    rng = random.Random(seed)
    by_channel: dict[int, dict[tuple[int, int], Evidence]] = {}
    for option in CATALOGUE[:3]:
        cells = {}
        for _ in range(40):
            attempts = rng.randint(0, 80)
            cells[(rng.randint(0, 6), rng.randint(0, 23))] = Evidence(
                all=Tally(rng.randint(0, attempts), attempts)
            )
        by_channel[option.channel_id] = cells
    return by_channel


def ranked(
    channels: tuple[ChannelOption, ...], evidence: dict[int, Evidence], config: DecisionSettings
) -> ChannelRanking:
    return rank_channels(
        channels=channels,
        rule=a_rule(),
        type_id=1,
        client=a_client(),
        blocks=(),
        now=START,
        permitted=None,
        evidence=evidence,
        settings=config,
    )


def decided(
    ranking: ChannelRanking,
    window: SendingWindow,
    start: datetime,
    evidence: Mapping[int, Mapping[tuple[int, int], Evidence]],
    config: DecisionSettings,
    seed: int,
    memo: DecisionMemo | None = None,
) -> Decision | None:
    return decide(
        ranking=ranking,
        window=window,
        start=start,
        slot_evidence=evidence,
        settings=config,
        seed=seed,
        memo=memo,
    )


def test_decisions_through_one_memo_equal_those_without() -> None:
    config = explored_settings()
    shared = some_evidence(3)
    memo = DecisionMemo(config, shared)
    channel_evidence = {
        c: Evidence(all=sum((e.all for e in cells.values()), Tally())) for c, cells in shared.items()
    }
    ranking = ranked(CATALOGUE, channel_evidence, config)
    window = SendingWindow(time_zone="Europe/Moscow")
    modes = set()
    for seed in range(60):
        start = START + timedelta(hours=seed % 3)
        alone = decided(ranking, window, start, shared, config, seed)
        shared_memo = decided(ranking, window, start, shared, config, seed, memo)
        assert alone is not None and alone == shared_memo
        assert shared_memo is not None and alone.propensity == shared_memo.propensity
        assert alone.time.grid == shared_memo.time.grid
        modes.add(alone.mode)
    assert len(modes) == 3


def test_the_propensity_of_an_explored_action_matches_how_often_the_policy_takes_it() -> None:
    config = explored_settings()
    shared = some_evidence(5)
    ranking = ranked(CATALOGUE[:3], {c: Evidence(all=Tally(30, 100 + 20 * c)) for c in shared}, config)
    window = SendingWindow(time_zone="UTC", allowed_weekdays=frozenset({0}))
    memo = DecisionMemo(config, shared)
    taken: dict[tuple[int, datetime], int] = {}
    propensity: dict[tuple[int, datetime], float] = {}
    runs = 4_000
    for seed in range(runs):
        decision = decided(ranking, window, START, shared, config, seed, memo)
        assert decision is not None
        key = (decision.channel_id, decision.time.at)
        taken[key] = taken.get(key, 0) + 1
        propensity[key] = decision.propensity
    assert len(taken) > 3
    for key, count in taken.items():
        if count >= 100:
            assert abs(count / runs - propensity[key]) < 0.03, key


def with_own_counts(
    shared: dict[int, dict[tuple[int, int], Evidence]], seed: int
) -> tuple[dict[int, Evidence], dict[int, Layered[tuple[int, int]]]]:
    """One client's own counts on a few cells of two channels, laid over ``shared``."""
    rng = random.Random(seed)
    by_slot: dict[int, Layered[tuple[int, int]]] = {}
    totals: dict[int, Evidence] = {}
    for channel_id in list(shared)[:2]:
        own = {}
        for _ in range(3):
            cell = (rng.randint(0, 6), rng.randint(0, 23))
            attempts = rng.randint(1, 15)
            base = shared[channel_id].get(cell, Evidence())
            own[cell] = Evidence(client=Tally(rng.randint(0, attempts), attempts), all=base.all)
        by_slot[channel_id] = Layered(shared[channel_id], own)
        totals[channel_id] = Evidence(
            client=sum((e.client for e in own.values()), Tally()),
            all=sum((e.all for e in shared[channel_id].values()), Tally()),
        )
    return totals, by_slot


def test_a_client_with_counts_of_its_own_decides_the_same_through_a_memo_and_without() -> None:
    config = explored_settings()
    shared = some_evidence(7)
    memo = DecisionMemo(config, shared)
    shared_channels = {
        c: Evidence(all=sum((e.all for e in cells.values()), Tally())) for c, cells in shared.items()
    }
    window = SendingWindow(time_zone="Asia/Tokyo")
    explored = 0
    for seed in range(40):
        totals, layered = with_own_counts(shared, seed)
        slot_evidence = {**shared, **layered}
        ranking = ranked(CATALOGUE, {**shared_channels, **totals}, config)
        alone = decide(
            ranking=ranking,
            window=window,
            start=START,
            slot_evidence=slot_evidence,
            settings=config,
            seed=seed,
        )
        plain = {c: dict(cells) for c, cells in slot_evidence.items()}  # no layers: every cell looked at
        unlayered = decided(ranking, window, START, plain, config, seed)
        through = decided(ranking, window, START, slot_evidence, config, seed, memo)
        assert alone is not None and through is not None and unlayered is not None
        assert alone == through == unlayered
        assert alone.propensity == through.propensity == unlayered.propensity
        explored += alone.mode.value == "explore"
    assert explored > 0


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_a_ranking_with_some_estimates_replaced_equals_the_ranking_of_that_evidence(seed: int) -> None:
    config = DecisionSettings()
    rng = random.Random(seed)
    shared = {
        o.channel_id: Evidence(all=Tally(rng.randint(0, 40), 40 + rng.randint(0, 40))) for o in CATALOGUE
    }
    changed = {
        o.channel_id: Evidence(client=Tally(rng.randint(0, 5), 5), all=shared[o.channel_id].all)
        for o in CATALOGUE
        if rng.random() < 0.5
    }
    before = ranked(CATALOGUE, shared, config)
    expected = ranked(CATALOGUE, {**shared, **changed}, config)
    estimates = {
        c: estimate(e, config) for c, e in changed.items() if c in {r.channel_id for r in before.ranked}
    }
    assert reranked(before, estimates, config) == expected


def test_a_batch_of_decisions_equals_each_decided_alone() -> None:
    """decide_many computes the Thompson shares of all its clients in one numpy batch: each
    decision, its propensity to the last bit, is the one that client gets alone."""
    config = explored_settings()
    shared = some_evidence(11)
    shared_channels = {
        c: Evidence(all=sum((e.all for e in cells.values()), Tally())) for c, cells in shared.items()
    }
    memo = DecisionMemo(config, shared)
    zones = ("Europe/Moscow", "Asia/Tokyo", "America/New_York")
    asked = []
    for seed in range(90):
        if seed % 3:  # counters of its own on a few cells
            totals, layered = with_own_counts(shared, seed)
            evidence: Mapping[int, Mapping[tuple[int, int], Evidence]] = {**shared, **layered}
            ranking = ranked(CATALOGUE, {**shared_channels, **totals}, config)
        else:
            evidence, ranking = shared, ranked(CATALOGUE, shared_channels, config)
        window = SendingWindow(time_zone=zones[seed % 3])
        asked.append(DecisionRequest(ranking, window, START + timedelta(hours=seed % 5), evidence, seed))
    together = decide_many(asked, settings=config, memo=memo)
    alone = [
        decided(r.ranking, r.window, r.start, r.slot_evidence, config, r.seed, DecisionMemo(config, shared))
        for r in asked
    ]
    assert together == alone
    assert [d.propensity for d in together if d] == [d.propensity for d in alone if d]
    assert {d.mode for d in together if d} == {Mode.GREEDY, Mode.EXPLORE, Mode.HOLDOUT}


@settings(max_examples=20, deadline=None)
@given(
    st.lists(
        st.lists(st.tuples(st.floats(0.05, 0.6), st.floats(10.0, 400.0)), min_size=1, max_size=12),
        min_size=1,
        max_size=30,
    )
)
def test_batched_shares_equal_shares_one_field_at_a_time(fields: list[list[tuple[float, float]]]) -> None:
    asked = [
        (normals_of([(rate * strength, (1 - rate) * strength) for rate, strength in arms]), k % len(arms))
        for k, arms in enumerate(fields)
    ]
    assert win_shares(asked) == [win_share(normals, index) for normals, index in asked]


def test_the_holdout_and_exploration_draws_are_uniform_even_for_consecutive_seeds() -> None:
    seeds = range(20_000)
    for stream in (0, 1):
        draws = [uniform(seed, stream) for seed in seeds]
        assert all(0.0 <= d < 1.0 for d in draws)
        for share in (0.05, 0.1, 0.5):
            assert abs(sum(d < share for d in draws) / len(draws) - share) < 0.01
    # The two streams of one seed are not the same draw.
    assert sum(uniform(s, 0) < 0.1 and uniform(s, 1) < 0.1 for s in seeds) / len(seeds) < 0.02
