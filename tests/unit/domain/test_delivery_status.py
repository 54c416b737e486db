"""The delivery state machine: monotonic, never raising on late callbacks, driving the lifecycle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import MappingProxyType

import pytest

from domain.communications import (
    DELIVERY_RANK,
    DELIVERY_TRANSITIONS,
    Communication,
    CommunicationKind,
    DeliveryStatus,
    Direction,
    LifecycleStatus,
    StatusChange,
    delivery_accepts,
)

D = DeliveryStatus
L = LifecycleStatus
FACT = CommunicationKind.FACT
PLANNED = CommunicationKind.PLANNED

T0 = datetime(2025, 3, 3, 9, 30, tzinfo=UTC)
T1 = T0 + timedelta(minutes=5)
T2 = T0 + timedelta(hours=3)
UUID = "0b7e4c2a-9f1d-4a3b-8c6e-5d4f3a2b1c0d"
PROVIDER = "provider:twilio"

LADDER = [D.QUEUED, D.SENDING, D.SENT, D.DELIVERED, D.READ, D.RESPONDED]
IN_FLIGHT = [D.QUEUED, D.SENDING, D.SENT]
SUCCESSES = [D.DELIVERED, D.READ, D.RESPONDED]
FINAL_FAILURES = [D.UNDELIVERED, D.FAILED]


def _accepted_pairs() -> frozenset[tuple[DeliveryStatus, DeliveryStatus]]:
    """SPEC §2, written independently of the module's table."""
    pairs = {(a, b) for i, a in enumerate(LADDER) for b in LADDER[i + 1 :]}  # only forwards
    pairs |= {(a, f) for a in IN_FLIGHT for f in FINAL_FAILURES}  # a failure ends what is in flight
    pairs |= {(D.UNDELIVERED, s) for s in SUCCESSES}  # the late-DLR decision (see statuses.py)
    return frozenset(pairs)


ACCEPTED = _accepted_pairs()
EVERY_PAIR = [(a, b) for a in DeliveryStatus for b in DeliveryStatus]
PAIR_IDS = [f"{a}->{b}" for a, b in EVERY_PAIR]


def opened(kind: CommunicationKind = PLANNED) -> Communication:
    return Communication.open(
        uuid=UUID, kind=kind, direction=Direction.OUTBOUND, type_id=1, channel_id=1, at=T0, actor="employee:1"
    )


def with_delivery(status: DeliveryStatus, lifecycle: LifecycleStatus = L.IN_PROGRESS) -> Communication:
    """As storage would load it: the lifecycle is given separately so only delivery is under test."""
    return Communication(
        id=1,
        uuid=UUID,
        type_id=1,
        channel_id=1,
        direction=Direction.OUTBOUND,
        kind=PLANNED,
        status=lifecycle,
        delivery_status=status,
        started_at=T0,
        finished_at=T0 if lifecycle is L.DONE else None,
        create_time=T0,
        update_time=T0,
    )


def delivery_entries(c: Communication) -> list[StatusChange]:
    return [h for h in c.history if h.field == "delivery_status"]


# --- the table -----------------------------------------------------------------------


@pytest.mark.parametrize(("current", "reported"), EVERY_PAIR, ids=PAIR_IDS)
def test_delivery_table_accepts_exactly_the_specified_moves(
    current: DeliveryStatus, reported: DeliveryStatus
) -> None:
    assert delivery_accepts(current, reported) is ((current, reported) in ACCEPTED)


@pytest.mark.parametrize("reported", list(DeliveryStatus))
def test_the_first_report_is_taken_whatever_it_is(reported: DeliveryStatus) -> None:
    assert delivery_accepts(None, reported)


def test_every_accepted_move_raises_the_rank() -> None:
    assert set(DELIVERY_TRANSITIONS) == set(DeliveryStatus) == set(DELIVERY_RANK)
    for current, targets in DELIVERY_TRANSITIONS.items():
        for target in targets:
            assert DELIVERY_RANK[target] > DELIVERY_RANK[current], (current, target)


