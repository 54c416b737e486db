"""PBX events to missed-call cards and Call communications, on memory, SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

from adapters.beeline.xsi import parse_event
from adapters.memory.live_feed import Doorbell, InProcessFeed
from adapters.phones import LibPhoneNumberParser
from adapters.security import Argon2PasswordHasher
from application.bootstrap import Bootstrap
from application.queries import Query
from application.telephony.missed_call_report import GroupBy, MissedCallReports, ReportQuery
from application.telephony.missed_calls import EditMissedCall, MissedCalls
from application.telephony.pbx_events import PbxEvents
from application.telephony.ports import MissedCallSearch
from domain.access import Permission, Principal, PrincipalKind, Process
from domain.clients import Client
from domain.communications import Direction, LifecycleStatus
from domain.errors import InvalidTransition, ValidationFailed
from domain.telephony.call_records import CallOutcome
from domain.telephony.missed_calls import BOOKED_NOTE, ChangesNotSaved, MissedCallStatus
from domain.telephony.subscriptions import PbxSubscription
from tests.support.clock import ManualClock
from tests.support.xsi_events import (
    answered_call,
    group_call_answered_by_second_phone,
    missed_call,
    xsi_event,
)

OPERATOR = Principal(kind=PrincipalKind.EMPLOYEE, id=1, login="admin", grants=())


class Telephony:
    def __init__(self, uow_factory: Any, clock: ManualClock) -> None:
        self.uow = uow_factory
        self.clock = clock
        self.feed = InProcessFeed()
        self.doorbell = Doorbell()
        self.events = PbxEvents(uow_factory, clock, LibPhoneNumberParser("RU"), self.feed, self.doorbell)
        self.cards = MissedCalls(uow_factory, clock, self.feed)
        self.reports = MissedCallReports(uow_factory)

    async def send(self, bodies: Iterable[bytes]) -> list[CallOutcome]:
        return [(await self.events.ingest(parse_event(body))).outcome for body in bodies]


@pytest.fixture
async def telephony(uow_factory: Any, clock: ManualClock, hasher: Argon2PasswordHasher) -> Telephony:
    await Bootstrap(uow_factory, clock, hasher)(None)
    return Telephony(uow_factory, clock)


async def add_client(telephony: Telephony, phone: str) -> int:
    async with telephony.uow() as uow:
        client = await uow.clients.add(
            Client(
                first_name="Ivan",
                last_name="Petrov",
                phones=[phone],
                create_time=telephony.clock.now(),
                update_time=telephony.clock.now(),
            )
        )
        await uow.commit()
    assert client.id is not None
    return client.id


async def test_a_missed_call_opens_a_card_with_the_recognised_client(telephony: Telephony) -> None:
    client_id = await add_client(telephony, "+74951234567")
    outcomes = await telephony.send(missed_call(remote="tel:8 (495) 123-45-67"))
    assert outcomes[-1] is CallOutcome.MISSED
    page = await telephony.cards.find(MissedCallSearch())
    assert page.total == 1
    card = page.items[0]
    assert (card.phone, card.client_id, card.client_name, card.calls) == (
        "+74951234567",
        client_id,
        "Petrov Ivan",
        1,
    )
    assert card.status is MissedCallStatus.MISSED


async def test_the_missed_call_is_recorded_as_a_failed_inbound_call_communication(
    telephony: Telephony,
) -> None:
    await telephony.send(missed_call())
    async with telephony.uow(read_only=True) as uow:
        [communication] = await uow.communications.find(Query())
    assert communication.direction is Direction.INBOUND
    assert communication.status is LifecycleStatus.FAILED and communication.failure_reason == "missed"
    assert communication.content is not None and "duration 0 s" in communication.content


async def test_an_answered_call_is_a_done_communication_and_no_card(telephony: Telephony) -> None:
    outcomes = await telephony.send(answered_call())
    assert CallOutcome.MISSED not in outcomes
    assert (await telephony.cards.find(MissedCallSearch())).total == 0
    async with telephony.uow(read_only=True) as uow:
        [communication] = await uow.communications.find(Query())
    assert communication.status is LifecycleStatus.DONE
    assert communication.content is not None and "duration 90 s" in communication.content


async def test_a_group_call_answered_by_the_second_phone_opens_no_card(telephony: Telephony) -> None:
    await telephony.send(group_call_answered_by_second_phone())
    assert (await telephony.cards.find(MissedCallSearch(status=None))).total == 0


async def test_a_second_missed_call_adds_to_the_open_card(telephony: Telephony) -> None:
    await telephony.send(missed_call(remote="tel:+74951234567"))
    telephony.clock.advance(minutes=5)
    await telephony.send(missed_call(remote="sip:84951234567@ip.beeline.ru"))
    page = await telephony.cards.find(MissedCallSearch())
    assert page.total == 1 and page.items[0].calls == 2


async def test_repeated_delivery_of_an_event_changes_nothing(telephony: Telephony) -> None:
    body = xsi_event("CallReleasedEvent", event_id="e-1", release=1_772_359_230_000)
    first = await telephony.events.ingest(parse_event(body))
    again = await telephony.events.ingest(parse_event(body))
    assert first.outcome is CallOutcome.MISSED and again.duplicate
    assert (await telephony.cards.find(MissedCallSearch())).items[0].calls == 1


async def test_unknown_event_types_are_accepted_and_ignored(telephony: Telephony) -> None:
    result = await telephony.events.ingest(parse_event(xsi_event("CallRecordingStartedEvent")))
    assert result.outcome is CallOutcome.NOTHING and not result.duplicate


async def test_subscription_terminated_marks_it_lost_and_rings_the_worker(telephony: Telephony) -> None:
    async with telephony.uow() as uow:
        subscription = await uow.pbx_subscriptions.add(
            PbxSubscription(url="u", create_time=telephony.clock.now(), update_time=telephony.clock.now())
        )
        subscription.granted(
            subscription_id="b6e303d7-e0b3-4674-a216-881729e97070", expires=60, at=telephony.clock.now()
        )
        await uow.pbx_subscriptions.update(subscription)
        await uow.commit()
    result = await telephony.events.ingest(parse_event(xsi_event("SubscriptionTerminatedEvent")))
    assert result.resubscribe and await telephony.doorbell.wait(0)
    async with telephony.uow(read_only=True) as uow:
        [stored] = await uow.pbx_subscriptions.all()
    assert stored.subscription_id is None and stored.state.value == "pending"


async def test_working_a_card(telephony: Telephony) -> None:
    await telephony.send(missed_call())
    card_id = (await telephony.cards.find(MissedCallSearch())).items[0].id
    with pytest.raises(ChangesNotSaved):
        await telephony.cards.edit(
            OPERATOR, card_id, EditMissedCall(status=MissedCallStatus.MISSED, result="x")
        )
    with pytest.raises(ValidationFailed):
        await telephony.cards.edit(OPERATOR, card_id, EditMissedCall(status=MissedCallStatus.CALLED_BACK))
    assert (await telephony.cards.get(card_id)).result is None
    worked = await telephony.cards.edit(
        OPERATOR, card_id, EditMissedCall(status=MissedCallStatus.CALLED_BACK, result="calls back Monday")
    )
    assert worked.called_back_by == 1 and worked.called_back_at == telephony.clock.now()
    assert (await telephony.cards.find(MissedCallSearch())).total == 0
    assert (await telephony.cards.find(MissedCallSearch(status=MissedCallStatus.CALLED_BACK))).total == 1


async def test_booking_closes_the_card_and_a_new_call_opens_another(telephony: Telephony) -> None:
    await telephony.send(missed_call())
    card_id = (await telephony.cards.find(MissedCallSearch())).items[0].id
    booked = await telephony.cards.book(OPERATOR, card_id)
    assert booked.result == BOOKED_NOTE and booked.status is MissedCallStatus.CALLED_BACK
    with pytest.raises(InvalidTransition):
        await telephony.cards.book(OPERATOR, card_id)
    await telephony.send(missed_call())
    page = await telephony.cards.find(MissedCallSearch())
    assert page.total == 1 and page.items[0].id != card_id


async def test_the_list_is_newest_first(telephony: Telephony) -> None:
    for number in ("+74950000001", "+74950000002", "+74950000003"):
        track_start = telephony.clock.advance(minutes=1)
        await telephony.send(
            [
                xsi_event(
                    "CallReleasedEvent",
                    remote=f"tel:{number}",
                    track=number,
                    start=int(track_start.timestamp() * 1000),
                    release=int(track_start.timestamp() * 1000) + 1000,
                )
            ]
        )
    page = await telephony.cards.find(MissedCallSearch(limit=2))
    assert [c.phone for c in page.items] == ["+74950000003", "+74950000002"] and page.total == 3


async def test_the_report_groups_by_status_and_phone(telephony: Telephony) -> None:
    await telephony.send(missed_call(remote="tel:+74951111111"))
    await telephony.send(missed_call(remote="tel:+74951111111"))
    await telephony.send(missed_call(remote="tel:+74952222222"))
    card = (await telephony.cards.find(MissedCallSearch(phone="+74952222222"))).items[0]
    await telephony.cards.book(OPERATOR, card.id)
    since, until = card.first_call_at.replace(hour=0), card.first_call_at.replace(hour=23)
    by_status = await telephony.reports.report(
        ReportQuery(since=since, until=until, search=MissedCallSearch(status=None), group_by=GroupBy.STATUS)
    )
    assert [(g.key, g.cards, g.calls) for g in by_status.groups] == [("called_back", 1, 1), ("missed", 1, 2)]
    by_phone = await telephony.reports.report(
        ReportQuery(since=since, until=until, search=MissedCallSearch(status=None), group_by=GroupBy.PHONE)
    )
    assert [(g.key, g.calls, g.called_back) for g in by_phone.groups] == [
        ("+74951111111", 2, 0),
        ("+74952222222", 1, 1),
    ]
    flat = await telephony.reports.report(ReportQuery(since=since, until=until, search=MissedCallSearch()))
    assert flat.total_cards == 1 and flat.total_calls == 2 and len(flat.items) == 1


class RecordingCallCenter:
    def __init__(self) -> None:
        self.orders: list[Any] = []

    async def send_campaign(self, order: Any) -> None:
        self.orders.append(order)

    async def close_campaign(self, campaign_id: int) -> None:
        self.orders.append(campaign_id)


async def test_a_campaign_over_a_group_its_calls_and_its_progress(telephony: Telephony) -> None:
    from datetime import timedelta

    from application.telephony.campaigns import CallCampaigns, CallUpdate, CampaignFinish, NewCampaign
    from domain.clients import ClientGroup

    center = RecordingCallCenter()
    campaigns = CallCampaigns(telephony.uow, telephony.clock, center, "https://sb.example")
    ids = [await add_client(telephony, f"+7495000000{i}") for i in range(2)]
    async with telephony.uow() as uow:
        now = telephony.clock.now()
        group = await uow.client_groups.add(ClientGroup(name="g", create_time=now, update_time=now))
        assert group.id is not None
        await uow.client_groups.add_members(group.id, ids)
        await uow.commit()
    admin = Principal.process(Process.SCHEDULER, Permission.SEND_COMMUNICATIONS)
    created = await campaigns.create(
        admin, NewCampaign(name="c", start_at=now, end_at=now + timedelta(days=1), client_group_id=group.id)
    )
    assert created.id is not None and created.contacts_total == 2
    await campaigns.send(admin, created.id)
    contacts = center.orders[0].contacts
    assert [c.phone for c in contacts] == ["+74950000000", "+74950000001"] and contacts[0].id != contacts[
        1
    ].id
    call = CallUpdate(
        campaign_id=created.id, contact_id=contacts[0].id, phone="+74950000000", agent="Agent/1", station="1",
        started_at=now, answered_at=now + timedelta(seconds=5), ended_at=now + timedelta(seconds=65),
        duration=60, ring_time=5, recording_url="http://rec/1", status="ANSWERED", call_id="1.1",
    )  # fmt: skip
    assert await campaigns.record_call(call) is True
    assert await campaigns.record_call(call) is False
    finished = await campaigns.finish(
        CampaignFinish(campaign_id=created.id, status="COMPLETED", contact_total=2, contact_success=1)
    )
    assert (finished.status.value, finished.contacts_called, finished.contacts_successful) == ("closed", 1, 1)
    async with telephony.uow(read_only=True) as uow:
        [communication] = await uow.communications.find(Query())
        stored = await uow.call_campaigns.get(created.id)
    assert communication.status is LifecycleStatus.DONE and communication.client_id == ids[0]
    assert stored is not None and stored.reported_successful == 1
