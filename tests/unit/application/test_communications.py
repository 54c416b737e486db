"""Communication use cases on the in-memory storage: recording, lifecycle, lists, links, bulk."""

from __future__ import annotations

import itertools
import uuid as uuid_module
from datetime import timedelta
from typing import Any

import pytest

from adapters.memory.unit_of_work import MemoryUnitOfWorkFactory
from application.communications import bulk
from application.communications.bulk import BulkStatusChange, BulkStatusUpdate
from application.communications.listing import CommunicationFilter, PageRequest
from application.communications.recording import CommunicationChange, Communications, NewCommunication
from application.communications.translations import IdTranslations, TranslationFilter
from application.organisation import Departments, Employees
from domain.access import Grant, Permission, Principal, PrincipalKind
from domain.communications import CommunicationKind, Direction, LifecycleStatus
from domain.errors import Conflict, InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from tests.contract.test_communications_contract import Refs, make_refs
from tests.support.clock import ManualClock

FACT, PLANNED = CommunicationKind.FACT, CommunicationKind.PLANNED
L = LifecycleStatus

ADMIN = Principal(
    kind=PrincipalKind.EMPLOYEE, id=1, login="admin", grants=(Grant(permission=Permission.MANAGE_SYSTEM),)
)


def sender(refs: Refs, **grant: Any) -> Principal:
    return Principal(
        kind=PrincipalKind.SERVICE_ACCOUNT,
        id=7,
        login="crm",
        grants=(Grant(permission=Permission.SEND_COMMUNICATIONS, **grant),),
    )


READER = Principal(
    kind=PrincipalKind.SERVICE_ACCOUNT,
    id=8,
    login="reader",
    grants=(Grant(permission=Permission.READ_STATISTICS),),
)


class Uuids:
    """Predictable uuids: 00000000-0000-0000-0000-000000000001, …"""

    def __init__(self) -> None:
        self._n = itertools.count(1)

    def __call__(self) -> str:
        return str(uuid_module.UUID(int=next(self._n)))


@pytest.fixture
def uow_factory() -> MemoryUnitOfWorkFactory:
    return MemoryUnitOfWorkFactory()


@pytest.fixture
async def refs(uow_factory: MemoryUnitOfWorkFactory, clock: ManualClock) -> Refs:
    async with uow_factory() as uow:
        made = await make_refs(uow, clock)
        await uow.commit()
    return made


@pytest.fixture
def communications(uow_factory: MemoryUnitOfWorkFactory, clock: ManualClock) -> Communications:
    return Communications(uow_factory, clock, Uuids())


def command(refs: Refs, kind: CommunicationKind = PLANNED, **values: Any) -> NewCommunication:
    values.setdefault("type_id", refs.types[0])
    values.setdefault("channel_id", refs.channels[0])
    return NewCommunication(kind=kind, direction=values.pop("direction", Direction.OUTBOUND), **values)


# --- create ---------------------------------------------------------------------------------


async def test_create_records_a_planned_communication_with_a_generated_uuid(
    communications: Communications, refs: Refs, clock: ManualClock
) -> None:
    c = await communications.create(ADMIN, command(refs, client_id=refs.clients[0], subject="ТО"))
    assert c.uuid == "00000000-0000-0000-0000-000000000001"
    assert (c.status, c.kind, c.create_time, c.subject) == (L.CREATED, PLANNED, clock.now(), "ТО")
    stored = await communications.get(c.uuid)
    assert stored == c and stored.client_id == refs.clients[0]
    assert [(h.to_status, h.actor) for h in (await communications.history(c.id)).entries] == [
        ("created", "employee:1")
    ]


async def test_a_fact_starts_in_progress_at_once(communications: Communications, refs: Refs) -> None:
    c = await communications.create(ADMIN, command(refs, FACT, direction=Direction.INBOUND))
    assert (c.status, c.started_at) == (L.IN_PROGRESS, c.create_time)


