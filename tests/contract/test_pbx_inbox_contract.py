"""The PBX event inbox, batched application, seen-id retention and the grouped report, on every storage.

The webhook keeps events in the inbox; the worker applies them in batches. A batch must give the
same answers as the events one by one (also when a call's events straddle batches or an eventID
repeats inside one), and a kept event must survive a restart of the process.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adapters.beeline.xsi import parse_event
from adapters.memory.live_feed import Doorbell, InProcessFeed
from adapters.phones import LibPhoneNumberParser
from adapters.security import Argon2PasswordHasher
from application.bootstrap import Bootstrap
from application.queries import Query
from application.telephony.inbox import EventInbox, InboxProcessor, SeenEventsRetention
from application.telephony.missed_call_report import GroupBy, MissedCallReports, ReportQuery
from application.telephony.pbx_events import PbxEvents
from application.telephony.ports import MissedCallSearch
from domain.communications import LifecycleStatus
from domain.telephony.call_events import XsiEvent
from domain.telephony.missed_calls import MissedCallStatus
from tests.support.clock import ManualClock
from tests.support.xsi_events import (
    START_MS,
    answered_call,
    group_call_answered_by_second_phone,
    missed_call,
    xsi_event,
)


def events_of(bodies: Iterable[bytes]) -> list[XsiEvent]:
    return [parse_event(body) for body in bodies]


def pbx_events(uow_factory: Any, clock: ManualClock) -> PbxEvents:
    return PbxEvents(uow_factory, clock, LibPhoneNumberParser("RU"), InProcessFeed(), Doorbell())


@pytest.fixture
async def ready(uow_factory: Any, clock: ManualClock, hasher: Argon2PasswordHasher) -> Any:
    await Bootstrap(uow_factory, clock, hasher)(None)
    return uow_factory


async def cards(uow_factory: Any) -> list[tuple[str, str, int]]:
    async with uow_factory(read_only=True) as uow:
        found = await uow.missed_calls.find(MissedCallSearch(status=None))
    return sorted((c.phone, c.status.value, c.calls) for c in found)


async def communications(uow_factory: Any) -> list[tuple[str, str]]:
    async with uow_factory(read_only=True) as uow:
        found = await uow.communications.find(Query(limit=1000))
    return sorted((c.subject or "", c.status.value) for c in found)


def mixed_traffic() -> list[bytes]:
    """Missed, answered and group-answered calls, a second missed call from one number, a repeat."""
    repeated = xsi_event("HookStatusEvent", event_id="repeated-id")
    return [
        *missed_call(remote="tel:+74951111111"),
        *answered_call(remote="tel:+74952222222"),
        *group_call_answered_by_second_phone(remote="tel:+74953333333"),
        repeated,
        *missed_call(remote="tel:84951111111"),
        repeated,
        *missed_call(remote="tel:+74954444444"),
        xsi_event("CallRecordingStartedEvent"),
    ]


async def test_a_batch_gives_the_same_answers_as_one_event_at_a_time(ready: Any, clock: ManualClock) -> None:
    bodies = mixed_traffic()
    one_by_one = pbx_events(ready, clock)
    singles = [await one_by_one.ingest(event) for event in events_of(bodies)]
    expected_cards, expected_calls = await cards(ready), await communications(ready)
    assert expected_cards == [("+74951111111", "missed", 2), ("+74954444444", "missed", 1)]
    assert [s.duplicate for s in singles].count(True) == 1

    # The same traffic again under new ids, in one batch and in batches that cut calls in two.
    for size in (len(bodies), 4):
        async with ready() as uow:
            for card in await uow.missed_calls.find(MissedCallSearch(status=None)):
                await uow.missed_calls.delete(card.id)
            await uow.commit()
        fresh = [body.replace(b"<xsi:eventID>", f"<xsi:eventID>{size}-".encode()) for body in bodies]
        fresh = [b.replace(b"<xsi:extTrackingId>", f"<xsi:extTrackingId>{size}-".encode()) for b in fresh]
        batched = pbx_events(ready, clock)
        results = []
        events = events_of(fresh)
        for start in range(0, len(events), size):
            results += await batched.ingest_many(events[start : start + size])
        assert await cards(ready) == expected_cards
        assert [r.outcome for r in results] == [s.outcome for s in singles]
        assert [r.duplicate for r in results] == [s.duplicate for s in singles]
    assert len(await communications(ready)) == 3 * len(expected_calls)


async def test_an_answer_in_the_same_batch_takes_the_missed_call_back(ready: Any, clock: ManualClock) -> None:
    # Events may arrive out of order: the unanswered half's release first, then the answer.
    track = "late-answer-track"
    bodies = [
        xsi_event("CallReceivedEvent", track=track, remote="tel:+74955555555"),
        xsi_event("CallReleasedEvent", track=track, remote="tel:+74955555555", release=START_MS + 4000),
        xsi_event("CallAnsweredEvent", track=track, remote="tel:+74955555555", answer=START_MS + 3000),
    ]
    await pbx_events(ready, clock).ingest_many(events_of(bodies))
    assert await cards(ready) == []


async def test_kept_events_survive_a_restart_and_are_applied_once(ready: Any, clock: ManualClock) -> None:
    inbox = EventInbox(ready, clock)
    for event in events_of([*missed_call(remote="tel:+74951111111"), *answered_call()]):
        await inbox.accept(event)
    # A new process: nothing in memory is shared with the one that answered 200.
    processor = InboxProcessor(ready, pbx_events(ready, clock), batch=4)
    assert await processor.waiting() == 6
    assert await processor.run_once() == 4
    assert await processor.run_once() == 2
    assert await processor.run_once() == 0
    assert await cards(ready) == [("+74951111111", "missed", 1)]
    statuses = [status for _, status in await communications(ready)]
    assert sorted(statuses) == sorted([LifecycleStatus.FAILED.value, LifecycleStatus.DONE.value])


async def test_a_delivery_kept_twice_is_applied_once(ready: Any, clock: ManualClock) -> None:
    inbox = EventInbox(ready, clock)
    bodies = list(missed_call(remote="tel:+74951111111"))
    for event in events_of([*bodies, *bodies]):
        await inbox.accept(event)
    processor = InboxProcessor(ready, pbx_events(ready, clock))
    assert await processor.run_once() == 6
    assert await cards(ready) == [("+74951111111", "missed", 1)]


class FailingOnce(PbxEvents):
    """Refuses the event with one id, as a bug or bad data would."""

    def __init__(self, inner: Any, clock: ManualClock, poison: str) -> None:
        super().__init__(inner, clock, LibPhoneNumberParser("RU"), InProcessFeed(), Doorbell())
        self.poison = poison

    async def apply(self, uow: Any, events: Sequence[XsiEvent]) -> Any:
        if any(e.event_id == self.poison for e in events):
            raise RuntimeError("cannot apply this one")
        return await super().apply(uow, events)


async def test_an_event_that_cannot_be_applied_is_set_aside_and_the_rest_go_on(
    ready: Any, clock: ManualClock
) -> None:
    inbox = EventInbox(ready, clock)
    poison = xsi_event("HookStatusEvent", event_id="poison")
    for event in events_of([*missed_call(remote="tel:+74951111111"), poison, *missed_call()]):
        await inbox.accept(event)
    processor = InboxProcessor(ready, FailingOnce(ready, clock, "poison"))
    assert await processor.run_once() == 7
    assert await processor.run_once() == 0
    assert await processor.waiting() == 0
    assert await cards(ready) == [("+74951111111", "missed", 1), ("+74951234567", "missed", 1)]


async def test_retention_forgets_only_ids_older_than_the_window(ready: Any, clock: ManualClock) -> None:
    events = pbx_events(ready, clock)
    old = xsi_event("HookStatusEvent", event_id="old-one")
    await events.ingest(parse_event(old))
    clock.advance(days=8)
    recent = xsi_event("HookStatusEvent", event_id="recent-one")
    await events.ingest(parse_event(recent))
    now = [0.0]
    retention = SeenEventsRetention(ready, clock, timedelta(days=7), every=60, monotonic=lambda: now[0])
    assert await retention.run_once() == 1
    now[0] += 30
    assert await retention.run_once() == 0  # not due yet
    assert (await events.ingest(parse_event(recent))).duplicate
    assert not (await events.ingest(parse_event(old))).duplicate  # forgotten: why the window must be long


async def missed_at(events: PbxEvents, remote: str, at: datetime) -> None:
    start = int(at.timestamp() * 1000)
    track = f"track-{remote}-{start}"
    await events.ingest_many(
        events_of(
            [
                xsi_event("CallReceivedEvent", track=track, remote=remote, start=start),
                xsi_event("CallReleasedEvent", track=track, remote=remote, start=start, release=start + 9000),
            ]
        )
    )


async def test_the_report_is_grouped_by_storage_with_the_same_answers_everywhere(
    ready: Any, clock: ManualClock
) -> None:
    events = pbx_events(ready, clock)
    base = datetime(2026, 3, 1, tzinfo=UTC)
    # 18:40 UTC is 00:10 the next day in Kolkata (+05:30) and 21:40 in Moscow (+03:00).
    await missed_at(events, "tel:+74951111111", base.replace(hour=18, minute=40))
    await missed_at(events, "tel:+74951111111", base.replace(hour=18, minute=50))  # same open card
    await missed_at(events, "tel:+74952222222", base.replace(hour=9, minute=5))
    await missed_at(events, "tel:+74953333333", base.replace(hour=19, minute=20))
    async with ready() as uow:
        card = await uow.missed_calls.open_for("+74952222222")
        assert card is not None
        card.edit(status=MissedCallStatus.CALLED_BACK, result="called", employee_id=7, at=clock.now())
        await uow.missed_calls.update(card)
        await uow.commit()
    reports = MissedCallReports(ready)

    async def grouped(group_by: GroupBy, zone: str = "UTC", **search: Any) -> list[tuple[str, int, int, int]]:
        report = await reports.report(
            ReportQuery(
                since=base,
                until=base + timedelta(days=2),
                search=MissedCallSearch(**{"status": None, **search}),
                group_by=group_by,
                time_zone=zone,
            )
        )
        assert report.total_cards == sum(g.cards for g in report.groups)
        return [(g.key, g.cards, g.calls, g.called_back) for g in report.groups]

    assert await grouped(GroupBy.DAY) == [("2026-03-01", 3, 4, 1)]
    assert await grouped(GroupBy.DAY, "Asia/Kolkata") == [("2026-03-01", 1, 1, 1), ("2026-03-02", 2, 3, 0)]
    # +05:45: a zone whose offset is not whole hours groups the same way on every storage.
    assert await grouped(GroupBy.DAY, "Asia/Kathmandu") == [("2026-03-01", 1, 1, 1), ("2026-03-02", 2, 3, 0)]
    assert await grouped(GroupBy.HOUR, "Asia/Kolkata") == [
        ("2026-03-01T14:00", 1, 1, 1),
        ("2026-03-02T00:00", 2, 3, 0),
    ]
    assert await grouped(GroupBy.HOUR, "Europe/Moscow") == [
        ("2026-03-01T12:00", 1, 1, 1),
        ("2026-03-01T21:00", 1, 2, 0),
        ("2026-03-01T22:00", 1, 1, 0),
    ]
    assert await grouped(GroupBy.STATUS) == [("called_back", 1, 1, 1), ("missed", 2, 3, 0)]
    assert await grouped(GroupBy.PHONE, status=MissedCallStatus.MISSED) == [
        ("+74951111111", 1, 2, 0),
        ("+74953333333", 1, 1, 0),
    ]
    assert await grouped(GroupBy.CLIENT) == [("", 3, 4, 1)]
    assert await grouped(GroupBy.EMPLOYEE) == [("", 3, 4, 1)]
