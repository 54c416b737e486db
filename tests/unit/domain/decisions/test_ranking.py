"""Channel ranking: the allowed, reachable channels by smoothed rate, the rule breaking ties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.decisions import DecisionSettings, Evidence, Exclusion, Level, Tally, estimate, rank_channels
from tests.unit.domain.decisions.builders import (
    CALL,
    CATALOGUE,
    EMAIL,
    MESSENGER,
    PUSH,
    SMS,
    VISIT,
    a_block,
    a_client,
    a_rule,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SETTINGS = DecisionSettings()


def ranking(evidence: dict[int, Evidence], **kwargs):  # type: ignore[no-untyped-def]
    values = {
        "channels": CATALOGUE,
        "rule": a_rule(),
        "type_id": 1,
        "client": a_client(),
        "blocks": (),
        "now": NOW,
        "permitted": None,
        "evidence": evidence,
        "settings": SETTINGS,
        **kwargs,
    }
    return rank_channels(**values)


def test_without_any_data_the_rule_priority_decides_and_says_so() -> None:
    result = ranking({}, rule=a_rule(channel_priority=[EMAIL, SMS]))
    assert [c.channel_id for c in result.ranked][:3] == [EMAIL, SMS, MESSENGER]
    assert {c.estimate.level for c in result.ranked} == {Level.RULE}
    assert "rule's priority" in result.explanation


def test_a_client_with_enough_history_is_decided_at_the_client_level() -> None:
    evidence = {
        SMS: Evidence(client=Tally(2, 20), group=Tally(300, 400), all=Tally(3000, 4000)),
        EMAIL: Evidence(client=Tally(18, 20), group=Tally(100, 400), all=Tally(1000, 4000)),
    }
    best = ranking(evidence, rule=a_rule(channel_priority=[SMS, EMAIL])).ranked[0]
    assert best.channel_id == EMAIL
    assert best.estimate.level is Level.CLIENT
    assert (best.estimate.successes, best.estimate.attempts) == (18, 20)
    assert 0.25 < best.estimate.prior < 0.3  # the group's email rate, itself shrunk toward all clients


def test_a_client_with_little_history_leans_on_its_group() -> None:
    evidence = {
        SMS: Evidence(client=Tally(0, 2), group=Tally(300, 400)),
        EMAIL: Evidence(client=Tally(2, 2), group=Tally(100, 400)),
    }
    best = ranking(evidence).ranked[0]
    assert best.channel_id == SMS
    assert best.estimate.level is Level.GROUP


def test_excluded_channels_carry_their_reason() -> None:
    result = ranking(
        {},
        rule=a_rule(allowed_channel_ids=[SMS, EMAIL, MESSENGER, CALL, PUSH]),
        client=a_client(email=None),
        blocks=(a_block(SMS), a_block(MESSENGER, until=NOW - timedelta(days=1))),
        permitted={EMAIL, MESSENGER, CALL, VISIT, SMS},
    )
    assert {(e.channel_id, e.reason) for e in result.excluded} == {
        (VISIT, Exclusion.NOT_ALLOWED),
        (PUSH, Exclusion.NOT_PERMITTED),
        (SMS, Exclusion.BLOCKED),
        (EMAIL, Exclusion.NO_CONTACT_DATA),
    }
    assert [c.channel_id for c in result.ranked] == [MESSENGER, CALL]  # the block on 3 has expired


def test_old_outcomes_weigh_less_by_the_half_life() -> None:
    from domain.decisions import recency_weight

    assert recency_weight(0, 180) == 1
    assert recency_weight(180, 180) == 0.5
    assert recency_weight(360, 180) == 0.25


def test_the_rate_is_the_client_counts_shrunk_toward_the_group_toward_all_toward_the_rule() -> None:
    settings = DecisionSettings(
        min_client_attempts=10, min_group_attempts=20, min_all_attempts=40, rule_prior_rate=0.5
    )
    figures = estimate(Evidence(client=Tally(5, 10), group=Tally(10, 20), all=Tally(0, 40)), settings)
    all_rate = (0 + 40 * 0.5) / (40 + 40)
    group_rate = (10 + 20 * all_rate) / (20 + 20)
    assert figures.rate == (5 + 10 * group_rate) / (10 + 10)
    assert figures.prior == group_rate


def test_a_linked_chat_makes_a_client_without_handles_reachable_on_messenger() -> None:
    from domain.dictionaries import ChannelKind

    client = a_client(social_media=None)
    without = ranking({}, client=client)
    assert (MESSENGER, Exclusion.NO_CONTACT_DATA) in [(e.channel_id, e.reason) for e in without.excluded]
    linked = ranking({}, client=client, reachable=frozenset({ChannelKind.MESSENGER}))
    assert MESSENGER in [c.channel_id for c in linked.ranked]
    assert MESSENGER not in [e.channel_id for e in linked.excluded]