async def test_an_employee_who_names_no_sender_is_the_sender(
    communications: Communications, refs: Refs
) -> None:
    employee = Principal(
        kind=PrincipalKind.EMPLOYEE,
        id=refs.employees[1],
        login="e1",
        department_id=refs.departments[1],
        grants=(Grant(permission=Permission.SEND_COMMUNICATIONS),),
    )
    own = await communications.create(employee, command(refs))
    named = await communications.create(employee, command(refs, employee_id=refs.employees[0]))
    machine = await communications.create(sender(refs), command(refs))
    assert (own.employee_id, own.department_id) == (refs.employees[1], refs.departments[1])
    # A named employee brings their own department along.
    assert (named.employee_id, named.department_id) == (refs.employees[0], refs.departments[0])
    assert (machine.employee_id, machine.department_id) == (None, None)


async def test_the_callers_uuid_is_kept_in_canonical_form_and_may_not_repeat(
    communications: Communications, refs: Refs
) -> None:
    given = "A1B2C3D4-0000-4000-8000-00000000000F"
    c = await communications.create(ADMIN, command(refs, uuid=given))
    assert c.uuid == given.lower()
    with pytest.raises(Conflict, match="already exists"):
        await communications.create(ADMIN, command(refs, uuid=given.lower()))
    with pytest.raises(ValidationFailed, match="uuid"):
        await communications.create(ADMIN, command(refs, uuid="not-a-uuid"))


