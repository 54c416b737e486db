"""Quiet hours and weekdays in the client's time zone: when a deferred message may go out."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.rules import QuietHours
from domain.sending.windows import allowed_at, next_allowed, zone

MOSCOW = zone("Europe/Moscow")  # UTC+3, no DST
BERLIN = zone("Europe/Berlin")  # DST: 2026-03-29 02:00 -> 03:00, 2026-10-25 03:00 -> 02:00
EVERY_DAY = range(7)
NIGHT = QuietHours(time(22, 0), time(8, 0))


def test_an_allowed_moment_is_kept_to_the_second() -> None:
    moment = datetime(2026, 3, 2, 9, 30, 17, tzinfo=UTC)  # 12:30:17 in Moscow
    assert next_allowed(moment, NIGHT, EVERY_DAY, MOSCOW) == moment


def test_inside_quiet_hours_after_midnight_defers_to_their_end_the_same_local_day() -> None:
    moment = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)  # 03:30 in Moscow
    assert next_allowed(moment, NIGHT, EVERY_DAY, MOSCOW) == datetime(2026, 3, 2, 5, 0, tzinfo=UTC)


def test_inside_quiet_hours_before_midnight_defers_to_their_end_the_next_local_day() -> None:
    moment = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)  # 23:00 in Moscow
    assert next_allowed(moment, NIGHT, EVERY_DAY, MOSCOW) == datetime(2026, 3, 3, 5, 0, tzinfo=UTC)


def test_the_client_time_zone_decides_not_utc() -> None:
    moment = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)  # 20:00 UTC: quiet only in Moscow
    assert next_allowed(moment, NIGHT, EVERY_DAY, zone("UTC")) == moment
    assert next_allowed(moment, NIGHT, EVERY_DAY, MOSCOW) > moment


def test_a_deferral_skips_weekdays_the_rule_does_not_allow() -> None:
    friday_night = datetime(2026, 3, 6, 20, 0, tzinfo=UTC)  # Friday 23:00 in Moscow
    weekdays = range(5)  # Monday to Friday
    monday_8 = datetime(2026, 3, 9, 5, 0, tzinfo=UTC)
    assert next_allowed(friday_night, NIGHT, weekdays, MOSCOW) == monday_8


def test_a_disallowed_weekday_without_quiet_hours_moves_to_the_next_allowed_midnight() -> None:
    saturday = datetime(2026, 3, 7, 9, 0, tzinfo=UTC)
    assert next_allowed(saturday, None, range(5), MOSCOW) == datetime(2026, 3, 8, 21, 0, tzinfo=UTC)


def test_quiet_hours_within_a_day() -> None:
    lunch = QuietHours(time(13, 0), time(14, 0))
    moment = datetime(2026, 3, 2, 10, 15, tzinfo=UTC)  # 13:15 in Moscow
    assert next_allowed(moment, lunch, EVERY_DAY, MOSCOW) == datetime(2026, 3, 2, 11, 0, tzinfo=UTC)


def test_quiet_hours_ending_inside_a_spring_forward_gap_end_at_the_first_real_minute() -> None:
    quiet = QuietHours(time(0, 0), time(2, 30))  # 02:30 does not exist on 2026-03-29 in Berlin
    moment = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # 01:30 CET
    later = next_allowed(moment, quiet, EVERY_DAY, BERLIN)
    assert later is not None
    assert later == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 03:30 CEST, the wall time after the gap
    assert allowed_at(later, quiet, EVERY_DAY, BERLIN)


def test_an_unknown_time_zone_reads_as_utc() -> None:
    assert zone("Mars/Olympus") == zone("UTC")
    assert zone(None) == zone("UTC")


ZONES = st.sampled_from(["UTC", "Europe/Moscow", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe"])
MINUTE_TIMES = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))
MOMENTS = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC)
).map(lambda d: d.replace(second=0, microsecond=0))
WEEKDAYS = st.sets(st.integers(0, 6), min_size=1)


@st.composite
def quiet_hours(draw: st.DrawFn) -> QuietHours | None:
    start, end = draw(MINUTE_TIMES), draw(MINUTE_TIMES)
    return None if start == end else QuietHours(start, end)


@settings(max_examples=300)
@given(MOMENTS, quiet_hours(), WEEKDAYS, ZONES)
def test_the_deferred_moment_is_allowed_and_never_earlier(
    moment: datetime, quiet: QuietHours | None, weekdays: set[int], name: str
) -> None:
    tz = zone(name)
    later = next_allowed(moment, quiet, weekdays, tz)
    assert later is not None
    assert later >= moment
    assert allowed_at(later, quiet, weekdays, tz)
    assert (later == moment) == allowed_at(moment, quiet, weekdays, tz)


@settings(max_examples=40)
@given(MOMENTS, quiet_hours(), WEEKDAYS, ZONES)
def test_the_deferred_moment_is_the_first_allowed_minute(
    moment: datetime, quiet: QuietHours | None, weekdays: set[int], name: str
) -> None:
    tz = zone(name)
    later = next_allowed(moment, quiet, weekdays, tz)
    assert later is not None
    # Walk minute by minute: no allowed minute lies between the request and the answer.
    step = moment
    while step < later:
        assert not allowed_at(step, quiet, weekdays, tz), step
        step += timedelta(minutes=1)
    assert step == later
