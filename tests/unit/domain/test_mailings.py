"""The mailing state machine (every pair of the table, and random walks) and its schedule."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from adapters.schedules.cron import CroniterCalendar
from domain.errors import InvalidTransition, ValidationFailed
from domain.mailings import (
    FINAL_STATUSES,
    MAILING_TRANSITIONS,
    RUN_LEASE,
    Mailing,
    MailingStatus,
    Schedule,
    mailing_allows,
    validate_schedule,
)

CRON = CroniterCalendar()
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
S = MailingStatus

EXPECTED = {
    (S.DRAFT, S.SCHEDULED),
    (S.DRAFT, S.CANCELLED),
    (S.SCHEDULED, S.RUNNING),
    (S.SCHEDULED, S.PAUSED),
    (S.SCHEDULED, S.CANCELLED),
    (S.RUNNING, S.SCHEDULED),
    (S.RUNNING, S.COMPLETED),
    (S.RUNNING, S.PAUSED),
    (S.RUNNING, S.CANCELLED),
    (S.PAUSED, S.SCHEDULED),
    (S.PAUSED, S.COMPLETED),
    (S.PAUSED, S.CANCELLED),
}


def mailing(**changes: object) -> Mailing:
    values: dict[str, object] = {
        "name": "News",
        "department_id": 1,
        "type_id": 1,
        "channel_ids": [1],
        "text": "Hi",
        "project_id": 1,
        "create_time": T0,
        "update_time": T0,
    }
    values.update(changes)
    return Mailing(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(("current", "target"), list(itertools.product(S, S)))
def test_the_table_allows_exactly_the_documented_moves(current: S, target: S) -> None:
    assert mailing_allows(current, target) is ((current, target) in EXPECTED)


def test_final_statuses_lead_nowhere_and_cancel_is_open_from_every_other() -> None:
    assert set(MAILING_TRANSITIONS) == set(S)
    for status in S:
        if status in FINAL_STATUSES:
            assert MAILING_TRANSITIONS[status] == frozenset()
        else:
            assert S.CANCELLED in MAILING_TRANSITIONS[status]


def test_a_once_mailing_runs_at_its_time_then_completes() -> None:
    at = T0 + timedelta(hours=2)
    m = mailing(at=at)
    m.start(T0, CRON)
    assert (m.status, m.next_run_at) == (S.SCHEDULED, at)
    assert not m.is_due(T0)
    m.claim(at)
    assert (m.status, m.lease_until) == (S.RUNNING, at + RUN_LEASE)
    m.run_finished(at, at, CRON)
    assert (m.status, m.next_run_at, m.run_count) == (S.COMPLETED, None, 1)
    with pytest.raises(InvalidTransition):
        m.pause(at)


def test_a_once_mailing_without_a_time_is_due_when_started() -> None:
    m = mailing()
    m.start(T0, CRON)
    assert m.is_due(T0)


def test_a_claim_is_refused_unless_due_and_a_lapsed_lease_can_be_claimed_again() -> None:
    m = mailing(at=T0 + timedelta(hours=1))
    with pytest.raises(InvalidTransition):
        m.claim(T0)  # a draft
    m.start(T0, CRON)
    with pytest.raises(InvalidTransition):
        m.claim(T0)  # not yet
    later = T0 + timedelta(hours=1)
    m.claim(later)
    assert not m.is_due(later + RUN_LEASE - timedelta(seconds=1))
    assert m.is_due(later + RUN_LEASE)
    m.claim(later + RUN_LEASE)
    assert (m.status, m.lease_until) == (S.RUNNING, later + 2 * RUN_LEASE)


def test_a_recurring_mailing_keeps_nine_oclock_local_across_the_dst_change() -> None:
    # Berlin moves from UTC+1 to UTC+2 on 29 March 2026.
    m = mailing(cron="0 9 * * *", time_zone="Europe/Berlin")
    start = datetime(2026, 3, 27, 12, 0, tzinfo=UTC)
    m.start(start, CRON)
    runs = []
    for _ in range(3):
        due = m.next_run_at
        assert due is not None
        m.claim(due)
        m.run_finished(due, due + timedelta(seconds=3), CRON)
        runs.append(due)
    assert runs == [
        datetime(2026, 3, 28, 8, 0, tzinfo=UTC),
        datetime(2026, 3, 29, 7, 0, tzinfo=UTC),
        datetime(2026, 3, 30, 7, 0, tzinfo=UTC),
    ]
    assert (m.status, m.run_count) == (S.SCHEDULED, 3)


def test_runs_missed_while_paused_are_skipped_on_resume() -> None:
    m = mailing(cron="0 * * * *")
    m.start(T0, CRON)
    assert m.next_run_at == T0 + timedelta(hours=1)
    m.pause(T0)
    assert not m.is_due(T0 + timedelta(days=1))
    m.resume(T0 + timedelta(days=1, minutes=30), CRON)
    assert (m.status, m.next_run_at) == (S.SCHEDULED, T0 + timedelta(days=1, hours=1))


def test_a_run_in_flight_when_paused_leaves_the_mailing_paused() -> None:
    m = mailing()
    m.start(T0, CRON)
    m.claim(T0)
    m.pause(T0)
    m.run_finished(T0, T0, CRON)
    assert (m.status, m.run_count, m.lease_until) == (S.PAUSED, 1, None)
    m.resume(T0, CRON)  # a once mailing that has run: nothing is left to do
    assert m.status is S.COMPLETED


def test_a_schedule_names_what_is_wrong() -> None:
    with pytest.raises(ValidationFailed) as bad:
        validate_schedule(Schedule(cron="61 * * * *", time_zone="Mars/Olympus"), CRON)
    assert [e.field for e in bad.value.errors] == ["time_zone"]
    with pytest.raises(ValidationFailed) as bad:
        validate_schedule(Schedule(cron="61 * * * *"), CRON)
    assert [e.field for e in bad.value.errors] == ["cron"]
    with pytest.raises(ValidationFailed) as bad:
        validate_schedule(Schedule(cron="* * *"), CRON)
    assert [e.field for e in bad.value.errors] == ["cron"]
    with pytest.raises(ValidationFailed) as bad:
        validate_schedule(Schedule(at=T0, cron="0 9 * * *"), CRON)
    assert [e.field for e in bad.value.errors] == ["cron"]
    validate_schedule(Schedule(cron="*/15 9-18 * * 1-5", time_zone="Asia/Yekaterinburg"), CRON)


def test_a_mailing_needs_exactly_one_audience_and_a_channel() -> None:
    with pytest.raises(ValidationFailed) as bad:
        mailing(group_id=2, channel_ids=[])
    assert {e.field for e in bad.value.errors} == {"audience", "channel_ids"}


class MailingMachine(RuleBasedStateMachine):
    """Random walks of actions and worker steps: the status only ever moves along the table."""

    def __init__(self) -> None:
        super().__init__()
        self.now = T0
        self.recurring = False
        self.m = mailing()
        self.previous = self.m.status

    @rule(recurring=st.booleans())
    def recreate(self, recurring: bool) -> None:
        self.recurring = recurring
        self.m = mailing(cron="*/10 * * * *") if recurring else mailing()
        self.previous = self.m.status

    @rule(minutes=st.integers(min_value=0, max_value=30))
    def time_passes(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)

    def _try(self, action: str) -> None:
        before = self.m.status
        try:
            if action == "start":
                self.m.start(self.now, CRON)
            elif action == "pause":
                self.m.pause(self.now)
            elif action == "resume":
                self.m.resume(self.now, CRON)
            elif action == "cancel":
                self.m.cancel(self.now)
            elif action == "claim":
                self.m.claim(self.now)
        except InvalidTransition:
            assert self.m.status is before  # a refused move changes nothing
        self.previous = before

    @rule(action=st.sampled_from(["start", "pause", "resume", "cancel", "claim"]))
    def act(self, action: str) -> None:
        self._try(action)

    @precondition(lambda self: self.m.lease_until is not None)
    @rule()
    def finish_run(self) -> None:
        self.previous = self.m.status
        due = self.m.next_run_at or self.now
        self.m.run_finished(due, self.now, CRON)

    @invariant()
    def moves_follow_the_table(self) -> None:
        assert self.m.status is self.previous or mailing_allows(self.previous, self.m.status)

    @invariant()
    def a_scheduled_mailing_knows_its_next_run(self) -> None:
        if self.m.status is S.SCHEDULED:
            assert self.m.next_run_at is not None
        if self.m.status in FINAL_STATUSES:
            assert self.m.next_run_at is None or self.m.status is S.COMPLETED
            assert not self.m.is_due(self.now + timedelta(days=365))

    @invariant()
    def only_a_recurring_mailing_runs_twice(self) -> None:
        if not self.recurring:
            assert self.m.run_count <= 1


MailingMachine.TestCase.settings = settings(
    max_examples=150, stateful_step_count=30, suppress_health_check=[HealthCheck.too_slow], deadline=None
)
TestMailingMachine = MailingMachine.TestCase
