"""Time choice: the best allowed slot within the horizon, in the client's local time."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from domain.decisions import DecisionSettings, Evidence, SendingWindow, Tally, allowed_slots, choose_time
from domain.organisation import WorkingDay
from domain.rules import QuietHours

SETTINGS = DecisionSettings()
MONDAY_9_UTC = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
OFFICE = tuple(WorkingDay(d, time(9), time(18)) for d in range(5))


def test_without_data_the_earliest_allowed_slot_wins() -> None:
    window = SendingWindow(time_zone="Asia/Yekaterinburg", working_hours=OFFICE)  # UTC+5: 14:00 local
    choice = choose_time(window=window, start=MONDAY_9_UTC, evidence={}, channel_rate=0.4, settings=SETTINGS)
    assert choice is not None
    assert choice.at == MONDAY_9_UTC
    assert (choice.weekday, choice.hour) == (0, 14)
    assert choice.at.utcoffset() == timedelta(hours=5)


def test_the_best_local_hour_with_data_wins_over_an_earlier_one() -> None:
    window = SendingWindow(time_zone="Europe/Moscow", working_hours=OFFICE)
    evidence = {(1, 10): Evidence(group=Tally(90, 100)), (0, 12): Evidence(group=Tally(10, 100))}
    choice = choose_time(
        window=window, start=MONDAY_9_UTC, evidence=evidence, channel_rate=0.4, settings=SETTINGS
    )
    assert choice is not None
    assert choice.at == datetime(2026, 3, 3, 7, 0, tzinfo=UTC)  # Tuesday 10:00 in Moscow
    assert len(choice.grid) == 7 and all(len(row) == 24 for row in choice.grid)
    assert choice.grid[0][12].rate < choice.rate


def test_quiet_hours_and_weekdays_and_bookings_move_the_slot() -> None:
    window = SendingWindow(
        time_zone="UTC",
        allowed_weekdays=frozenset({0, 2}),
        quiet_hours=QuietHours(time(9, 0), time(9, 30)),
        holds=((MONDAY_9_UTC, MONDAY_9_UTC + timedelta(hours=2, minutes=15)),),
    )
    first = allowed_slots(window, MONDAY_9_UTC, timedelta(days=7))[0]
    assert first.at == MONDAY_9_UTC + timedelta(hours=2, minutes=15)


def test_frequency_caps_push_past_a_full_day() -> None:
    window = SendingWindow(time_zone="UTC", max_per_day=1, sends=(MONDAY_9_UTC - timedelta(hours=1),))
    first = allowed_slots(window, MONDAY_9_UTC, timedelta(days=7))[0]
    assert first.at == datetime(2026, 3, 3, 0, 0, tzinfo=UTC)


def test_no_allowed_slot_in_the_horizon_gives_no_choice() -> None:
    window = SendingWindow(time_zone="UTC", holds=((MONDAY_9_UTC, MONDAY_9_UTC + timedelta(days=30)),))
    assert (
        choose_time(window=window, start=MONDAY_9_UTC, evidence={}, channel_rate=0.5, settings=SETTINGS)
        is None
    )


def test_a_day_when_clocks_jump_forward_skips_the_missing_hour() -> None:
    window = SendingWindow(time_zone="Europe/Berlin")
    start = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # 01:30 CET, clocks jump at 02:00 to 03:00
    hours = [s.hour for s in allowed_slots(window, start, timedelta(hours=3))]
    assert hours == [1, 3, 4, 5]  # 01:30 CET to 05:30 CEST: no hour 2
