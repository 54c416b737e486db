"""The PBX's call events in: call records, Call communications, the missed-calls queue (SPEC §5.1)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from application.events.ports import MissedCallCreated
from application.ports import Clock, PhoneNumberParser, UnitOfWork, UnitOfWorkFactory
from application.queries import Query
from application.searches import ClientFields, CommunicationFields, EmployeeFields
from application.telephony.call_log import (
    CallDictionary,
    LiveFeed,
    call_dictionary,
    call_summary,
    new_call_communication,
)
from application.webhooks.outbox import missed_call_data, publish_many
from domain.access import Process
from domain.communications import Communication
from domain.communications.statuses import Direction
from domain.telephony.call_events import EventType, Personality, XsiEvent, remote_number
from domain.telephony.call_records import CallOutcome, CallRecord
from domain.telephony.missed_calls import MissedCall
from domain.webhooks import EventType as WebhookEvent

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
    """Takes XSI events: idempotent by eventID, one short transaction per batch, no network calls.

    A batch is set-based: the few reads it needs (seen ids, call records, clients by phone,
    employees by extension, open cards, communications) are one query each for the whole batch,
    the events are folded in memory in their order, and the writes are one statement per table.
    So the cost per event is the Python work, not round trips to the database.
    """

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
        """Applies events in order in one transaction of their own."""
        async with self._uow_factory() as uow:
            pending = await self.apply(uow, events)
            await uow.commit()
        return self.announce(pending)

    async def apply(self, uow: UnitOfWork, events: Sequence[XsiEvent]) -> list[AppliedEvent]:
        """Applies events in order inside the caller's transaction; ``announce`` after it commits."""
        if self._dictionary is None and any(e.call is not None for e in events):
            self._dictionary = await call_dictionary(uow)
        batch = _Batch(uow, self._phones, self._dictionary, self._clock.now())
        pending = await batch.apply(events)
        await batch.flush()
        return pending

    def announce(self, applied: Sequence[AppliedEvent]) -> list[Ingested]:
        """Tells the live feed and the subscription worker what committed events changed."""
        results = [item.result() for item in applied]
        for result in results:
            if result.resubscribe:
                self._doorbell.ring()
            if result.missed_call_id is not None:
                self._feed.publish(
                    MISSED_CALLS_TOPIC, {"id": result.missed_call_id, "change": result.outcome.value}
                )
        return results


@dataclass
class AppliedEvent:
    """One event's answer; the card's id is known only once the batch is stored."""

    duplicate: bool = False
    outcome: CallOutcome = CallOutcome.NOTHING
    card: MissedCall | None = None
    resubscribe: bool = False

    def result(self) -> Ingested:
        card_id = self.card.id if self.card is not None else None
        return Ingested(
            duplicate=self.duplicate,
            outcome=self.outcome,
            missed_call_id=card_id,
            resubscribe=self.resubscribe,
        )


