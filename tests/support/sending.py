"""Arranging sends for tests: a department, clients, and the send and dispatch use cases."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

from adapters.templates.jinja import JinjaRenderer
from application.bootstrap import Bootstrap
from application.sending.commands import Audience, Content, SendCommand
from application.sending.send import EmailIdentity, SendMessages
from application.sending.unsubscribe import UnsubscribeTokens
from domain.access import Permission, Principal, Process
from domain.clients import Client
from domain.organisation import Company, Department
from tests.support.clock import ManualClock

SMS, EMAIL = 1, 3
SENDER = Principal.process(Process.SCHEDULER, Permission.SEND_COMMUNICATIONS)
_seq = itertools.count()


def uuid_source(seed: int = 0) -> Any:
    counter = itertools.count(seed * 10**9)
    return lambda: str(uuid.UUID(int=next(counter) + 1))


async def arrange(
    uow_factory: Any, clock: ManualClock, hasher: Any, emails: list[str]
) -> tuple[int, list[int]]:
    """Defaults, one department and a client per email address; returns their ids."""
    now = clock.now()
    clients = [
        Client(first_name="Ivan", email=e, phones=[], create_time=now, update_time=now) for e in emails
    ]
    return await arrange_clients(uow_factory, clock, hasher, clients)


async def arrange_clients(
    uow_factory: Any, clock: ManualClock, hasher: Any, clients: list[Client]
) -> tuple[int, list[int]]:
    """Defaults, one department (Sales, UTC) and these clients; returns their ids."""
    await Bootstrap(uow_factory, clock, hasher)()
    now = clock.now()
    async with uow_factory() as uow:
        company = await uow.companies.add(Company(name="Acme", code="acme", create_time=now, update_time=now))
        department = await uow.departments.add(
            Department(
                company_id=company.id,
                name="Sales",
                code="sales",
                time_zone="UTC",
                create_time=now,
                update_time=now,
            )
        )
        ids = [(await uow.clients.add(c)).id for c in clients]
        await uow.commit()
    return department.id, ids


def sending(uow_factory: Any, clock: ManualClock) -> SendMessages:
    identity = EmailIdentity(
        public_url="http://localhost:8181", message_id_domain="test.local", tokens=UnsubscribeTokens(b"k")
    )
    return SendMessages(uow_factory, clock, JinjaRenderer(), identity, uuid_source(next(_seq)))


def command(
    department_id: int, client_ids: list[int], *, text: str = "Hello {{ client.firstName }}"
) -> SendCommand:
    return SendCommand(
        type_id=1,
        department_id=department_id,
        content=Content(subject="Hi", text=text),
        audience=Audience(client_ids=tuple(client_ids)),
        channel_ids=(EMAIL,),
    )
