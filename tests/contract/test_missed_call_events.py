"""``missed_call.created``: the worker's PBX inbox job opens a card, and says so in its transaction.

On every storage: the events log (what ``GET /api/v1/events`` streams) and the webhook outbox get
one event per card opened, with the caller's client, the line and the employee's department; a
second call that joins an open card opens none and tells nothing.
"""

from __future__ import annotations

import json
from typing import Any

from adapters.beeline.xsi import parse_event
from adapters.memory.live_feed import Doorbell, InProcessFeed
from adapters.phones import LibPhoneNumberParser
from application.bootstrap import Bootstrap
from application.events.ports import EventFilter, MissedCallCreated
from application.queries import Query
from application.telephony.inbox import EventInbox, InboxProcessor
from application.telephony.pbx_events import PbxEvents
from domain.clients import Client
from domain.organisation import Company, Department, Employee
from domain.webhooks import EventType, WebhookSubscription
from tests.contract.test_pbx_inbox_contract import mixed_traffic
from tests.support.clock import ManualClock
from tests.support.xsi_events import missed_call

LINE = "SIP00SLQU00A0J@ip.beeline.ru"
"""The target of the events ``tests.support.xsi_events`` makes."""


async def arrange(uow_factory: Any, clock: ManualClock, hasher: Any) -> tuple[int, int, int]:
    """A department, an employee on the line, a client who calls; and a CRM subscribed to cards."""
    await Bootstrap(uow_factory, clock, hasher)(None)
    now = clock.now()
    stamps = {"create_time": now, "update_time": now}
    async with uow_factory() as uow:
        company = await uow.companies.add(Company(name="Acme", code="acme", **stamps))
        department = await uow.departments.add(
            Department(company_id=company.id, name="Service", code="service", time_zone="UTC", **stamps)
        )
        employee = await uow.employees.add(
            Employee(
                login="anna",
                password_hash="-",
                first_name="Anna",
                last_name="Petrova",
                department_id=department.id,
                extension=LINE.split("@", 1)[0],
                **stamps,
            )
        )
        client = await uow.clients.add(Client(first_name="Ivan", phones=["+74951111111"], **stamps))
        await uow.webhook_subscriptions.add(
            WebhookSubscription(
                url="http://crm.example/hooks",
                event_types=[EventType.MISSED_CALL_CREATED],
                secret="whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                **stamps,
            )
        )
        await uow.commit()
    return department.id, employee.id, client.id


async def through_the_inbox(uow_factory: Any, clock: ManualClock, bodies: list[bytes]) -> None:
    """As in production: the webhook keeps the events, the worker's inbox job applies them."""
    events = PbxEvents(uow_factory, clock, LibPhoneNumberParser("RU"), InProcessFeed(), Doorbell())
    inbox = EventInbox(uow_factory, clock)
    for body in bodies:
        await inbox.accept(parse_event(body))
    assert await InboxProcessor(uow_factory, events).run_once() == len(bodies)


async def created(uow_factory: Any) -> list[MissedCallCreated]:
    async with uow_factory(read_only=True) as uow:
        stored = await uow.events.after(0, EventFilter(), 10_000)
    return [s.event for s in stored if isinstance(s.event, MissedCallCreated)]


async def outbox(uow_factory: Any) -> list[dict[str, Any]]:
    async with uow_factory(read_only=True) as uow:
        found = await uow.webhook_deliveries.find(Query(order_by=("id",), limit=1000))
    assert {d.event_type for d in found} <= {EventType.MISSED_CALL_CREATED}
    return [json.loads(d.payload) for d in found]


async def test_each_card_the_inbox_opens_is_an_event_and_a_webhook(
    uow_factory: Any, clock: ManualClock, hasher: Any
) -> None:
    department_id, employee_id, client_id = await arrange(uow_factory, clock, hasher)
    # Two missed calls from +74951111111 (one card of two calls), one from +74954444444, and
    # answered calls, which open none.
    await through_the_inbox(uow_factory, clock, mixed_traffic())
    async with uow_factory(read_only=True) as uow:
        cards = {
            c.phone: c
            for c in (await uow.missed_calls.open_for_many({"+74951111111", "+74954444444"})).values()
        }
    assert cards["+74951111111"].calls == 2

    events = sorted(await created(uow_factory), key=lambda e: e.phone)
    assert [(e.missed_call_id, e.phone, e.client_id) for e in events] == [
        (cards["+74951111111"].id, "+74951111111", client_id),
        (cards["+74954444444"].id, "+74954444444", None),
    ]
    assert {(e.line, e.employee_id, e.department_id) for e in events} == {(LINE, employee_id, department_id)}

    bodies = sorted(await outbox(uow_factory), key=lambda b: b["data"]["phone"])
    assert [b["type"] for b in bodies] == ["missed_call.created"] * 2
    assert bodies[0]["data"] == {
        "id": cards["+74951111111"].id,
        "clientId": client_id,
        "phone": "+74951111111",
        "line": LINE,
        "employeeId": employee_id,
        "departmentId": department_id,
        "at": events[0].at.isoformat(timespec="milliseconds"),
    }

    # Another call from a number whose card is open joins it: no new card, nothing told.
    await through_the_inbox(uow_factory, clock, list(missed_call(remote="tel:+74954444444")))
    assert len(await created(uow_factory)) == 2
    assert len(await outbox(uow_factory)) == 2
