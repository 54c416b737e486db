"""A department's sending rule: quiet hours, weekdays, caps and the channels it allows."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

import pytest

from domain.errors import ValidationFailed
from domain.rules import QuietHours, Rule

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def rule(**values: Any) -> Rule:
    return Rule(**{"department_id": 1, "name": "Default", "create_time": NOW, "update_time": NOW, **values})


def fields_of(error: pytest.ExceptionInfo[ValidationFailed]) -> list[str]:
    return [e.field for e in error.value.errors]


@pytest.mark.parametrize(
    ("moment", "quiet"),
    [
        (time(12, 59), False),
        (time(13, 0), True),
        (time(13, 59), True),
        (time(14, 0), False),
    ],
)
def test_quiet_hours_within_a_day_include_the_start_and_exclude_the_end(moment: time, quiet: bool) -> None:
    assert QuietHours(time(13, 0), time(14, 0)).contains(moment) is quiet


@pytest.mark.parametrize(
    ("moment", "quiet"),
    [
        (time(21, 59), False),
        (time(22, 0), True),
        (time(23, 59), True),
        (time(0, 0), True),
        (time(7, 59), True),
        (time(8, 0), False),
        (time(12, 0), False),
    ],
)
def test_quiet_hours_may_wrap_midnight(moment: time, quiet: bool) -> None:
    assert QuietHours(time(22, 0), time(8, 0)).contains(moment) is quiet


def test_a_rule_allows_everything_when_its_lists_are_empty() -> None:
    everything = rule()
    assert everything.allows(type_id=3, channel_id=9)
    assert everything.allowed_weekdays == [0, 1, 2, 3, 4, 5, 6]


def test_a_rule_allows_only_the_types_and_channels_it_lists() -> None:
    narrow = rule(allowed_type_ids=[1, 2], allowed_channel_ids=[5])
    assert narrow.allows(type_id=2, channel_id=5)
    assert not narrow.allows(type_id=3, channel_id=5)
    assert not narrow.allows(type_id=1, channel_id=6)


def test_a_rule_needs_a_name() -> None:
    with pytest.raises(ValidationFailed) as error:
        rule(name="  ")
    assert fields_of(error) == ["name"]


def test_weekdays_are_monday_zero_to_sunday_six() -> None:
    with pytest.raises(ValidationFailed) as error:
        rule(allowed_weekdays=[0, 7])
    assert fields_of(error) == ["allowed_weekdays"]


def test_an_empty_week_is_refused_rather_than_meaning_never() -> None:
    with pytest.raises(ValidationFailed) as error:
        rule(allowed_weekdays=[])
    assert fields_of(error) == ["allowed_weekdays"]


def test_quiet_hours_that_start_when_they_end_are_refused() -> None:
    with pytest.raises(ValidationFailed) as error:
        rule(quiet_hours=QuietHours(time(22, 0), time(22, 0)))
    assert fields_of(error) == ["quiet_hours"]


def test_the_channel_priority_lists_each_channel_once_and_only_allowed_ones() -> None:
    with pytest.raises(ValidationFailed) as twice:
        rule(channel_priority=[1, 2, 1])
    assert fields_of(twice) == ["channel_priority"]
    with pytest.raises(ValidationFailed) as outside:
        rule(allowed_channel_ids=[1, 2], channel_priority=[2, 3])
    assert fields_of(outside) == ["channel_priority"]
    assert rule(allowed_channel_ids=[1, 2], channel_priority=[2, 1]).channel_priority == [2, 1]


def test_caps_are_not_negative_and_the_daily_cap_fits_in_the_weekly_one() -> None:
    with pytest.raises(ValidationFailed) as negative:
        rule(max_per_day=-1, max_per_week=-1, min_interval_minutes=-5)
    assert set(fields_of(negative)) == {"max_per_day", "max_per_week", "min_interval_minutes"}
    with pytest.raises(ValidationFailed) as daily:
        rule(max_per_day=8, max_per_week=7)
    assert fields_of(daily) == ["max_per_day"]
    assert rule(max_per_day=7, max_per_week=7, min_interval_minutes=0).max_per_week == 7


def test_every_problem_of_a_rule_is_reported_at_once() -> None:
    with pytest.raises(ValidationFailed) as error:
        rule(name="", allowed_weekdays=[9], max_per_day=-1)
    assert fields_of(error) == ["name", "allowed_weekdays", "max_per_day"]
