"""The PBX's call events in: call records, Call communications, the missed-calls queue (SPEC §5.1)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from application.ports import Clock, PhoneNumberParser, UnitOfWork, UnitOfWorkFactory
from application.telephony.call_log import (
    CallDictionary,
    LiveFeed,
    call_dictionary,
    call_summary,
    client_of,
    employee_of,
    open_call_communication,
)
from domain.access import Process
from domain.communications.statuses import Direction
from domain.telephony.call_events import EventType, Personality, XsiEvent
from domain.telephony.call_records import CallOutcome, CallRecord
from domain.telephony.missed_calls import MissedCall

ACTOR = f"process:{Process.PBX.value}"
MISSED_CALLS_TOPIC = "missed-calls"


class Doorbell(Protocol):
    """Wakes the subscription worker at once (the PBX ended a subscription)."""

    def ring(self) -> None: ...


@dataclass(frozen=True)
class Ingested:
    duplicate: bool = False
    outcome: CallOutcome = CallOutcome.NOTHING
    missed_call_id: int | None = None
    resubscribe: bool = False


class PbxEvents:
    """Takes one XSI event: idempotent by eventID, one short transaction, no network calls."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        phones: PhoneNumberParser,
        feed: LiveFeed,
        doorbell: Doorbell,
    ) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self._phones = phones
        self._feed = feed
        self._doorbell = doorbell
        self._dictionary: CallDictionary | None = None

    async def ingest(self, event: XsiEvent) -> Ingested:
        """Applies the event once; a repeated eventID changes nothing."""
        return (await self.ingest_many([event]))[0]

    async def ingest_many(self, events: Sequence[XsiEvent]) -> list[Ingested]:
        """Applies events in order in one transaction (one commit for a burst of deliveries)."""
        async with self._uow_factory() as uow:
            results = [await self._apply(uow, event) for event in events]
            await uow.commit()
        for result in results:
            if result.resubscribe:
                self._doorbell.ring()
            if result.missed_call_id is not None:
                self._feed.publish(
                    MISSED_CALLS_TOPIC, {"id": result.missed_call_id, "change": result.outcome.value}
                )
        return results

    async def _apply(self, uow: UnitOfWork, event: XsiEvent) -> Ingested:
        if not await uow.seen_call_events.first_time(event.event_id, self._clock.now()):
            return Ingested(duplicate=True)
        if event.known_type is EventType.SUBSCRIPTION_TERMINATED:
            return Ingested(resubscribe=await self._terminated(uow, event))
        if event.call is not None and event.known_type is not None:
            return await self._call_event(uow, event)
        return Ingested()

    async def _terminated(self, uow: UnitOfWork, event: XsiEvent) -> bool:
        now = self._clock.now()
        for subscription in await uow.pbx_subscriptions.all():
            if event.subscription_id is None or subscription.subscription_id == event.subscription_id:
                subscription.lost(at=now)
                await uow.pbx_subscriptions.update(subscription)
        return True

    async def _call_event(self, uow: UnitOfWork, event: XsiEvent) -> Ingested:
        assert event.call is not None
        now = self._clock.now()
        record = await uow.call_records.by_tracking_id(event.call.ext_tracking_id)
        new = record is None
        if record is None:
            record = CallRecord.first_seen(event, at=now)
        outcome = record.apply(event, at=now)
        phone, client_id, employee_id = None, None, None
        if new or outcome is CallOutcome.MISSED:
            phone, client_id = await client_of(uow, self._phones, record.remote_number)
            employee_id = await employee_of(uow, record.target_id)
        if new:
            record.communication_id = await self._open_communication(uow, record, client_id, employee_id)
            record = await uow.call_records.add(record)
        missed_call_id = None
        if outcome is CallOutcome.MISSED:
            missed_call_id = await self._register_missed(uow, record, phone, client_id, employee_id)
        elif outcome is CallOutcome.UNMISSED:
            missed_call_id = await self._take_back(uow, record)
        await self._update_communication(uow, record, event)
        await uow.call_records.update(record)
        return Ingested(outcome=outcome, missed_call_id=missed_call_id)

    async def _open_communication(
        self, uow: UnitOfWork, record: CallRecord, client_id: int | None, employee_id: int | None
    ) -> int | None:
        if self._dictionary is None:
            self._dictionary = await call_dictionary(uow)
        communication = await open_call_communication(
            uow,
            record,
            dictionary=self._dictionary,
            client_id=client_id,
            employee_id=employee_id,
            at=self._clock.now(),
            actor=ACTOR,
        )
        return communication.id

    async def _register_missed(
        self,
        uow: UnitOfWork,
        record: CallRecord,
        phone: str | None,
        client_id: int | None,
        employee_id: int | None,
    ) -> int | None:
        at = record.started_at or self._clock.now()
        number = phone or "withheld"
        card = await uow.missed_calls.open_for(number)
        if card is not None:
            card.add_call(at=at)
            await uow.missed_calls.update(card)
        else:
            card = await uow.missed_calls.add(
                MissedCall.register(phone=number, at=at, client_id=client_id, employee_id=employee_id)
            )
        record.missed_call_id = card.id
        return card.id

    async def _take_back(self, uow: UnitOfWork, record: CallRecord) -> int | None:
        """An answer arrived after the call was counted as missed: the open card forgets it."""
        if record.missed_call_id is None:
            return None
        card = await uow.missed_calls.get(record.missed_call_id)
        card_id, record.missed_call_id = record.missed_call_id, None
        if card is None or not card.is_open:
            return None
        if card.forget_call(at=self._clock.now()):
            await uow.missed_calls.delete(card_id)
        else:
            await uow.missed_calls.update(card)
        return card_id

    async def _update_communication(self, uow: UnitOfWork, record: CallRecord, event: XsiEvent) -> None:
        if record.communication_id is None or event.known_type is not EventType.CALL_RELEASED:
            return
        communication = await uow.communications.get(record.communication_id)
        if communication is None or communication.is_terminal:
            return
        assert event.call is not None
        now = self._clock.now()
        answered_half_ended = event.call.answer_time is not None
        outgoing_unanswered = (
            record.direction is Direction.OUTBOUND
            and event.call.personality != Personality.TERMINATOR
            and not record.answered
        )
        if answered_half_ended:
            communication.content = call_summary(record)
            communication.close(at=record.released_at or now, actor=ACTOR)
        elif record.missed or outgoing_unanswered:
            communication.content = call_summary(record)
            reason = record.release_cause or ("missed" if record.missed else "no answer")
            communication.fail(at=record.released_at or now, actor=ACTOR, reason=reason)
        else:
            return
        await uow.communications.update(communication)
