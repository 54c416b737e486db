"""The lifecycle state machine of a communication (SPEC §2, seed 002) and its entity rules."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any

import pytest

from domain.communications import (
    EDITABLE_FIELDS,
    EDITABLE_WHEN_TERMINAL,
    FACT_LIFECYCLE_TRANSITIONS,
    LIFECYCLE_TRANSITIONS,
    LIFECYCLE_TRANSITIONS_BY_KIND,
    Communication,
    CommunicationKind,
    Direction,
    LifecycleStatus,
    StatusChange,
    initial_status,
    lifecycle_allows,
)
from domain.errors import Conflict, InvalidTransition, ValidationFailed

FACT = CommunicationKind.FACT
PLANNED = CommunicationKind.PLANNED
CREATED = LifecycleStatus.CREATED
IN_PROGRESS = LifecycleStatus.IN_PROGRESS
DONE = LifecycleStatus.DONE
CANCELLED = LifecycleStatus.CANCELLED
FAILED = LifecycleStatus.FAILED
TERMINAL = (DONE, CANCELLED, FAILED)

T0 = datetime(2025, 3, 3, 9, 30, tzinfo=UTC)
T1 = T0 + timedelta(minutes=5)
UUID = "3f2b8c1e-5d4a-4e6b-9a7c-1d2e3f4a5b6c"
ACTOR = "employee:5"

# Written out from SPEC §2 / seed 002, independently of the module's tables.
ALLOWED: frozenset[tuple[CommunicationKind, LifecycleStatus, LifecycleStatus]] = frozenset(
    {
        (FACT, IN_PROGRESS, DONE),
        (FACT, IN_PROGRESS, FAILED),
        (PLANNED, CREATED, IN_PROGRESS),
        (PLANNED, CREATED, DONE),
        (PLANNED, CREATED, CANCELLED),
        (PLANNED, CREATED, FAILED),
        (PLANNED, IN_PROGRESS, DONE),
        (PLANNED, IN_PROGRESS, CANCELLED),
        (PLANNED, IN_PROGRESS, FAILED),
    }
)
EVERY_PAIR = [(kind, a, b) for kind in CommunicationKind for a in LifecycleStatus for b in LifecycleStatus]


def opened(kind: CommunicationKind, **fields: Any) -> Communication:
    return Communication.open(
        uuid=UUID,
        kind=kind,
        direction=Direction.OUTBOUND,
        type_id=1,
        channel_id=2,
        at=T0,
        actor=ACTOR,
        **fields,
    )


def in_state(kind: CommunicationKind, status: LifecycleStatus) -> Communication:
    """A communication as storage would load it, in any status (even one a fact never reaches)."""
    return Communication(
        id=7,
        uuid=UUID,
        type_id=1,
        channel_id=2,
        direction=Direction.OUTBOUND,
        kind=kind,
        status=status,
        started_at=None if status is CREATED else T0,
        finished_at=T0 if status is DONE else None,
        failure_reason="no answer" if status is FAILED else None,
        create_time=T0,
        update_time=T0,
    )


def snapshot(c: Communication) -> tuple[object, ...]:
    return (c.status, c.started_at, c.finished_at, c.result, c.failure_reason, c.update_time, list(c.history))


def pair_id(kind: CommunicationKind, a: LifecycleStatus, b: LifecycleStatus) -> str:
    return f"{kind}:{a}->{b}"


# --- the table -----------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "current", "target"), EVERY_PAIR, ids=[pair_id(*p) for p in EVERY_PAIR])
def test_lifecycle_table_allows_exactly_the_specified_moves(
    kind: CommunicationKind, current: LifecycleStatus, target: LifecycleStatus
) -> None:
    assert lifecycle_allows(kind, current, target) is ((kind, current, target) in ALLOWED)


def test_lifecycle_tables_cover_every_status() -> None:
    for table in (LIFECYCLE_TRANSITIONS, FACT_LIFECYCLE_TRANSITIONS):
        assert set(table) == set(LifecycleStatus)
    assert LIFECYCLE_TRANSITIONS_BY_KIND[PLANNED] is LIFECYCLE_TRANSITIONS
    assert LIFECYCLE_TRANSITIONS_BY_KIND[FACT] is FACT_LIFECYCLE_TRANSITIONS


def test_lifecycle_tables_are_read_only() -> None:
    for table in (LIFECYCLE_TRANSITIONS, FACT_LIFECYCLE_TRANSITIONS, LIFECYCLE_TRANSITIONS_BY_KIND):
        assert isinstance(table, MappingProxyType)
        with pytest.raises(TypeError):
            table[CREATED] = frozenset()  # type: ignore[index]


def test_nothing_leads_back_to_created() -> None:
    for kind in CommunicationKind:
        for status in LifecycleStatus:
            assert not lifecycle_allows(kind, status, CREATED)


@pytest.mark.parametrize("terminal", TERMINAL)
@pytest.mark.parametrize("kind", list(CommunicationKind))
def test_terminal_statuses_have_no_way_out(kind: CommunicationKind, terminal: LifecycleStatus) -> None:
    assert LIFECYCLE_TRANSITIONS_BY_KIND[kind][terminal] == frozenset()


def test_initial_status_depends_on_kind() -> None:
    assert initial_status(FACT) is IN_PROGRESS
    assert initial_status(PLANNED) is CREATED


# --- every pair through the entity ---------------------------------------------------


@pytest.mark.parametrize(("kind", "current", "target"), EVERY_PAIR, ids=[pair_id(*p) for p in EVERY_PAIR])
def test_set_status_moves_on_allowed_pairs_and_raises_on_the_rest(
    kind: CommunicationKind, current: LifecycleStatus, target: LifecycleStatus
) -> None:
    c = in_state(kind, current)
    before = snapshot(c)
    if (kind, current, target) in ALLOWED:
        c.set_status(target, at=T1, actor=ACTOR, reason="client asked")
        assert c.status is target
        assert c.update_time == T1
        assert c.history[-1] == StatusChange(
            field="status",
            from_status=current.value,
            to_status=target.value,
            at=T1,
            actor=ACTOR,
            note=None if target is DONE or target is IN_PROGRESS else "client asked",
        )
        assert len(c.history) == 1
    else:
        with pytest.raises(InvalidTransition) as caught:
            c.set_status(target, at=T1, actor=ACTOR, reason="client asked")
        assert (caught.value.machine, caught.value.current, caught.value.requested) == (
            "communication",
            current.value,
            target.value,
        )
        assert snapshot(c) == before


METHODS: dict[LifecycleStatus, Callable[[Communication], None]] = {
    IN_PROGRESS: lambda c: c.start(at=T1, actor=ACTOR),
    DONE: lambda c: c.close(at=T1, actor=ACTOR),
    CANCELLED: lambda c: c.cancel(at=T1, actor=ACTOR),
    FAILED: lambda c: c.fail(at=T1, actor=ACTOR, reason="no answer"),
}
METHOD_PAIRS = [(kind, a, b) for kind in CommunicationKind for a in LifecycleStatus for b in METHODS]


@pytest.mark.parametrize(("kind", "current", "target"), METHOD_PAIRS, ids=[pair_id(*p) for p in METHOD_PAIRS])
def test_each_named_method_obeys_the_table(
    kind: CommunicationKind, current: LifecycleStatus, target: LifecycleStatus
) -> None:
    c = in_state(kind, current)
    before = snapshot(c)
    if (kind, current, target) in ALLOWED:
        METHODS[target](c)
        assert c.status is target
    else:
        with pytest.raises(InvalidTransition):
            METHODS[target](c)
        assert snapshot(c) == before


# --- opening -------------------------------------------------------------------------


def test_fact_communication_starts_in_progress_with_its_start_time() -> None:
    c = opened(FACT)
    assert c.status is IN_PROGRESS
    assert c.started_at == T0
    assert c.finished_at is None


def test_planned_communication_starts_created_without_start_time() -> None:
    c = opened(PLANNED, scheduled_at=T1)
    assert c.status is CREATED
    assert c.started_at is None
    assert c.scheduled_at == T1


@pytest.mark.parametrize("kind", list(CommunicationKind))
def test_open_records_the_start_state_as_first_history_entry(kind: CommunicationKind) -> None:
    c = opened(kind)
    assert c.history == [
        StatusChange(
            field="status", from_status=None, to_status=initial_status(kind).value, at=T0, actor=ACTOR
        )
    ]
    assert c.create_time == c.update_time == T0


def test_open_keeps_the_given_fields_and_reads_no_clock() -> None:
    c = opened(
        PLANNED,
        client_id=11,
        employee_id=12,
        department_id=13,
        project_id=14,
        mailing_id=15,
        document_id=16,
        subject="Service reminder",
        content="Hello, Anna",
    )
    assert (c.uuid, c.type_id, c.channel_id, c.direction, c.kind) == (UUID, 1, 2, Direction.OUTBOUND, PLANNED)
    assert (c.client_id, c.employee_id, c.department_id, c.project_id, c.mailing_id, c.document_id) == (
        11,
        12,
        13,
        14,
        15,
        16,
    )
    assert (c.subject, c.content) == ("Service reminder", "Hello, Anna")
    assert c.id is None
    assert c.delivery_status is None
    assert c.attempts == 0


@pytest.mark.parametrize(
    "bad",
    ["", "not-a-uuid", UUID.upper(), UUID.replace("-", ""), "{" + UUID + "}", UUID + " "],
)
def test_open_refuses_a_uuid_that_is_not_canonical(bad: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        Communication.open(
            uuid=bad, kind=FACT, direction=Direction.INBOUND, type_id=1, channel_id=2, at=T0, actor=None
        )
    assert caught.value.errors[0].field == "uuid"


# --- named moves ---------------------------------------------------------------------


def test_fact_communication_cannot_be_cancelled() -> None:
    c = opened(FACT)
    with pytest.raises(InvalidTransition):
        c.cancel(at=T1, actor=ACTOR, reason="changed my mind")
    assert c.status is IN_PROGRESS


def test_fact_communication_cannot_be_started_again() -> None:
    with pytest.raises(InvalidTransition):
        opened(FACT).start(at=T1, actor=ACTOR)


def test_fact_communication_can_end_done_or_failed() -> None:
    done, failed = opened(FACT), opened(FACT)
    done.close(at=T1, actor=ACTOR)
    failed.fail(at=T1, actor=ACTOR, reason="line dropped")
    assert (done.status, failed.status) == (DONE, FAILED)


def test_start_sets_the_start_time() -> None:
    c = opened(PLANNED)
    c.start(at=T1, actor=ACTOR)
    assert c.status is IN_PROGRESS
    assert c.started_at == T1


def test_close_sets_finish_time_and_result() -> None:
    c = opened(FACT)
    c.close(at=T1, actor=ACTOR, result="Booked a test drive")
    assert c.status is DONE
    assert c.finished_at == T1
    assert c.result == "Booked a test drive"


def test_close_without_result_keeps_the_result_written_before() -> None:
    c = opened(FACT)
    c.edit(at=T0, actor=ACTOR, result="notes")
    c.close(at=T1, actor=ACTOR)
    assert c.result == "notes"


def test_planned_communication_can_be_closed_without_being_started() -> None:
    c = opened(PLANNED)
    c.close(at=T1, actor=ACTOR)
    assert c.status is DONE
    assert c.finished_at == T1
    assert c.started_at is None  # not invented: nobody said when it started


def test_fail_keeps_the_reason_and_leaves_finish_time_empty() -> None:
    c = opened(PLANNED)
    c.fail(at=T1, actor=ACTOR, reason="no answer after 3 calls")
    assert c.status is FAILED
    assert c.failure_reason == "no answer after 3 calls"
    assert c.finished_at is None  # only `done` has a finish time (seed 002)
    assert c.history[-1].note == "no answer after 3 calls"
    assert c.history[-1].at == T1


@pytest.mark.parametrize("reason", ["", "   "])
def test_fail_requires_a_reason(reason: str) -> None:
    c = opened(PLANNED)
    with pytest.raises(ValidationFailed) as caught:
        c.fail(at=T1, actor=ACTOR, reason=reason)
    assert caught.value.errors[0].field == "reason"
    assert c.status is CREATED
    assert len(c.history) == 1


def test_fail_of_a_terminal_communication_is_an_invalid_transition_even_without_reason() -> None:
    c = in_state(PLANNED, DONE)
    with pytest.raises(InvalidTransition):
        c.fail(at=T1, actor=ACTOR, reason="")


@pytest.mark.parametrize("current", [CREATED, IN_PROGRESS])
def test_planned_communication_can_be_cancelled_before_and_after_start(current: LifecycleStatus) -> None:
    c = in_state(PLANNED, current)
    c.cancel(at=T1, actor=ACTOR, reason="client asked not to call")
    assert c.status is CANCELLED
    assert c.history[-1].note == "client asked not to call"
    assert c.failure_reason is None
    assert c.finished_at is None


def test_set_status_failed_without_reason_is_refused_and_changes_nothing() -> None:
    c = opened(PLANNED)
    before = snapshot(c)
    with pytest.raises(ValidationFailed):
        c.set_status(FAILED, at=T1, actor=ACTOR)
    assert snapshot(c) == before


def test_set_status_done_passes_the_result() -> None:
    c = opened(FACT)
    c.set_status(DONE, at=T1, actor=ACTOR, result="Agreed on a visit")
    assert (c.status, c.finished_at, c.result) == (DONE, T1, "Agreed on a visit")


@pytest.mark.parametrize("kind", list(CommunicationKind))
def test_set_status_to_created_is_always_an_invalid_transition(kind: CommunicationKind) -> None:
    for status in LifecycleStatus:
        with pytest.raises(InvalidTransition):
            in_state(kind, status).set_status(CREATED, at=T1, actor=ACTOR)


def test_same_status_again_is_an_invalid_transition_not_a_silent_no_op() -> None:
    c = in_state(PLANNED, IN_PROGRESS)
    with pytest.raises(InvalidTransition):
        c.set_status(IN_PROGRESS, at=T1, actor=ACTOR)


def test_invalid_transition_is_a_conflict_naming_machine_and_codes() -> None:
    with pytest.raises(Conflict) as caught:
        in_state(FACT, DONE).set_status(CANCELLED, at=T1, actor=ACTOR)
    assert isinstance(caught.value, InvalidTransition)
    assert "'done'" in caught.value.message
    assert "'cancelled'" in caught.value.message


def test_each_change_records_who_and_when() -> None:
    c = opened(PLANNED)
    c.start(at=T1, actor="employee:9")
    c.close(at=T1 + timedelta(minutes=1), actor="employee:10")
    assert [(h.from_status, h.to_status, h.actor) for h in c.history] == [
        (None, "created", ACTOR),
        ("created", "in_progress", "employee:9"),
        ("in_progress", "done", "employee:10"),
    ]
    assert c.update_time == T1 + timedelta(minutes=1)


# --- editing -------------------------------------------------------------------------


def test_edit_changes_the_given_fields_and_reports_them() -> None:
    c = opened(PLANNED)
    changed = c.edit(at=T1, actor=ACTOR, subject="New subject", employee_id=3, scheduled_at=T1)
    assert changed == {"subject", "employee_id", "scheduled_at"}
    assert (c.subject, c.employee_id, c.scheduled_at) == ("New subject", 3, T1)
    assert c.update_time == T1
    assert len(c.history) == 1  # editing is not a status change


def test_edit_with_none_clears_a_field_and_omitted_fields_stay() -> None:
    c = opened(PLANNED, subject="Old", content="Body")
    c.edit(at=T1, actor=ACTOR, subject=None)
    assert c.subject is None
    assert c.content == "Body"


def test_edit_with_unchanged_values_changes_nothing() -> None:
    c = opened(PLANNED, subject="Same")
    assert c.edit(at=T1, actor=ACTOR, subject="Same") == frozenset()
    assert c.update_time == T0


@pytest.mark.parametrize("terminal", TERMINAL)
def test_edit_of_a_terminal_communication_refuses_everything_but_result(terminal: LifecycleStatus) -> None:
    c = in_state(PLANNED, terminal)
    before = snapshot(c)
    with pytest.raises(Conflict) as caught:
        c.edit(at=T1, actor=ACTOR, subject="late change", result="written up")
    assert "subject" in caught.value.message
    assert snapshot(c) == before  # refused as a whole: not even the result was applied
    assert c.subject is None


@pytest.mark.parametrize("terminal", TERMINAL)
def test_edit_of_a_terminal_communication_may_still_write_the_result(terminal: LifecycleStatus) -> None:
    c = in_state(FACT, terminal)
    assert c.edit(at=T1, actor=ACTOR, result="Client will call back") == {"result"}
    assert c.result == "Client will call back"
    assert c.status is terminal


def test_edit_of_a_terminal_communication_accepts_a_repeated_unchanged_body() -> None:
    c = opened(FACT, subject="Call")
    c.close(at=T1, actor=ACTOR)
    assert c.edit(at=T1, actor=ACTOR, subject="Call", channel_id=2, result="ok") == {"result"}


# --- attempts ------------------------------------------------------------------------


def test_record_attempt_counts_and_remembers_the_provider() -> None:
    c = opened(PLANNED)
    c.record_attempt(at=T1, provider="twilio")
    c.record_attempt(at=T1, provider="twilio", provider_message_id="SM123")
    assert (c.attempts, c.provider, c.provider_message_id) == (2, "twilio", "SM123")
    assert c.update_time == T1


@pytest.mark.parametrize("terminal", TERMINAL)
def test_a_terminal_communication_cannot_be_attempted_again(terminal: LifecycleStatus) -> None:
    c = in_state(PLANNED, terminal)
    with pytest.raises(Conflict):
        c.record_attempt(at=T1, provider="twilio")
    assert c.attempts == 0


# --- identity ------------------------------------------------------------------------


def test_communications_with_the_same_id_are_equal() -> None:
    a, b = in_state(PLANNED, CREATED), in_state(PLANNED, DONE)
    assert a == b
    assert hash(a) == hash(b)


def test_communications_with_different_ids_differ() -> None:
    a, b = in_state(PLANNED, CREATED), in_state(PLANNED, CREATED)
    b.id = 8
    assert a != b


def test_an_unsaved_communication_equals_only_itself() -> None:
    a, b = opened(PLANNED), opened(PLANNED)
    assert a == a  # noqa: PLR0124
    assert a != b
    assert a != "not a communication"


def test_hash_stays_stable_when_storage_assigns_the_id() -> None:
    c = opened(PLANNED)
    bucket = {c}
    c.id = 42
    assert c in bucket


def test_edit_accepts_exactly_the_editable_fields() -> None:
    parameters = set(inspect.signature(Communication.edit).parameters) - {"self", "at", "actor"}
    assert parameters == EDITABLE_FIELDS
    assert EDITABLE_WHEN_TERMINAL <= EDITABLE_FIELDS
