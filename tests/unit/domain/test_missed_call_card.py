"""The missed-call card of seed 004: its table, its rules, and a hypothesis run over both."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import product

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from domain.errors import InvalidTransition, ValidationFailed
from domain.telephony.missed_calls import (
    BOOKED_NOTE,
    MISSED_CALL_TRANSITIONS,
    ChangesNotSaved,
    MissedCall,
    MissedCallStatus,
    missed_call_allows,
)

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
S = MissedCallStatus


def card() -> MissedCall:
    return MissedCall.register(phone="+74951234567", at=T0)


@pytest.mark.parametrize(("current", "target"), list(product(S, S)))
def test_transition_table_is_exactly_missed_to_called_back(current: S, target: S) -> None:
    assert missed_call_allows(current, target) == (current is S.MISSED and target is S.CALLED_BACK)
    assert set(MISSED_CALL_TRANSITIONS) == set(S)


def test_changes_to_a_card_still_missed_are_not_saved() -> None:
    missed = card()
    with pytest.raises(ChangesNotSaved):
        missed.edit(status=S.MISSED, result="rang twice", employee_id=1, at=T0)
    assert missed.result is None and missed.status is S.MISSED


@pytest.mark.parametrize("result", [None, "", "  \n "])
def test_called_back_requires_result(result: str | None) -> None:
    missed = card()
    with pytest.raises(ValidationFailed):
        missed.edit(status=S.CALLED_BACK, result=result, employee_id=1, at=T0)
    assert missed.status is S.MISSED


def test_called_back_records_who_and_when() -> None:
    missed = card()
    later = T0 + timedelta(minutes=5)
    missed.edit(status=S.CALLED_BACK, result="will come on Monday", employee_id=7, at=later)
    assert (missed.status, missed.result, missed.called_back_by, missed.called_back_at) == (
        S.CALLED_BACK,
        "will come on Monday",
        7,
        later,
    )


def test_book_calls_back_appends_the_note_and_sets_the_user() -> None:
    missed = card()
    missed.book(employee_id=3, at=T0)
    assert missed.status is S.CALLED_BACK and missed.result == BOOKED_NOTE and missed.called_back_by == 3


def test_book_keeps_what_was_written_before() -> None:
    missed = card()
    missed.result = "asked about prices"
    missed.book(employee_id=3, at=T0)
    assert missed.result == f"asked about prices\n{BOOKED_NOTE}"


def test_a_worked_card_cannot_be_booked_again_or_take_calls() -> None:
    missed = card()
    missed.book(employee_id=3, at=T0)
    with pytest.raises(InvalidTransition):
        missed.book(employee_id=3, at=T0)
    with pytest.raises(InvalidTransition):
        missed.add_call(at=T0)


def test_another_call_adds_to_the_open_card() -> None:
    missed = card()
    missed.add_call(at=T0 + timedelta(minutes=3))
    missed.add_call(at=T0 - timedelta(minutes=1))  # delivered late
    assert missed.calls == 3
    assert missed.first_call_at == T0 - timedelta(minutes=1)
    assert missed.last_call_at == T0 + timedelta(minutes=3)


class CardMachine(RuleBasedStateMachine):
    """Random sequences of the card's actions never break its rules."""

    def __init__(self) -> None:
        super().__init__()
        self.card = card()
        self.clock = T0
        self.expected_calls = 1

    def _tick(self) -> datetime:
        self.clock += timedelta(minutes=1)
        return self.clock

    @rule()
    def another_call(self) -> None:
        was_open = self.card.is_open
        try:
            self.card.add_call(at=self._tick())
            self.expected_calls += 1
        except InvalidTransition:
            assert not was_open

    @rule(status=st.sampled_from(S), result=st.one_of(st.none(), st.text(max_size=5)))
    def edit(self, status: S, result: str | None) -> None:
        before = (self.card.status, self.card.result, self.card.called_back_by)
        try:
            self.card.edit(status=status, result=result, employee_id=5, at=self._tick())
        except (ChangesNotSaved, ValidationFailed):
            assert (self.card.status, self.card.result, self.card.called_back_by) == before
            return
        assert status is S.CALLED_BACK and result is not None and result.strip()
        assert self.card.result == result

    @rule()
    def book(self) -> None:
        was_open = self.card.is_open
        try:
            self.card.book(employee_id=9, at=self._tick())
        except InvalidTransition:
            assert not was_open
            return
        assert was_open and self.card.result is not None and self.card.result.endswith(BOOKED_NOTE)

    @invariant()
    def rules_hold(self) -> None:
        assert self.card.calls == self.expected_calls
        if self.card.status is S.CALLED_BACK:
            assert self.card.result and self.card.result.strip()
            assert self.card.called_back_by is not None and self.card.called_back_at is not None
        else:
            assert self.card.result is None and self.card.called_back_by is None


TestCardMachine = CardMachine.TestCase
