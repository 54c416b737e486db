"""The missed-calls queue that employees work (seed 004, SPEC §5.1): list, card, call back, book."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from application.ports import Clock, UnitOfWork, UnitOfWorkFactory
from application.telephony.call_log import LiveFeed
from application.telephony.pbx_events import MISSED_CALLS_TOPIC
from application.telephony.ports import MissedCallSearch
from domain.access import Permission, Principal, PrincipalKind
from domain.entity import full_name
from domain.errors import NotFound, PermissionDenied
from domain.telephony.missed_calls import MissedCall, MissedCallStatus


@dataclass(frozen=True, kw_only=True)
class MissedCallView:
    """A card as the list and the card form show it: with the recognised client's name."""

    id: int
    phone: str
    client_id: int | None
    client_name: str | None
    employee_id: int | None
    status: MissedCallStatus
    result: str | None
    calls: int
    first_call_at: datetime
    last_call_at: datetime
    called_back_by: int | None
    called_back_at: datetime | None


@dataclass(frozen=True)
class MissedCallPage:
    items: list[MissedCallView]
    total: int


@dataclass(frozen=True, kw_only=True)
class EditMissedCall:
    """The command to change a missed-call card (its state, note or owner)."""

    status: MissedCallStatus
    result: str | None = None


async def views(uow: UnitOfWork, cards: list[MissedCall]) -> list[MissedCallView]:
    """Cards with their clients' names: one query for all the clients of the page."""
    clients = await uow.clients.get_many({c.client_id for c in cards if c.client_id is not None})
    result = []
    for card in cards:
        client = clients.get(card.client_id) if card.client_id is not None else None
        name = full_name(client.last_name, client.first_name, client.middle_name) if client else None
        result.append(
            MissedCallView(
                id=card.id or 0,
                phone=card.phone,
                client_id=card.client_id,
                client_name=name or None,
                employee_id=card.employee_id,
                status=card.status,
                result=card.result,
                calls=card.calls,
                first_call_at=card.first_call_at,
                last_call_at=card.last_call_at,
                called_back_by=card.called_back_by,
                called_back_at=card.called_back_at,
            )
        )
    return result


def _employee(principal: Principal) -> int:
    if principal.kind is not PrincipalKind.EMPLOYEE:
        raise PermissionDenied(Permission.SEND_COMMUNICATIONS.value, "only an employee calls clients back")
    return principal.id


class MissedCalls:
    """Reading and working missed-call cards. Every change is announced on the live feed."""

    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock, feed: LiveFeed) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self._feed = feed

    async def find(self, search: MissedCallSearch) -> MissedCallPage:
        """The cards of the search, newest last call first, with the total."""
        async with self._uow_factory(read_only=True) as uow:
            cards = await uow.missed_calls.find(search)
            total = await uow.missed_calls.count(replace(search, limit=None, offset=0))
            return MissedCallPage(await views(uow, cards), total)

    async def get(self, card_id: int) -> MissedCallView:
        """One missed-call card by id (404 when unknown)."""
        async with self._uow_factory(read_only=True) as uow:
            return (await views(uow, [await self._load(uow, card_id)]))[0]

    async def edit(self, principal: Principal, card_id: int, command: EditMissedCall) -> MissedCallView:
        """The card form's Save: only ``called_back`` with a result is kept (seed 004 §2.4, §2.5)."""
        employee_id = _employee(principal)
        async with self._uow_factory() as uow:
            card = await self._load(uow, card_id)
            card.edit(
                status=command.status, result=command.result, employee_id=employee_id, at=self._clock.now()
            )
            await uow.missed_calls.update(card)
            await uow.commit()
            view = (await views(uow, [card]))[0]
        self._feed.publish(MISSED_CALLS_TOPIC, {"id": card_id, "change": "called_back"})
        return view

    async def book(self, principal: Principal, card_id: int) -> MissedCallView:
        """The Book action (seed 004 §2.6): called back, "Записался на ремонт", out of the queue."""
        employee_id = _employee(principal)
        async with self._uow_factory() as uow:
            card = await self._load(uow, card_id)
            card.book(employee_id=employee_id, at=self._clock.now())
            await uow.missed_calls.update(card)
            await uow.commit()
            view = (await views(uow, [card]))[0]
        self._feed.publish(MISSED_CALLS_TOPIC, {"id": card_id, "change": "called_back"})
        return view

    @staticmethod
    async def _load(uow: UnitOfWork, card_id: int) -> MissedCall:
        card = await uow.missed_calls.get(card_id) if 0 < card_id < 2**31 else None
        if card is None:
            raise NotFound("missed call", card_id)
        return card