def test_the_rank_follows_the_success_ladder() -> None:
    assert [DELIVERY_RANK[s] for s in LADDER] == sorted(DELIVERY_RANK[s] for s in LADDER)


def test_delivery_tables_are_read_only() -> None:
    for table in (DELIVERY_TRANSITIONS, DELIVERY_RANK):
        assert isinstance(table, MappingProxyType)
        with pytest.raises(TypeError):
            table[D.QUEUED] = 0  # type: ignore[index]


# --- every pair through the entity ---------------------------------------------------


@pytest.mark.parametrize(("current", "reported"), EVERY_PAIR, ids=PAIR_IDS)
def test_record_delivery_applies_accepted_pairs_and_ignores_the_rest_without_raising(
    current: DeliveryStatus, reported: DeliveryStatus
) -> None:
    c = with_delivery(current)
    history_before, update_before = list(c.history), c.update_time
    changed = c.record_delivery(reported, at=T1, actor=PROVIDER, reason="30003")
    if (current, reported) in ACCEPTED:
        assert changed is True
        assert c.delivery_status is reported
        assert c.history[0] == StatusChange(
            field="delivery_status",
            from_status=current.value,
            to_status=reported.value,
            at=T1,
            actor=PROVIDER,
            note="30003",
        )
        assert c.update_time == T1
    else:
        assert changed is False
        assert c.delivery_status is current
        assert c.history == history_before
        assert c.update_time == update_before


@pytest.mark.parametrize("reported", list(DeliveryStatus))
def test_first_delivery_report_is_recorded_from_nothing(reported: DeliveryStatus) -> None:
    c = opened()
    assert c.record_delivery(reported, at=T1, actor=PROVIDER) is True
    assert c.delivery_status is reported
    assert delivery_entries(c)[0].from_status is None


def test_a_late_callback_is_ignored_and_leaves_no_trace() -> None:
    c = opened()
    for status in (D.QUEUED, D.SENT, D.DELIVERED):
        c.record_delivery(status, at=T1, actor=PROVIDER)
    before = (list(c.history), c.update_time, c.status)
    assert c.record_delivery(D.SENT, at=T2, actor=PROVIDER) is False
    assert c.record_delivery(D.DELIVERED, at=T2, actor=PROVIDER) is False  # a duplicate
    assert (list(c.history), c.update_time, c.status) == before
    assert c.delivery_status is D.DELIVERED


@pytest.mark.parametrize("success", SUCCESSES)
def test_nothing_regresses_after_a_success(success: DeliveryStatus) -> None:
    c = with_delivery(success)
    for status in DeliveryStatus:
        if DELIVERY_RANK[status] <= DELIVERY_RANK[success] or status in FINAL_FAILURES:
            assert c.record_delivery(status, at=T1, actor=PROVIDER) is False
    assert c.delivery_status is success


# --- delivery drives the lifecycle ---------------------------------------------------


@pytest.mark.parametrize("success", SUCCESSES)
def test_a_success_closes_an_open_communication(success: DeliveryStatus) -> None:
    c = with_delivery(D.SENT, L.IN_PROGRESS)
    c.record_delivery(success, at=T1, actor=PROVIDER)
    assert c.status is L.DONE
    assert c.finished_at == T1
    assert [(h.field, h.to_status, h.actor) for h in c.history] == [
        ("delivery_status", success.value, PROVIDER),
        ("status", "done", PROVIDER),
    ]


def test_a_success_on_a_created_communication_goes_through_in_progress() -> None:
    c = opened(PLANNED)
    c.record_delivery(D.DELIVERED, at=T1, actor=PROVIDER)
    assert c.status is L.DONE
    assert c.started_at == T1
    assert c.finished_at == T1
    assert [(h.field, h.from_status, h.to_status) for h in c.history[1:]] == [
        ("delivery_status", None, "delivered"),
        ("status", "created", "in_progress"),
        ("status", "in_progress", "done"),
    ]


