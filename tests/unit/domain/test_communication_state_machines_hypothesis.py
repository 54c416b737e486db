"""Random walks through both state machines, checked against a small independent model.

Each example builds a fresh communication in `@initialize`; the model (tables written
out here from SPEC §2) predicts whether each step is accepted and how many history
entries it adds.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from domain.communications import (
    DELIVERY_RANK,
    Communication,
    CommunicationKind,
    DeliveryStatus,
    Direction,
    LifecycleStatus,
)
from domain.errors import Conflict, InvalidTransition, ValidationFailed

D = DeliveryStatus
L = LifecycleStatus
FACT = CommunicationKind.FACT
PLANNED = CommunicationKind.PLANNED
TERMINAL = frozenset({L.DONE, L.CANCELLED, L.FAILED})
SUCCESSES = frozenset({D.DELIVERED, D.READ, D.RESPONDED})
FAILURES = frozenset({D.UNDELIVERED, D.FAILED})
LADDER = [D.QUEUED, D.SENDING, D.SENT, D.DELIVERED, D.READ, D.RESPONDED]

MODEL_LIFECYCLE = {
    FACT: {L.IN_PROGRESS: {L.DONE, L.FAILED}},
    PLANNED: {
        L.CREATED: {L.IN_PROGRESS, L.DONE, L.CANCELLED, L.FAILED},
        L.IN_PROGRESS: {L.DONE, L.CANCELLED, L.FAILED},
    },
}


def model_delivery_accepts(current: DeliveryStatus | None, reported: DeliveryStatus) -> bool:
    if current is None:
        return True
    if current in LADDER and reported in LADDER:
        return LADDER.index(reported) > LADDER.index(current)
    if reported in FAILURES:
        return current in (D.QUEUED, D.SENDING, D.SENT)
    return current is D.UNDELIVERED and reported in SUCCESSES


SETTINGS = settings(max_examples=300, stateful_step_count=25, deadline=None)
UUID = "6a1f0c3e-2b4d-4e5f-8a9b-0c1d2e3f4a5b"
T0 = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)

reasons = st.one_of(st.none(), st.just(""), st.just("  "), st.sampled_from(["no answer", "30003"]))


class CommunicationMachine(RuleBasedStateMachine):
    """Shared rules and invariants; subclasses choose how a communication is opened."""

    def open(self, kind: CommunicationKind) -> None:
        self.now = T0
        self.c = Communication.open(
            uuid=UUID, kind=kind, direction=Direction.OUTBOUND, type_id=1, channel_id=1, at=T0, actor="test"
        )
        self.expected_history = 1
        self.terminal_seen: LifecycleStatus | None = None
        self.rank_seen = -1

    def tick(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now

    def lifecycle_ok(self, target: LifecycleStatus) -> bool:
        return target in MODEL_LIFECYCLE[self.c.kind].get(self.c.status, set())

    def expect_refusal(self, target: LifecycleStatus, error: BaseException) -> None:
        if isinstance(error, InvalidTransition):
            assert not self.lifecycle_ok(target)
            assert (error.current, error.requested) == (self.c.status.value, target.value)
        else:
            assert isinstance(error, ValidationFailed)
            assert self.lifecycle_ok(target)  # the move was legal; only the reason was missing

    # --- rules --------------------------------------------------------------------

    @rule(goal=st.sampled_from(LifecycleStatus), reason=reasons)
    def set_status(self, goal: LifecycleStatus, reason: str | None) -> None:
        target = goal  # `target` is a reserved argument name of @rule
        legal = self.lifecycle_ok(target)
        try:
            self.c.set_status(target, at=self.tick(), actor="employee:1", reason=reason, result="r")
        except (InvalidTransition, ValidationFailed) as error:
            self.expect_refusal(target, error)
            return
        assert legal
        assert self.c.status is target
        self.expected_history += 1

    @rule(method=st.sampled_from(["start", "close", "fail", "cancel"]), reason=reasons)
    def named_move(self, method: str, reason: str | None) -> None:
        target = {"start": L.IN_PROGRESS, "close": L.DONE, "fail": L.FAILED, "cancel": L.CANCELLED}[method]
        legal = self.lifecycle_ok(target)
        at = self.tick()
        try:
            if method == "start":
                self.c.start(at=at, actor="employee:1")
            elif method == "close":
                self.c.close(at=at, actor="employee:1")
            elif method == "fail":
                self.c.fail(at=at, actor="employee:1", reason=reason or "")
            else:
                self.c.cancel(at=at, actor="employee:1", reason=reason)
        except (InvalidTransition, ValidationFailed) as error:
            self.expect_refusal(target, error)
            return
        assert legal
        self.expected_history += 1

    @rule(reported=st.sampled_from(DeliveryStatus), reason=reasons)
    def record_delivery(self, reported: DeliveryStatus, reason: str | None) -> None:
        accepted = model_delivery_accepts(self.c.delivery_status, reported)
        lifecycle_before = self.c.status
        assert self.c.record_delivery(reported, at=self.tick(), actor="provider:x", reason=reason) is accepted
        if not accepted:
            assert self.c.status is lifecycle_before
            return
        self.expected_history += 1
        if lifecycle_before in TERMINAL:
            assert self.c.status is lifecycle_before
        elif reported in SUCCESSES:
            assert self.c.status is L.DONE
            self.expected_history += 2 if lifecycle_before is L.CREATED else 1
        elif reported in FAILURES:
            assert self.c.status is L.FAILED
            assert self.c.failure_reason
            self.expected_history += 1
        else:
            assert self.c.status is lifecycle_before

    @rule(subject=st.sampled_from(["a", "b"]), result=st.sampled_from(["x", "y"]))
    def edit(self, subject: str, result: str) -> None:
        subject_before = self.c.subject
        try:
            self.c.edit(at=self.tick(), actor="employee:1", subject=subject, result=result)
        except Conflict:
            assert self.c.status in TERMINAL
            assert subject != subject_before
            return
        assert (self.c.subject, self.c.result) == (subject, result)

    # --- invariants ---------------------------------------------------------------

    @invariant()
    def terminal_states_stay_terminal(self) -> None:
        if self.terminal_seen is not None:
            assert self.c.status is self.terminal_seen
        elif self.c.status in TERMINAL:
            self.terminal_seen = self.c.status

    @invariant()
    def done_if_and_only_if_finish_time_is_set(self) -> None:
        assert (self.c.status is L.DONE) == (self.c.finished_at is not None)

    @invariant()
    def cancelled_only_for_planned_and_fact_never_created(self) -> None:
        if self.c.status is L.CANCELLED:
            assert self.c.kind is PLANNED
        if self.c.kind is FACT:
            assert self.c.status is not L.CREATED

    @invariant()
    def started_and_failed_communications_carry_their_facts(self) -> None:
        if self.c.status is L.IN_PROGRESS:
            assert self.c.started_at is not None
        if self.c.status is L.FAILED:
            assert self.c.failure_reason and self.c.failure_reason.strip()

    @invariant()
    def delivery_rank_never_decreases(self) -> None:
        if self.c.delivery_status is not None:
            rank = DELIVERY_RANK[self.c.delivery_status]
            assert rank >= self.rank_seen
            self.rank_seen = rank

    @invariant()
    def history_grows_by_exactly_one_per_accepted_change(self) -> None:
        assert len(self.c.history) == self.expected_history
        times = [h.at for h in self.c.history]
        assert times == sorted(times)
        assert self.c.update_time >= self.c.create_time


class FactLifecycleMachine(CommunicationMachine):
    @initialize()
    def open_fact(self) -> None:
        self.open(FACT)


class PlannedLifecycleMachine(CommunicationMachine):
    @initialize()
    def open_planned(self) -> None:
        self.open(PLANNED)


class DeliveryMachine(CommunicationMachine):
    """Mostly provider callbacks, in any order, on either kind."""

    @initialize(kind=st.sampled_from(CommunicationKind))
    def open_any(self, kind: CommunicationKind) -> None:
        self.open(kind)

    @rule(reported=st.sampled_from(DeliveryStatus))
    def callback_burst(self, reported: DeliveryStatus) -> None:
        # The same callback delivered twice (providers retry): the second is a no-op.
        self.record_delivery(reported, None)
        history = len(self.c.history)
        assert self.c.record_delivery(reported, at=self.tick(), actor="provider:x") is False
        assert len(self.c.history) == history


def test_fact_lifecycle_keeps_its_invariants() -> None:
    run_state_machine_as_test(FactLifecycleMachine, settings=SETTINGS)


def test_planned_lifecycle_keeps_its_invariants() -> None:
    run_state_machine_as_test(PlannedLifecycleMachine, settings=SETTINGS)


def test_delivery_stays_monotonic_and_drives_the_lifecycle() -> None:
    run_state_machine_as_test(DeliveryMachine, settings=SETTINGS)