@dataclass
class _Batch:
    uow: UnitOfWork
    phones: PhoneNumberParser
    dictionary: CallDictionary | None
    now: datetime
    records: dict[str, CallRecord] = field(default_factory=dict)
    new_records: list[CallRecord] = field(default_factory=list)
    changed_records: dict[str, CallRecord] = field(default_factory=dict)
    e164: dict[str, str | None] = field(default_factory=dict)
    client_by_phone: dict[str, int] = field(default_factory=dict)
    employee_by_extension: dict[str, int] = field(default_factory=dict)
    department_of_employee: dict[int, int | None] = field(default_factory=dict)
    open_cards: dict[str, MissedCall] = field(default_factory=dict)
    cards_by_id: dict[int, MissedCall] = field(default_factory=dict)
    new_cards: list[MissedCall] = field(default_factory=list)
    changed_cards: dict[int, MissedCall] = field(default_factory=dict)
    deleted_cards: set[int] = field(default_factory=set)
    card_of_call: dict[str, MissedCall | None] = field(default_factory=dict)
    """The card each call of the batch is counted in now (None: taken back)."""
    line_of_new_card: dict[str, str | None] = field(default_factory=dict)
    """By phone: the PBX line the call that opened the card came in on."""
    communications: dict[int, Communication] = field(default_factory=dict)
    new_communications: dict[str, Communication] = field(default_factory=dict)
    changed_communications: dict[int, Communication] = field(default_factory=dict)

    async def apply(self, events: Sequence[XsiEvent]) -> list[AppliedEvent]:
        fresh = await self.uow.seen_call_events.first_times([e.event_id for e in events], self.now)
        pending: list[AppliedEvent] = []
        todo: list[tuple[AppliedEvent, XsiEvent]] = []
        for event in events:
            item = AppliedEvent()
            pending.append(item)
            if event.event_id in fresh:
                fresh.discard(event.event_id)  # the same id twice in one batch: the first one counts
                todo.append((item, event))
            else:
                item.duplicate = True
        calls = [e for _, e in todo if e.call is not None and e.known_type is not None]
        if calls:
            await self._load(calls)
        for item, event in todo:
            if event.known_type is EventType.SUBSCRIPTION_TERMINATED:
                item.resubscribe = await self._terminated(event)
            elif event.call is not None and event.known_type is not None:
                self._call_event(item, event)
        return pending

    async def _load(self, events: Sequence[XsiEvent]) -> None:
        uow = self.uow
        self.records = await uow.call_records.by_tracking_ids(
            e.call.ext_tracking_id for e in events if e.call is not None
        )
        numbers = {remote_number(e.call.remote_address) for e in events if e.call is not None}
        numbers |= {r.remote_number for r in self.records.values()}
        for number in numbers:
            if number:
                self.e164[number] = self.phones.to_e164(number)
        known = sorted({p for p in self.e164.values() if p is not None})
        if known:
            for client in await uow.clients.find(Query((ClientFields.phone.in_(known),), limit=len(known))):
                for phone in client.phones:
                    self.client_by_phone.setdefault(phone, client.id or 0)
        targets = {e.target_id for e in events} | {r.target_id for r in self.records.values()}
        extensions = sorted(_extensions(t for t in targets if t))
        if extensions:
            query = Query((EmployeeFields.extension.in_(extensions),), limit=10 * len(extensions))
            for employee in await uow.employees.find(query):  # by id: the lowest id wins a shared extension
                if employee.extension:
                    self.employee_by_extension.setdefault(employee.extension, employee.id or 0)
                self.department_of_employee[employee.id or 0] = employee.department_id
        card_phones = {p or n for n, p in self.e164.items()} | {"withheld"}
        self.open_cards = await uow.missed_calls.open_for_many(card_phones)
        for card in self.open_cards.values():
            self.cards_by_id[card.id or 0] = card
        counted = {r.missed_call_id for r in self.records.values() if r.missed_call_id is not None}
        counted -= set(self.cards_by_id)
        if counted:
            self.cards_by_id.update(await uow.missed_calls.get_many(counted))
        released = [r.communication_id for r in self.records.values() if r.communication_id is not None]
        if released:
            query = Query((CommunicationFields.id.in_(released),), limit=len(released))
            for communication in await uow.communications.find(query):
                self.communications[communication.id or 0] = communication

    def _client_of(self, number: str | None) -> tuple[str | None, int | None]:
        if not number:
            return None, None
        e164 = self.e164.get(number) if number in self.e164 else self.phones.to_e164(number)
        if e164 is None:
            return number, None
        return e164, self.client_by_phone.get(e164)

    def _employee_of(self, target: str | None) -> int | None:
        if not target:
            return None
        for candidate in (target, target.split("@", 1)[0]):
            if candidate in self.employee_by_extension:
                return self.employee_by_extension[candidate]
        return None

    async def _terminated(self, event: XsiEvent) -> bool:
        for subscription in await self.uow.pbx_subscriptions.all():
            if event.subscription_id is None or subscription.subscription_id == event.subscription_id:
                subscription.lost(at=self.now)
                await self.uow.pbx_subscriptions.update(subscription)
        return True

    def _call_event(self, item: AppliedEvent, event: XsiEvent) -> None:
        assert event.call is not None
        key = event.call.ext_tracking_id
        record = self.records.get(key)
        new = record is None
        if record is None:
            record = CallRecord.first_seen(event, at=self.now)
            self.records[key] = record
            self.new_records.append(record)
        elif record.id is not None:
            self.changed_records[key] = record
        outcome = record.apply(event, at=self.now)
        item.outcome = outcome
        phone, client_id, employee_id = None, None, None
        if new or outcome is CallOutcome.MISSED:
            phone, client_id = self._client_of(record.remote_number)
            employee_id = self._employee_of(record.target_id)
        if new:
            assert self.dictionary is not None  # loaded for any batch with a call in it
            self.new_communications[key] = new_call_communication(
                record,
                dictionary=self.dictionary,
                client_id=client_id,
                employee_id=employee_id,
                at=self.now,
                actor=ACTOR,
            )
        if outcome is CallOutcome.MISSED:
            item.card = self._register_missed(record, phone, client_id, employee_id)
        elif outcome is CallOutcome.UNMISSED:
            item.card = self._take_back(record)
        self._update_communication(record, event)

    def _register_missed(
        self, record: CallRecord, phone: str | None, client_id: int | None, employee_id: int | None
    ) -> MissedCall:
        at = record.started_at or self.now
        number = phone or "withheld"
        card = self.open_cards.get(number)
        if card is not None:
            card.add_call(at=at)
            if card.id is not None:
                self.changed_cards[card.id] = card
        else:
            card = MissedCall.register(phone=number, at=at, client_id=client_id, employee_id=employee_id)
            self.open_cards[number] = card
            self.new_cards.append(card)
            self.line_of_new_card[number] = record.target_id
        self.card_of_call[record.call_key] = card
        return card

    def _take_back(self, record: CallRecord) -> MissedCall | None:
        """An answer arrived after the call was counted as missed: the open card forgets it."""
        if record.call_key in self.card_of_call:
            card = self.card_of_call[record.call_key]
        elif record.missed_call_id is not None:
            card = self.cards_by_id.get(record.missed_call_id)
        else:
            return None
        self.card_of_call[record.call_key] = None
        if card is None or not card.is_open:
            return None
        if card.forget_call(at=self.now):
            if self.open_cards.get(card.phone) is card:
                del self.open_cards[card.phone]
            if card.id is None:
                self.new_cards.remove(card)
            else:
                self.changed_cards.pop(card.id, None)
                self.deleted_cards.add(card.id)
        elif card.id is not None:
            self.changed_cards[card.id] = card
        return card

    def _update_communication(self, record: CallRecord, event: XsiEvent) -> None:
        if event.known_type is not EventType.CALL_RELEASED:
            return
        communication = self.new_communications.get(record.call_key)
        if communication is None and record.communication_id is not None:
            communication = self.communications.get(record.communication_id)
        if communication is None or communication.is_terminal:
            return
        assert event.call is not None
        answered_half_ended = event.call.answer_time is not None
        outgoing_unanswered = (
            record.direction is Direction.OUTBOUND
            and event.call.personality != Personality.TERMINATOR
            and not record.answered
        )
        if answered_half_ended:
            communication.content = call_summary(record)
            communication.close(at=record.released_at or self.now, actor=ACTOR)
        elif record.missed or outgoing_unanswered:
            communication.content = call_summary(record)
            reason = record.release_cause or ("missed" if record.missed else "no answer")
            communication.fail(at=record.released_at or self.now, actor=ACTOR, reason=reason)
        else:
            return
        if communication.id is not None:
            self.changed_communications[communication.id] = communication

    async def flush(self) -> None:
        """The batch's writes, one statement per table, in the order the references need."""
        uow = self.uow
        new_communications = list(self.new_communications.items())
        await uow.communications.add_many([c for _, c in new_communications])
        for key, communication in new_communications:
            self.records[key].communication_id = communication.id
        await uow.communications.update_many(list(self.changed_communications.values()))
        await uow.missed_calls.add_many(self.new_cards)
        await self._created(self.new_cards)
        await uow.missed_calls.update_many(list(self.changed_cards.values()))
        for card_id in sorted(self.deleted_cards):
            await uow.missed_calls.delete(card_id)
        for key, card in self.card_of_call.items():
            self.records[key].missed_call_id = card.id if card is not None else None
        await uow.call_records.add_many(self.new_records)
        await uow.call_records.update_many(list(self.changed_records.values()))

    async def _created(self, cards: Sequence[MissedCall]) -> None:
        """``missed_call.created`` for the cards this batch opened (stored: ids known), in its
        transaction: the events log (SSE) and the webhook outbox."""
        if not cards:
            return
        events = [
            MissedCallCreated(
                missed_call_id=card.id or 0,
                client_id=card.client_id,
                phone=card.phone,
                line=self.line_of_new_card.get(card.phone),
                employee_id=card.employee_id,
                department_id=self.department_of_employee.get(card.employee_id or 0),
                at=card.first_call_at,
            )
            for card in cards
        ]
        await self.uow.events.append(events, self.now)
        await publish_many(
            self.uow, [(WebhookEvent.MISSED_CALL_CREATED, missed_call_data(e)) for e in events], self.now
        )


def _extensions(targets: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for target in targets:
        found |= {target, target.split("@", 1)[0]}
    return found