def test_a_success_closes_a_fact_communication() -> None:
    c = opened(FACT)
    c.record_delivery(D.READ, at=T1, actor=PROVIDER)
    assert (c.status, c.started_at, c.finished_at) == (L.DONE, T0, T1)


@pytest.mark.parametrize("failure", FINAL_FAILURES)
def test_a_final_failure_fails_an_open_communication_with_the_provider_reason(
    failure: DeliveryStatus,
) -> None:
    c = opened(PLANNED)
    c.record_delivery(D.SENT, at=T1, actor=PROVIDER)
    c.record_delivery(failure, at=T2, actor=PROVIDER, reason="30003 Unreachable destination handset")
    assert c.status is L.FAILED
    assert c.failure_reason == "30003 Unreachable destination handset"
    assert c.history[-1] == StatusChange(
        field="status",
        from_status="created",
        to_status="failed",
        at=T2,
        actor=PROVIDER,
        note="30003 Unreachable destination handset",
    )


@pytest.mark.parametrize("reason", [None, "", "  "])
def test_a_final_failure_without_reason_is_named_after_the_status(reason: str | None) -> None:
    c = opened(FACT)
    assert c.record_delivery(D.UNDELIVERED, at=T1, actor=PROVIDER, reason=reason) is True
    assert c.status is L.FAILED
    assert c.failure_reason == "delivery undelivered"


@pytest.mark.parametrize("status", IN_FLIGHT)
def test_in_flight_reports_do_not_move_the_lifecycle(status: DeliveryStatus) -> None:
    c = opened(PLANNED)
    c.record_delivery(status, at=T1, actor=PROVIDER)
    assert c.status is L.CREATED
    assert len(c.history) == 2


@pytest.mark.parametrize("reported", SUCCESSES + FINAL_FAILURES)
@pytest.mark.parametrize("terminal", [L.DONE, L.CANCELLED, L.FAILED])
def test_delivery_never_reopens_or_changes_a_terminal_lifecycle(
    terminal: LifecycleStatus, reported: DeliveryStatus
) -> None:
    c = with_delivery(D.SENT, terminal)
    assert c.record_delivery(reported, at=T1, actor=PROVIDER, reason="late") is True
    assert c.status is terminal
    assert c.failure_reason is None
    assert [h.field for h in c.history] == ["delivery_status"]


# --- the decision on a success after a final failure ---------------------------------


@pytest.mark.parametrize("success", SUCCESSES)
def test_a_late_success_after_undelivered_is_accepted_but_the_lifecycle_stays_failed(
    success: DeliveryStatus,
) -> None:
    c = opened(PLANNED)
    c.record_delivery(D.SENT, at=T0, actor=PROVIDER)
    c.record_delivery(D.UNDELIVERED, at=T1, actor=PROVIDER, reason="handset off")
    assert c.record_delivery(success, at=T2, actor=PROVIDER) is True
    assert c.delivery_status is success
    assert c.status is L.FAILED  # terminal; any fallback already decided on the failure
    assert c.failure_reason == "handset off"
    assert c.finished_at is None


@pytest.mark.parametrize("success", SUCCESSES)
def test_a_success_after_a_provider_failure_is_ignored(success: DeliveryStatus) -> None:
    c = opened(PLANNED)
    c.record_delivery(D.FAILED, at=T1, actor=PROVIDER, reason="21211 invalid number")
    assert c.record_delivery(success, at=T2, actor=PROVIDER) is False
    assert c.delivery_status is D.FAILED


def test_the_first_final_failure_wins() -> None:
    c = opened(PLANNED)
    c.record_delivery(D.UNDELIVERED, at=T1, actor=PROVIDER, reason="first")
    assert c.record_delivery(D.FAILED, at=T2, actor=PROVIDER, reason="second") is False
    assert (c.delivery_status, c.failure_reason) == (D.UNDELIVERED, "first")