async def test_create_names_every_reference_that_does_not_exist(
    communications: Communications, refs: Refs
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        await communications.create(
            ADMIN,
            command(refs, type_id=999, client_id=998, document_id=997, project_id=996, department_id=995),
        )
    assert {e.field for e in refused.value.errors} == {
        "type_id",
        "client_id",
        "document_id",
        "project_id",
        "department_id",
    }


async def test_an_inactive_channel_takes_no_new_communications(
    uow_factory: MemoryUnitOfWorkFactory, communications: Communications, refs: Refs
) -> None:
    already = await communications.create(ADMIN, command(refs, channel_id=refs.channels[1]))
    other = await communications.create(ADMIN, command(refs))
    async with uow_factory() as uow:
        channel = await uow.channels.get(refs.channels[1])
        channel.active = False
        await uow.channels.update(channel)
        await uow.commit()
    with pytest.raises(ValidationFailed, match="inactive"):
        await communications.create(ADMIN, command(refs, channel_id=refs.channels[1]))
    with pytest.raises(ValidationFailed, match="inactive"):
        await communications.edit(ADMIN, other.id, CommunicationChange(channel_id=refs.channels[1]))
    # What it already uses stays usable: a PATCH repeating the whole record is no change.
    kept = await communications.edit(
        ADMIN, already.id, CommunicationChange(channel_id=refs.channels[1], subject="x")
    )
    assert (kept.channel_id, kept.subject) == (refs.channels[1], "x")


async def test_sending_needs_the_grant_for_that_type_and_channel(
    communications: Communications, refs: Refs
) -> None:
    narrow = sender(refs, type_ids=frozenset({refs.types[0]}), channel_ids=frozenset({refs.channels[0]}))
    await communications.create(narrow, command(refs))
    with pytest.raises(PermissionDenied, match="send_communications"):
        await communications.create(narrow, command(refs, channel_id=refs.channels[1]))
    with pytest.raises(PermissionDenied):
        await communications.create(READER, command(refs))


# --- lifecycle ------------------------------------------------------------------------------


async def test_a_planned_communication_walks_start_close_with_history(
    communications: Communications, refs: Refs, clock: ManualClock
) -> None:
    c = await communications.create(ADMIN, command(refs))
    clock.advance(minutes=5)
    started = await communications.start(sender(refs), c.uuid)
    clock.advance(minutes=5)
    closed = await communications.close(ADMIN, c.id, result="записан на ТО")
    assert (started.status, started.started_at) == (L.IN_PROGRESS, clock.now() - timedelta(minutes=5))
    assert (closed.status, closed.finished_at, closed.result) == (L.DONE, clock.now(), "записан на ТО")
    history = (await communications.history(c.uuid)).entries
    assert [(h.from_status, h.to_status, h.actor) for h in history] == [
        (None, "created", "employee:1"),
        ("created", "in_progress", "service_account:7"),
        ("in_progress", "done", "employee:1"),
    ]


async def test_fail_needs_a_reason_and_keeps_it(communications: Communications, refs: Refs) -> None:
    c = await communications.create(ADMIN, command(refs, FACT))
    with pytest.raises(ValidationFailed, match="reason"):
        await communications.fail(ADMIN, c.id, "  ")
    failed = await communications.fail(ADMIN, c.id, "не дозвонились 3 раза")
    assert (failed.status, failed.failure_reason) == (L.FAILED, "не дозвонились 3 раза")


async def test_cancel_of_a_fact_and_moves_out_of_terminal_states_are_refused_by_name(
    communications: Communications, refs: Refs
) -> None:
    fact = await communications.create(ADMIN, command(refs, FACT))
    with pytest.raises(InvalidTransition) as refused:
        await communications.cancel(ADMIN, fact.id)
    assert (refused.value.current, refused.value.requested) == ("in_progress", "cancelled")
    planned = await communications.create(ADMIN, command(refs))
    await communications.cancel(ADMIN, planned.id, reason="client asked")
    with pytest.raises(InvalidTransition, match="'cancelled' to 'in_progress'"):
        await communications.start(ADMIN, planned.id)
    assert (await communications.get(planned.id)).status is L.CANCELLED
    assert (await communications.history(planned.id)).entries[-1].note == "client asked"


async def test_an_unknown_communication_is_not_found(communications: Communications, refs: Refs) -> None:
    with pytest.raises(NotFound):
        await communications.get(404)
    with pytest.raises(NotFound):
        await communications.close(ADMIN, str(uuid_module.UUID(int=404)))
    with pytest.raises(ValidationFailed, match="not a UUID"):
        await communications.get("nonsense")


async def test_changes_of_another_senders_communication_need_its_grant(
    communications: Communications, refs: Refs
) -> None:
    c = await communications.create(ADMIN, command(refs, channel_id=refs.channels[1]))
    narrow = sender(refs, channel_ids=frozenset({refs.channels[0]}))
    for attempt in (
        communications.start(narrow, c.id),
        communications.delete(narrow, c.id),
        communications.edit(narrow, c.id, CommunicationChange(subject="x")),
    ):
        with pytest.raises(PermissionDenied):
            await attempt
    # Moving it to a channel the sender may not use is refused too.
    own = await communications.create(narrow, command(refs))
    with pytest.raises(PermissionDenied):
        await communications.edit(narrow, own.id, CommunicationChange(channel_id=refs.channels[1]))
    assert (await communications.get(own.id)).channel_id == refs.channels[0]


# --- edit and delete ------------------------------------------------------------------------


async def test_edit_changes_fields_checks_references_and_notes_who_edited(
    communications: Communications, refs: Refs, clock: ManualClock
) -> None:
    c = await communications.create(ADMIN, command(refs))
    clock.advance(minutes=1)
    edited = await communications.edit(
        sender(refs),
        c.uuid,
        CommunicationChange(client_id=refs.clients[1], subject="New", scheduled_at=clock.now()),
    )
    assert (edited.client_id, edited.subject, edited.scheduled_at) == (refs.clients[1], "New", clock.now())
    last = (await communications.history(c.id)).entries[-1]
    assert (last.field, last.note, last.actor) == (
        "edit",
        "client_id, scheduled_at, subject",
        "service_account:7",
    )
    with pytest.raises(ValidationFailed, match="client_id"):
        await communications.edit(ADMIN, c.id, CommunicationChange(client_id=999))
    with pytest.raises(TypeError, match="status"):  # status moves through the actions only
        CommunicationChange(status=L.DONE)
    with pytest.raises(ValidationFailed, match="channel_id"):
        await communications.edit(ADMIN, c.id, CommunicationChange(channel_id=None))
    # Repeating current values changes nothing and notes nothing.
    await communications.edit(ADMIN, c.id, CommunicationChange(subject="New"))
    assert len((await communications.history(c.id)).entries) == 2


async def test_a_finished_communication_only_takes_its_result(
    communications: Communications, refs: Refs
) -> None:
    c = await communications.create(ADMIN, command(refs, FACT))
    await communications.close(ADMIN, c.id)
    with pytest.raises(Conflict, match="only result may change"):
        await communications.edit(ADMIN, c.id, CommunicationChange(subject="late"))
    assert (await communications.edit(ADMIN, c.id, CommunicationChange(result="ok"))).result == "ok"


async def test_delete_removes_it(communications: Communications, refs: Refs) -> None:
    c = await communications.create(ADMIN, command(refs))
    await communications.delete(ADMIN, c.uuid)
    with pytest.raises(NotFound):
        await communications.get(c.id)
    with pytest.raises(NotFound):
        await communications.delete(ADMIN, c.id)


async def test_referenced_employees_and_departments_cannot_be_deleted(
    uow_factory: MemoryUnitOfWorkFactory,
    communications: Communications,
    refs: Refs,
    clock: ManualClock,
    hasher: Any,
) -> None:
    from application.authentication import CredentialCache

    await communications.create(ADMIN, command(refs, employee_id=refs.employees[0]))
    employees = Employees(uow_factory, clock, hasher, CredentialCache(clock))
    with pytest.raises(Conflict) as refused:
        await employees.delete(refs.employees[0])
    assert refused.value.references == {"communications": 1}
    with pytest.raises(Conflict) as refused:
        await Departments(uow_factory, clock).delete(refs.departments[0])
    assert refused.value.references["communications"] == 1


# --- lists ----------------------------------------------------------------------------------


@pytest.fixture
async def recorded(communications: Communications, refs: Refs, clock: ManualClock) -> list[Any]:
    made = []
    for i in range(7):
        made.append(
            await communications.create(
                ADMIN,
                command(
                    refs,
                    FACT if i % 2 else PLANNED,
                    client_id=refs.clients[i % 2],
                    department_id=refs.departments[0],
                    channel_id=refs.channels[i % 2],
                ),
            )
        )
        clock.advance(minutes=10)
    await communications.close(ADMIN, made[1].id, result="Записан на сервис")
    return made


async def test_lists_are_newest_first_and_filters_combine(
    communications: Communications, refs: Refs, recorded: list[Any]
) -> None:
    page = await communications.find(CommunicationFilter(), PageRequest())
    assert [c.id for c in page.items] == [c.id for c in reversed(recorded)]
    assert page.total == 7
    page = await communications.find(
        CommunicationFilter(client_id=refs.clients[1], kind=FACT, statuses=(L.IN_PROGRESS,)), PageRequest()
    )
    assert [c.id for c in page.items] == [recorded[5].id, recorded[3].id]
    page = await communications.find(CommunicationFilter(client_group_id=refs.group), PageRequest())
    assert {c.client_id for c in page.items} == {refs.clients[0]} and page.total == 4
    page = await communications.find(CommunicationFilter(text="записан"), PageRequest())
    assert [c.id for c in page.items] == [recorded[1].id]
    page = await communications.find(
        CommunicationFilter(uuids=(recorded[2].uuid.upper(), recorded[4].uuid)), PageRequest(order_by=("id",))
    )
    assert [c.id for c in page.items] == [recorded[2].id, recorded[4].id]
    t0 = recorded[0].create_time
    page = await communications.find(
        CommunicationFilter(created_from=t0 + timedelta(minutes=10), created_to=t0 + timedelta(minutes=30)),
        PageRequest(),
    )
    assert [c.id for c in page.items] == [recorded[2].id, recorded[1].id]


async def test_a_cursor_walks_the_pages_without_an_offset(
    communications: Communications, recorded: list[Any]
) -> None:
    seen: list[int] = []
    cursor = None
    for _ in range(5):
        page = await communications.find(
            CommunicationFilter(), PageRequest(limit=3, cursor=cursor, with_total=False)
        )
        seen += [c.id for c in page.items]
        assert page.total is None
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [c.id for c in reversed(recorded)]


async def test_bad_list_requests_are_refused_by_field(
    communications: Communications, recorded: list[Any]
) -> None:
    t0 = recorded[0].create_time
    cases = [
        (CommunicationFilter(), PageRequest(limit=0), "limit"),
        (CommunicationFilter(), PageRequest(offset=-1), "offset"),
        (CommunicationFilter(), PageRequest(order_by=("client_id",)), "sort"),
        (CommunicationFilter(), PageRequest(cursor="garbage"), "cursor"),
        (CommunicationFilter(), PageRequest(order_by=("scheduled_at",), cursor="x"), "cursor"),
        (CommunicationFilter(created_from=t0, created_to=t0), PageRequest(), "to"),
        (CommunicationFilter(uuids=("x",)), PageRequest(), "uuids[0]"),
    ]
    for filters, page, field in cases:
        with pytest.raises(ValidationFailed) as refused:
            await communications.find(filters, page)
        assert refused.value.errors[0].field == field
    # A cursor of one order does not fit another.
    page = await communications.find(CommunicationFilter(), PageRequest(limit=2))
    with pytest.raises(ValidationFailed, match="cursor"):
        await communications.find(
            CommunicationFilter(), PageRequest(order_by=("id",), cursor=page.next_cursor)
        )


async def test_primary_info_carries_the_names_and_details_the_external_ids(
    uow_factory: MemoryUnitOfWorkFactory, communications: Communications, refs: Refs, clock: ManualClock
) -> None:
    c = await communications.create(
        ADMIN, command(refs, client_id=refs.clients[0], employee_id=refs.employees[1])
    )
    info = await communications.primary_info(c.uuid)
    assert (info.type.code, info.channel.code, info.client.first_name, info.employee.login) == (
        "t0",
        "c0",
        "Client 0",
        "e1",
    )
    await IdTranslations(uow_factory, clock).link(ADMIN, c.uuid, "oracle", "OR-1")
    details = await communications.details(c.id)
    assert [(t.system, t.external_id) for t in details.external_ids] == [("oracle", "OR-1")]
    assert [ch.code for ch in await communications.methods()] == ["c0", "c1"]


# --- id translations ------------------------------------------------------------------------


async def test_translations_link_and_resolve_both_ways(
    uow_factory: MemoryUnitOfWorkFactory, communications: Communications, refs: Refs, clock: ManualClock
) -> None:
    translations = IdTranslations(uow_factory, clock)
    a = await communications.create(ADMIN, command(refs))
    b = await communications.create(ADMIN, command(refs))
    link = await translations.link(ADMIN, a.uuid, "oracle", "1001")
    assert (link.communication_id, link.communication_uuid, link.create_time) == (a.id, a.uuid, clock.now())
    await translations.link(ADMIN, b.id, "oracle", "1002")
    found = await translations.find(TranslationFilter(system="oracle", external_id="1002"))
    assert [(t.communication_uuid, t.external_id) for t in found.items] == [(b.uuid, "1002")]
    assert (await translations.find(TranslationFilter(communication=a.uuid))).total == 1
    assert (await translations.find(TranslationFilter(system="oracle"))).total == 2
    with pytest.raises(Conflict, match="already names"):
        await translations.link(ADMIN, b.id, "oracle", "1001")
    with pytest.raises(ValidationFailed, match="system"):
        await translations.link(ADMIN, b.id, " ", "x")
    with pytest.raises(ValidationFailed, match="system"):
        await translations.find(TranslationFilter(external_id="1001"))
    with pytest.raises(PermissionDenied):
        await translations.link(READER, b.id, "crm", "x")
    with pytest.raises(NotFound):
        await translations.find(TranslationFilter(communication=999))


# --- bulk -----------------------------------------------------------------------------------


async def test_bulk_moves_what_it_can_and_names_what_it_refused(
    uow_factory: MemoryUnitOfWorkFactory, communications: Communications, refs: Refs, clock: ManualClock
) -> None:
    department = refs.departments[0]
    planned = await communications.create(ADMIN, command(refs, department_id=department))
    fact = await communications.create(ADMIN, command(refs, FACT, department_id=department))
    done = await communications.create(ADMIN, command(refs, FACT, department_id=department))
    await communications.close(ADMIN, done.id)
    already = await communications.create(ADMIN, command(refs, department_id=department))
    await communications.cancel(ADMIN, already.id)
    elsewhere = await communications.create(ADMIN, command(refs, department_id=refs.departments[1]))

    outcome = await BulkStatusUpdate(uow_factory, clock)(
        ADMIN, BulkStatusChange(status=L.CANCELLED, department_id=department, reason="акция отменена")
    )
    assert (outcome.matched, outcome.changed, outcome.unchanged) == (4, 1, 1)
    assert {(r.communication_id, r.status, r.reason) for r in outcome.refused} == {
        (fact.id, L.IN_PROGRESS, "communication: cannot move from 'in_progress' to 'cancelled'"),
        (done.id, L.DONE, "communication: cannot move from 'done' to 'cancelled'"),
    }
    assert (await communications.get(planned.id)).status is L.CANCELLED
    assert (await communications.history(planned.id)).entries[-1].note == "акция отменена"
    assert (await communications.get(elsewhere.id)).status is L.CREATED


async def test_bulk_scopes_client_group_and_one_communication(
    uow_factory: MemoryUnitOfWorkFactory, communications: Communications, refs: Refs, clock: ManualClock
) -> None:
    update = BulkStatusUpdate(uow_factory, clock)
    mine = [await communications.create(ADMIN, command(refs, client_id=refs.clients[0])) for _ in range(2)]
    other = await communications.create(ADMIN, command(refs, client_id=refs.clients[1]))
    outcome = await update(ADMIN, BulkStatusChange(status=L.IN_PROGRESS, client_group_id=refs.group))
    assert outcome.changed == 2
    outcome = await update(ADMIN, BulkStatusChange(status=L.DONE, client_id=refs.clients[0], result="ok"))
    assert outcome.changed == 2 and (await communications.get(mine[0].id)).result == "ok"
    outcome = await update(ADMIN, BulkStatusChange(status=L.FAILED, communication=other.uuid))
    assert outcome.changed == 0 and "reason" in outcome.refused[0].reason
    outcome = await update(
        ADMIN, BulkStatusChange(status=L.FAILED, communication=other.id, reason="no answer")
    )
    assert outcome.changed == 1
    outcome = await update(ADMIN, BulkStatusChange(status=L.FAILED, everything=True, reason="x"))
    assert (outcome.matched, outcome.changed, outcome.unchanged, len(outcome.refused)) == (3, 0, 1, 2)


async def test_bulk_refuses_per_communication_what_the_caller_may_not_send(
    uow_factory: MemoryUnitOfWorkFactory, communications: Communications, refs: Refs, clock: ManualClock
) -> None:
    allowed = await communications.create(ADMIN, command(refs, client_id=refs.clients[0]))
    forbidden = await communications.create(
        ADMIN, command(refs, client_id=refs.clients[0], channel_id=refs.channels[1])
    )
    narrow = sender(refs, channel_ids=frozenset({refs.channels[0]}))
    outcome = await BulkStatusUpdate(uow_factory, clock)(
        narrow, BulkStatusChange(status=L.IN_PROGRESS, client_id=refs.clients[0])
    )
    assert outcome.changed == 1
    assert [(r.communication_id, "send_communications" in r.reason) for r in outcome.refused] == [
        (forbidden.id, True)
    ]
    assert (await communications.get(allowed.id)).status is L.IN_PROGRESS


async def test_bulk_needs_exactly_one_existing_scope_and_a_bounded_size(
    uow_factory: MemoryUnitOfWorkFactory,
    communications: Communications,
    refs: Refs,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    update = BulkStatusUpdate(uow_factory, clock)
    with pytest.raises(ValidationFailed, match="exactly one"):
        await update(ADMIN, BulkStatusChange(status=L.DONE))
    with pytest.raises(ValidationFailed, match="exactly one"):
        await update(ADMIN, BulkStatusChange(status=L.DONE, client_id=refs.clients[0], department_id=1))
    with pytest.raises(NotFound):
        await update(ADMIN, BulkStatusChange(status=L.DONE, client_group_id=999))
    with pytest.raises(ValidationFailed, match="created"):
        await update(ADMIN, BulkStatusChange(status=L.CREATED, everything=True))
    for _ in range(3):
        await communications.create(ADMIN, command(refs))
    monkeypatch.setattr(bulk, "MAX_BULK", 2)
    with pytest.raises(ValidationFailed, match="3 communications match"):
        await update(ADMIN, BulkStatusChange(status=L.DONE, everything=True))
    outcome = await update(
        ADMIN, BulkStatusChange(status=L.DONE, everything=True, only_statuses=(L.IN_PROGRESS,))
    )
    assert outcome.matched == 0


async def test_bulk_works_through_batches(
    uow_factory: MemoryUnitOfWorkFactory,
    communications: Communications,
    refs: Refs,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bulk, "BATCH_SIZE", 2)
    made = [await communications.create(ADMIN, command(refs)) for _ in range(5)]
    outcome = await BulkStatusUpdate(uow_factory, clock)(
        ADMIN, BulkStatusChange(status=L.IN_PROGRESS, everything=True)
    )
    assert (outcome.matched, outcome.changed) == (5, 5)
    assert [(await communications.get(c.id)).status for c in made] == [L.IN_PROGRESS] * 5
