"""What XSI call events mean: missed, answered, group ringing, campaign statuses."""

from __future__ import annotations

import pytest

from domain.communications.statuses import Direction, LifecycleStatus
from domain.telephony.call_events import CallHalf, XsiEvent, remote_number
from domain.telephony.call_records import CallOutcome, CallRecord
from domain.telephony.campaigns import verdict_of
from tests.unit.domain.test_missed_call_card import T0

START = 1_772_359_200_000  # epoch ms


def event(
    kind: str,
    *,
    target: str = "101@pbx",
    personality: str = "Terminator",
    answer: int | None = None,
    release: int | None = None,
    cause: str | None = None,
    track: str = "track-1",
) -> XsiEvent:
    return XsiEvent(
        event_id=f"{kind}-{target}-{answer}-{release}",
        event_type=kind,
        target_id=target,
        call=CallHalf(
            call_id=f"callhalf-{target}",
            ext_tracking_id=track,
            personality=personality,
            remote_address="tel:+74951234567",
            release_cause=cause,
            start_time=START,
            answer_time=answer,
            release_time=release,
        ),
    )


def fold(*events: XsiEvent) -> tuple[CallRecord, list[CallOutcome]]:
    record = CallRecord.first_seen(events[0], at=T0)
    return record, [record.apply(e, at=T0) for e in events]


def test_a_terminator_released_without_answer_time_is_missed() -> None:
    record, outcomes = fold(event("CallReceivedEvent"), event("CallReleasedEvent", release=START + 20_000))
    assert outcomes == [CallOutcome.NOTHING, CallOutcome.MISSED]
    assert record.missed and record.direction is Direction.INBOUND and record.remote_number == "+74951234567"


def test_an_answered_call_is_not_missed_and_has_a_duration() -> None:
    record, outcomes = fold(
        event("CallReceivedEvent"),
        event("CallAnsweredEvent", answer=START + 5_000),
        event("CallReleasedEvent", answer=START + 5_000, release=START + 65_000),
    )
    assert CallOutcome.MISSED not in outcomes and not record.missed
    assert record.duration_seconds == 60


@pytest.mark.parametrize("cause", ["Busy", "Forbidden"])
def test_a_busy_or_rejected_incoming_call_is_missed(cause: str) -> None:
    _, outcomes = fold(event("CallReleasedEvent", cause=cause, release=START + 1000))
    assert outcomes == [CallOutcome.MISSED]


def test_an_outgoing_call_nobody_answered_is_not_missed() -> None:
    _, outcomes = fold(event("CallReleasedEvent", personality="Originator", release=START + 1000))
    assert outcomes == [CallOutcome.NOTHING]


def test_group_call_answered_by_the_second_phone_is_not_missed() -> None:
    record, outcomes = fold(
        event("CallReceivedEvent", target="101@pbx"),
        event("CallReceivedEvent", target="102@pbx"),
        event("CallAnsweredEvent", target="102@pbx", answer=START + 4000),
        event("CallReleasedEvent", target="101@pbx", release=START + 4000),
        event("CallReleasedEvent", target="102@pbx", answer=START + 4000, release=START + 30_000),
    )
    assert CallOutcome.MISSED not in outcomes and record.target_id == "102@pbx"


def test_group_call_nobody_answered_is_missed_once() -> None:
    _, outcomes = fold(
        event("CallReleasedEvent", target="101@pbx", release=START + 9000),
        event("CallReleasedEvent", target="102@pbx", release=START + 9000),
    )
    assert outcomes.count(CallOutcome.MISSED) == 1


def test_an_answer_delivered_after_the_release_takes_the_missed_call_back() -> None:
    _, outcomes = fold(
        event("CallReleasedEvent", target="101@pbx", release=START + 4000),
        event("CallAnsweredEvent", target="102@pbx", answer=START + 4000),
    )
    assert outcomes == [CallOutcome.MISSED, CallOutcome.UNMISSED]


@pytest.mark.parametrize(
    ("address", "number"),
    [("tel:+74951234567", "+74951234567"), ("sip:84951234567@ip.beeline.ru", "84951234567"), (None, None)],
)
def test_remote_number_from_party_address(address: str | None, number: str | None) -> None:
    assert remote_number(address) == number


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("ANSWERED", (LifecycleStatus.DONE, None)),
        ("NO ANSWER", (LifecycleStatus.FAILED, "NO ANSWER")),
        ("BUSY", (LifecycleStatus.FAILED, "BUSY")),
        ("FAILED", (LifecycleStatus.FAILED, "FAILED")),
        ("CONGESTION", (LifecycleStatus.FAILED, "CONGESTION")),
        ("SOMETHING NEW", (LifecycleStatus.FAILED, "SOMETHING NEW")),
    ],
)
def test_call_center_status_maps_to_lifecycle(
    status: str, expected: tuple[LifecycleStatus, str | None]
) -> None:
    verdict = verdict_of(status)
    assert (verdict.status, verdict.reason) == expected
