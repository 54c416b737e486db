"""The communication repository: what every storage must do alike (memory, SQLite, PostgreSQL)."""

from __future__ import annotations

import itertools
import uuid as uuid_module
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest

from application.communications.ports import Keyset
from application.queries import AnyOf, Criterion, Query
from application.searches import CommunicationFields, IdTranslationFields
from domain.clients import Client, ClientGroup, Project
from domain.communications import (
    Communication,
    CommunicationKind,
    DeliveryStatus,
    Direction,
    IdTranslation,
    LifecycleStatus,
    StatusChange,
)
from domain.dictionaries import Channel, ChannelKind, CommunicationType, Document
from domain.errors import Conflict
from domain.organisation import Company, Department, Employee
from tests.support.clock import ManualClock

FACT, PLANNED = CommunicationKind.FACT, CommunicationKind.PLANNED
INBOUND, OUTBOUND = Direction.INBOUND, Direction.OUTBOUND


@dataclass
class Refs:
    """Ids of the rows a communication may point at, two of each kind."""

    types: list[int]
    channels: list[int]
    clients: list[int]
    departments: list[int]
    employees: list[int]
    projects: list[int]
    documents: list[int]
    group: int
    """Holds clients[0] only."""


async def make_refs(uow: Any, clock: ManualClock) -> Refs:
    now = {"create_time": clock.now(), "update_time": clock.now()}
    company = await uow.companies.add(Company(name="Rolf", code="rolf", **now))
    departments = [
        (await uow.departments.add(Department(company_id=company.id, name=f"D{i}", code=f"d{i}", **now))).id
        for i in range(2)
    ]
    employees = [
        (
            await uow.employees.add(
                Employee(
                    login=f"e{i}",
                    password_hash="x",
                    first_name="E",
                    last_name=str(i),
                    department_id=departments[i],
                    **now,
                )
            )
        ).id
        for i in range(2)
    ]
    types = [
        (await uow.communication_types.add(CommunicationType(name=f"T{i}", code=f"t{i}", **now))).id
        for i in range(2)
    ]
    channels = [
        (await uow.channels.add(Channel(name=f"C{i}", code=f"c{i}", kind=ChannelKind.SMS, **now))).id
        for i in range(2)
    ]
    clients = [(await uow.clients.add(Client(first_name=f"Client {i}", **now))).id for i in range(2)]
    projects = [(await uow.projects.add(Project(name=f"P{i}", code=f"p{i}", **now))).id for i in range(2)]
    documents = [(await uow.documents.add(Document(name=f"Doc{i}", body="Hi", **now))).id for i in range(2)]
    group = await uow.client_groups.add(ClientGroup(name="VIP", **now))
    await uow.client_groups.add_members(group.id, [clients[0]])
    return Refs(types, channels, clients, departments, employees, projects, documents, group.id)


def new_uuid(n: int) -> str:
    return str(uuid_module.UUID(int=n))


_numbers = itertools.count(1)


def opened(
    refs: Refs, clock: ManualClock, *, kind: CommunicationKind = PLANNED, **values: Any
) -> Communication:
    values.setdefault("type_id", refs.types[0])
    values.setdefault("channel_id", refs.channels[0])
    return Communication.open(
        uuid=values.pop("uuid", None) or new_uuid(next(_numbers)),
        kind=kind,
        direction=values.pop("direction", OUTBOUND),
        at=values.pop("at", None) or clock.now(),
        actor="employee:1",
        **values,
    )


@pytest.fixture
async def refs(uow_factory: Any, clock: ManualClock) -> Refs:
    async with uow_factory() as uow:
        made = await make_refs(uow, clock)
        await uow.commit()
    return made


# --- storing and loading ------------------------------------------------------------------


async def test_add_then_get_and_get_by_uuid_return_every_field(
    uow_factory: Any, refs: Refs, clock: ManualClock
) -> None:
    scheduled = clock.now() + timedelta(days=1)
    c = opened(
        refs,
        clock,
        client_id=refs.clients[0],
        employee_id=refs.employees[0],
        department_id=refs.departments[0],
        project_id=refs.projects[0],
        document_id=refs.documents[0],
        mailing_id=77,
        subject="Service",
        content="Ваш автомобиль готов",
        scheduled_at=scheduled,
    )
    c.record_attempt(at=clock.now(), provider="sandbox", provider_message_id="m-1")
    async with uow_factory() as uow:
        stored = await uow.communications.add(c)
        await uow.commit()
    assert stored.id is not None
    async with uow_factory() as uow:
        by_id = await uow.communications.get(stored.id)
        by_uuid = await uow.communications.get_by_uuid(c.uuid)
        assert await uow.communications.get(stored.id + 1000) is None
        assert await uow.communications.get_by_uuid(new_uuid(999_999)) is None
    for loaded in (by_id, by_uuid):
        assert loaded is not None and loaded is not c and loaded == c
        assert loaded.history == []  # the stored history is read with history()
        assert {k: v for k, v in vars(loaded).items() if k != "history"} == {
            k: v for k, v in vars(c).items() if k != "history"
        }
        assert loaded.status is LifecycleStatus.CREATED and loaded.kind is PLANNED
        assert loaded.scheduled_at == scheduled and loaded.scheduled_at.tzinfo is not None


async def test_the_start_state_is_stored_as_the_first_history_entry(
    uow_factory: Any, refs: Refs, clock: ManualClock
) -> None:
    c = opened(refs, clock, kind=FACT)
    async with uow_factory() as uow:
        await uow.communications.add(c)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.communications.history(c.id) == [
            StatusChange(
                field="status", from_status=None, to_status="in_progress", at=clock.now(), actor="employee:1"
            )
        ]


async def test_nothing_is_stored_without_commit(uow_factory: Any, refs: Refs, clock: ManualClock) -> None:
    c = opened(refs, clock)
    async with uow_factory() as uow:
        await uow.communications.add(c)
    async with uow_factory() as uow:
        assert await uow.communications.get_by_uuid(c.uuid) is None
        assert await uow.communications.count() == 0


async def test_a_taken_uuid_is_a_conflict(uow_factory: Any, refs: Refs, clock: ManualClock) -> None:
    first = opened(refs, clock)
    async with uow_factory() as uow:
        await uow.communications.add(first)
        await uow.commit()
    async with uow_factory() as uow:
        with pytest.raises(Conflict):
            await uow.communications.add(opened(refs, clock, uuid=first.uuid))
    async with uow_factory() as uow:
        with pytest.raises(Conflict):
            await uow.communications.add_many([opened(refs, clock), opened(refs, clock, uuid=first.uuid)])


async def test_add_many_sets_ids_in_order_and_stores_every_history(
    uow_factory: Any, refs: Refs, clock: ManualClock
) -> None:
    batch = [opened(refs, clock, kind=FACT if i % 2 else PLANNED) for i in range(5)]
    async with uow_factory() as uow:
        stored = await uow.communications.add_many(batch)
        await uow.commit()
    ids = [c.id for c in stored]
    assert ids == sorted(ids) and len(set(ids)) == 5
    async with uow_factory() as uow:
        for c in batch:
            assert (await uow.communications.get(c.id)).uuid == c.uuid
            assert [h.to_status for h in await uow.communications.history(c.id)] == [c.status.value]


async def test_update_writes_the_change_and_only_the_new_history(
    uow_factory: Any, refs: Refs, clock: ManualClock
) -> None:
    c = opened(refs, clock)
    async with uow_factory() as uow:
        await uow.communications.add(c)
        c.start(at=clock.advance(minutes=1), actor="employee:2")
        await uow.communications.update(c)  # updated in the transaction that added it
        await uow.commit()
    async with uow_factory() as uow:
        loaded = await uow.communications.get(c.id)
        loaded.close(at=clock.advance(minutes=1), actor="employee:3", result="agreed")
        await uow.communications.update(loaded)
        await uow.communications.update(loaded)  # a repeated update writes nothing twice
        await uow.commit()
    async with uow_factory() as uow:
        loaded = await uow.communications.get(c.id)
        history = await uow.communications.history(c.id)
    assert (loaded.status, loaded.result, loaded.finished_at) == (LifecycleStatus.DONE, "agreed", clock.now())
    assert [(h.from_status, h.to_status, h.actor) for h in history] == [
        (None, "created", "employee:1"),
        ("created", "in_progress", "employee:2"),
        ("in_progress", "done", "employee:3"),
    ]


async def test_history_is_lost_with_its_change_when_the_transaction_is_not_committed(
    uow_factory: Any, refs: Refs, clock: ManualClock
) -> None:
    c = opened(refs, clock)
    async with uow_factory() as uow:
        await uow.communications.add(c)
        await uow.commit()
    async with uow_factory() as uow:
        loaded = await uow.communications.get(c.id)
        loaded.cancel(at=clock.now(), actor="employee:1")
        await uow.communications.update(loaded)
    async with uow_factory() as uow:
        assert (await uow.communications.get(c.id)).status is LifecycleStatus.CREATED
        assert len(await uow.communications.history(c.id)) == 1


async def test_update_refuses_a_communication_this_unit_of_work_did_not_load(
    uow_factory: Any, refs: Refs, clock: ManualClock
) -> None:
    c = opened(refs, clock)
    async with uow_factory() as uow:
        await uow.communications.add(c)
        await uow.commit()
    async with uow_factory() as uow:
        with pytest.raises(ValueError, match="loaded through this unit of work"):
            await uow.communications.update(c)


async def test_update_many_writes_each_change_and_its_history(
    uow_factory: Any, refs: Refs, clock: ManualClock
) -> None:
    batch = [opened(refs, clock) for _ in range(3)]
    async with uow_factory() as uow:
        await uow.communications.add_many(batch)
        await uow.commit()
    async with uow_factory() as uow:
        loaded = await uow.communications.find(Query(order_by=("id",)))
        for c in loaded[:2]:
            c.fail(at=clock.now(), actor="employee:9", reason="no answer")
        await uow.communications.update_many(loaded[:2])
        await uow.commit()
    async with uow_factory() as uow:
        statuses = [c.status for c in await uow.communications.find(Query(order_by=("id",)))]
        last = await uow.communications.history(batch[1].id)
    assert statuses == [LifecycleStatus.FAILED, LifecycleStatus.FAILED, LifecycleStatus.CREATED]
    assert (last[-1].to_status, last[-1].note, last[-1].actor) == ("failed", "no answer", "employee:9")


async def test_update_many_writes_every_column_that_any_of_the_batch_changed(
    uow_factory: Any, refs: Refs, clock: ManualClock
) -> None:
    # Each changes a different column; one leaves a column that another changes: all are kept.
    batch = [opened(refs, clock, subject="first") for _ in range(3)]
    async with uow_factory() as uow:
        await uow.communications.add_many(batch)
        await uow.commit()
    async with uow_factory() as uow:
        a, b, c = await uow.communications.find(Query(order_by=("id",)))
        a.edit(at=clock.advance(minutes=1), actor="employee:2", subject="changed")
        b.edit(at=clock.now(), actor="employee:2", result="noted")
        c.start(at=clock.now(), actor="employee:2")
        await uow.communications.update_many([a, b, c])
        b.edit(at=clock.advance(minutes=1), actor="employee:3", subject="later")
        await uow.communications.update_many([b])  # after a write: compared with what it wrote
        await uow.commit()
    async with uow_factory() as uow:
        a, b, c = await uow.communications.find(Query(order_by=("id",)))
    assert (a.subject, a.result, a.status) == ("changed", None, LifecycleStatus.CREATED)
    assert (b.subject, b.result, b.status, b.update_time) == (
        "later",
        "noted",
        LifecycleStatus.CREATED,
        clock.now(),
    )
    assert (c.subject, c.result, c.status) == ("first", None, LifecycleStatus.IN_PROGRESS)


async def test_delivery_and_edit_entries_are_kept_in_history(
    uow_factory: Any, refs: Refs, clock: ManualClock
) -> None:
    c = opened(refs, clock)
    async with uow_factory() as uow:
        await uow.communications.add(c)
        await uow.commit()
    async with uow_factory() as uow:
        loaded = await uow.communications.get(c.id)
        loaded.record_edit(loaded.edit(at=clock.now(), actor="a", subject="New"), at=clock.now(), actor="a")
        loaded.record_delivery(DeliveryStatus.DELIVERED, at=clock.now(), actor="provider:sandbox")
        await uow.communications.update(loaded)
        await uow.commit()
    async with uow_factory() as uow:
        history = await uow.communications.history(c.id)
        loaded = await uow.communications.get(c.id)
    assert [(h.field, h.to_status, h.note) for h in history] == [
        ("status", "created", None),
        ("edit", "created", "subject"),
        ("delivery_status", "delivered", None),
        ("status", "in_progress", None),
        ("status", "done", None),
    ]
    assert (loaded.subject, loaded.delivery_status) == ("New", DeliveryStatus.DELIVERED)


async def test_delete_takes_history_and_translations_along(
    uow_factory: Any, refs: Refs, clock: ManualClock
) -> None:
    c, other = opened(refs, clock), opened(refs, clock)
    async with uow_factory() as uow:
        await uow.communications.add_many([c, other])
        await uow.communications.add_translation(translation(c, "oracle", "o-1"))
        await uow.commit()
    async with uow_factory() as uow:
        await uow.communications.delete(c.id)
        await uow.communications.delete(c.id + 1000)  # nothing there: nothing happens
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.communications.get(c.id) is None
        assert await uow.communications.history(c.id) == []
        assert await uow.communications.count_translations() == 0
        assert await uow.communications.count() == 1
        # The uuid is free again.
        await uow.communications.add(opened(refs, clock, uuid=c.uuid))


# --- filters --------------------------------------------------------------------------------


@pytest.fixture
async def spread(uow_factory: Any, refs: Refs, clock: ManualClock) -> list[Communication]:
    """Twenty communications over every filtered attribute, an hour apart."""
    made = []
    for i in range(20):
        c = opened(
            refs,
            clock,
            kind=FACT if i % 3 == 0 else PLANNED,
            direction=INBOUND if i % 4 == 0 else OUTBOUND,
            at=clock.now() + timedelta(hours=i),
            type_id=refs.types[i % 2],
            channel_id=refs.channels[(i // 2) % 2],
            client_id=refs.clients[i % 2] if i % 5 else None,
            employee_id=refs.employees[(i // 3) % 2],
            department_id=refs.departments[(i // 4) % 2],
            project_id=refs.projects[0] if i % 6 == 0 else None,
            mailing_id=5 if i % 7 == 0 else None,
            scheduled_at=clock.now() + timedelta(days=i % 4) if i % 2 else None,
        )
        later = c.create_time + timedelta(minutes=5)
        if i % 5 == 1:
            c.record_delivery(DeliveryStatus.SENT, at=later, actor="p")
        if i % 5 == 2:
            c.record_delivery(DeliveryStatus.DELIVERED, at=later, actor="p")
        if i % 5 == 3 and c.kind is PLANNED:
            c.cancel(at=later, actor="e")
        if i % 5 == 4:
            c.fail(at=later, actor="e", reason="Нет ответа" if i % 2 else "busy")
        if i % 8 == 5:
            c.edit(at=later, actor="e", result=f"Клиент ЗАПИСАН на ТО #{i}")
        made.append(c)
    async with uow_factory() as uow:
        await uow.communications.add_many(made)
        await uow.commit()
    return made


def _expect(spread: list[Communication], predicate: Any) -> list[int]:
    return sorted(c.id for c in spread if predicate(c))


@pytest.mark.parametrize(
    ("criteria", "predicate"),
    [
        pytest.param(
            lambda r, t0: [CommunicationFields.type_id.eq(r.types[1])],
            lambda c, r, t0: c.type_id == r.types[1],
            id="type",
        ),
        pytest.param(
            lambda r, t0: [CommunicationFields.channel_id.eq(r.channels[0])],
            lambda c, r, t0: c.channel_id == r.channels[0],
            id="channel",
        ),
        pytest.param(
            lambda r, t0: [CommunicationFields.client_id.eq(r.clients[1])],
            lambda c, r, t0: c.client_id == r.clients[1],
            id="client",
        ),
        pytest.param(
            lambda r, t0: [CommunicationFields.client_group_id.eq(r.group)],
            lambda c, r, t0: c.client_id == r.clients[0],
            id="group",
        ),
        pytest.param(
            lambda r, t0: [CommunicationFields.client_group_id.in_([r.group, 999])],
            lambda c, r, t0: c.client_id == r.clients[0],
            id="groups",
        ),
        pytest.param(
            lambda r, t0: [CommunicationFields.status.eq(LifecycleStatus.DONE)],
            lambda c, r, t0: c.status is LifecycleStatus.DONE,
            id="status",
        ),
        pytest.param(
            lambda r, t0: [
                CommunicationFields.status.in_([LifecycleStatus.CANCELLED, LifecycleStatus.FAILED])
            ],
            lambda c, r, t0: c.status in (LifecycleStatus.CANCELLED, LifecycleStatus.FAILED),
            id="statuses",
        ),
        pytest.param(
            lambda r, t0: [CommunicationFields.delivery_status.eq(DeliveryStatus.SENT)],
            lambda c, r, t0: c.delivery_status is DeliveryStatus.SENT,
            id="delivery",
        ),
        pytest.param(
            lambda r, t0: [CommunicationFields.delivery_status.is_null(True)],
            lambda c, r, t0: c.delivery_status is None,
            id="no-delivery",
        ),
        pytest.param(
            lambda r, t0: [CommunicationFields.department_id.eq(r.departments[1])],
            lambda c, r, t0: c.department_id == r.departments[1],
            id="department",
        ),
        pytest.param(
            lambda r, t0: [CommunicationFields.employee_id.eq(r.employees[0])],
            lambda c, r, t0: c.employee_id == r.employees[0],
            id="employee",
        ),
        pytest.param(
            lambda r, t0: [CommunicationFields.direction.eq(INBOUND)],
            lambda c, r, t0: c.direction is INBOUND,
            id="direction",
        ),
        pytest.param(
            lambda r, t0: [CommunicationFields.kind.eq(FACT)], lambda c, r, t0: c.kind is FACT, id="kind"
        ),
        pytest.param(
            lambda r, t0: [CommunicationFields.project_id.eq(r.projects[0])],
            lambda c, r, t0: c.project_id == r.projects[0],
            id="project",
        ),
        pytest.param(
            lambda r, t0: [CommunicationFields.mailing_id.eq(5)],
            lambda c, r, t0: c.mailing_id == 5,
            id="mailing",
        ),
        pytest.param(
            lambda r, t0: [
                CommunicationFields.create_time.gte(t0 + timedelta(hours=3)),
                CommunicationFields.create_time.lt(t0 + timedelta(hours=9)),
            ],
            lambda c, r, t0: t0 + timedelta(hours=3) <= c.create_time < t0 + timedelta(hours=9),
            id="period",
        ),
        pytest.param(
            lambda r, t0: [CommunicationFields.scheduled_at.lt(t0 + timedelta(days=2))],
            lambda c, r, t0: c.scheduled_at is not None and c.scheduled_at < t0 + timedelta(days=2),
            id="scheduled",
        ),
        pytest.param(
            lambda r, t0: [CommunicationFields.result.contains("записан")],
            lambda c, r, t0: c.result is not None and "записан" in c.result.lower(),
            id="text-in-result",
        ),
        pytest.param(
            lambda r, t0: [
                CommunicationFields.client_id.eq(r.clients[0]),
                CommunicationFields.create_time.gte(t0 + timedelta(hours=2)),
                CommunicationFields.create_time.lt(t0 + timedelta(hours=16)),
            ],
            lambda c, r, t0: (
                c.client_id == r.clients[0]
                and t0 + timedelta(hours=2) <= c.create_time < t0 + timedelta(hours=16)
            ),
            id="client+period",
        ),
        pytest.param(
            lambda r, t0: [
                CommunicationFields.status.eq(LifecycleStatus.CREATED),
                CommunicationFields.department_id.eq(r.departments[0]),
                CommunicationFields.create_time.gte(t0),
                CommunicationFields.create_time.lt(t0 + timedelta(hours=12)),
            ],
            lambda c, r, t0: (
                c.status is LifecycleStatus.CREATED
                and c.department_id == r.departments[0]
                and c.create_time < t0 + timedelta(hours=12)
            ),
            id="status+department+period",
        ),
        pytest.param(
            lambda r, t0: [
                CommunicationFields.type_id.eq(r.types[0]),
                CommunicationFields.channel_id.eq(r.channels[1]),
                CommunicationFields.kind.eq(PLANNED),
                CommunicationFields.direction.eq(OUTBOUND),
                CommunicationFields.employee_id.eq(r.employees[1]),
            ],
            lambda c, r, t0: (
                (c.type_id, c.channel_id, c.kind, c.direction, c.employee_id)
                == (r.types[0], r.channels[1], PLANNED, OUTBOUND, r.employees[1])
            ),
            id="five-at-once",
        ),
        pytest.param(
            lambda r, t0: [
                AnyOf((CommunicationFields.client_id.eq(r.clients[1]), CommunicationFields.mailing_id.eq(5)))
            ],
            lambda c, r, t0: c.client_id == r.clients[1] or c.mailing_id == 5,
            id="any-of",
        ),
    ],
)
async def test_every_filter_and_combination_finds_exactly_the_matching_communications(
    uow_factory: Any,
    refs: Refs,
    spread: list[Communication],
    criteria: Any,
    predicate: Any,
) -> None:
    t0 = spread[0].create_time
    wanted: list[Criterion] = criteria(refs, t0)
    expected = _expect(spread, lambda c: predicate(c, refs, t0))
    assert expected, "the data set must hold matches for every filter"
    assert len(expected) < len(spread)
    async with uow_factory() as uow:
        found = await uow.communications.find(Query(tuple(wanted), order_by=("id",), limit=100))
        count = await uow.communications.count(*wanted)
    assert sorted(c.id for c in found) == expected
    assert count == len(expected)


async def test_uuids_filter_finds_those_communications(uow_factory: Any, spread: list[Communication]) -> None:
    wanted = [spread[3].uuid, spread[11].uuid, new_uuid(10**9)]
    async with uow_factory() as uow:
        found = await uow.communications.find(
            Query((CommunicationFields.uuid.in_(wanted),), order_by=("id",))
        )
    assert [c.id for c in found] == [spread[3].id, spread[11].id]


# --- order and pages ------------------------------------------------------------------------


async def _ids(uow: Any, query: Query, after: Keyset | None = None) -> list[int]:
    return [c.id for c in await uow.communications.find(query, after)]


async def test_the_default_order_is_newest_first_with_ties_broken_by_id(
    uow_factory: Any, refs: Refs, clock: ManualClock
) -> None:
    same_time = [opened(refs, clock) for _ in range(4)]
    earlier = opened(refs, clock, at=clock.now() - timedelta(hours=1))
    async with uow_factory() as uow:
        await uow.communications.add_many([*same_time, earlier])
        await uow.commit()
    async with uow_factory() as uow:
        newest_first = await _ids(uow, Query(order_by=("-create_time",)))
        oldest_first = await _ids(uow, Query(order_by=("create_time",)))
        default = await _ids(uow, Query(order_by=()))
    tied = [c.id for c in same_time]
    assert newest_first == [*reversed(tied), earlier.id] == default
    assert oldest_first == [earlier.id, *tied]


@pytest.mark.parametrize("order", [("-create_time",), ("create_time",), ("id",), ("-id",), ("-update_time",)])
async def test_offset_and_keyset_pages_walk_the_same_total_order(
    uow_factory: Any, refs: Refs, spread: list[Communication], clock: ManualClock, order: tuple[str, ...]
) -> None:
    # Three more at an already used time, so that ties must be broken the same way on every page.
    tied = [opened(refs, clock, at=spread[5].create_time) for _ in range(3)]
    async with uow_factory() as uow:
        await uow.communications.add_many(tied)
        await uow.commit()
    async with uow_factory() as uow:
        everything = await _ids(uow, Query(order_by=order, limit=100))
        by_offset: list[int] = []
        by_keyset: list[int] = []
        after = None
        for offset in range(0, 30, 4):
            by_offset += await _ids(uow, Query(order_by=order, limit=4, offset=offset))
            page = await uow.communications.find(Query(order_by=order, limit=4), after)
            by_keyset += [c.id for c in page]
            if page:
                key = order[0].lstrip("-")
                after = Keyset(value=getattr(page[-1], key), id=page[-1].id)
    assert len(everything) == 23 == len(set(everything))
    assert by_offset == everything == by_keyset


async def test_keyset_pages_keep_the_filters(
    uow_factory: Any, refs: Refs, spread: list[Communication]
) -> None:
    query = Query((CommunicationFields.client_id.eq(refs.clients[0]),), order_by=("-create_time",), limit=3)
    async with uow_factory() as uow:
        first = await uow.communications.find(query)
        second = await uow.communications.find(query, Keyset(first[-1].create_time, first[-1].id))
    expected = sorted(
        (c for c in spread if c.client_id == refs.clients[0]), key=lambda c: c.create_time, reverse=True
    )
    assert [c.id for c in first + second] == [c.id for c in expected[:6]]


async def test_a_nullable_sort_puts_nulls_last_both_ways(
    uow_factory: Any, refs: Refs, spread: list[Communication]
) -> None:
    async with uow_factory() as uow:
        ascending = await uow.communications.find(Query(order_by=("scheduled_at",), limit=100))
        descending = await uow.communications.find(Query(order_by=("-scheduled_at",), limit=100))
    for found, reverse in ((ascending, False), (descending, True)):
        times = [c.scheduled_at for c in found]
        present = [t for t in times if t is not None]
        assert times == present + [None] * (len(times) - len(present))
        assert present == sorted(present, reverse=reverse)
        # Ties on the time are broken by id, in the sort's direction.
        pairs = [(c.scheduled_at, c.id) for c in found if c.scheduled_at is not None]
        assert pairs == sorted(pairs, reverse=reverse)


# --- id translations ------------------------------------------------------------------------


def translation(c: Communication, system: str, external_id: str) -> IdTranslation:
    return IdTranslation(
        communication_id=c.id,
        communication_uuid=c.uuid,
        system=system,
        external_id=external_id,
        create_time=datetime.fromisoformat("2026-03-02T09:00:00+00:00"),
    )


async def test_translations_are_found_both_ways(uow_factory: Any, refs: Refs, clock: ManualClock) -> None:
    a, b = opened(refs, clock), opened(refs, clock)
    async with uow_factory() as uow:
        await uow.communications.add_many([a, b])
        for link in (
            translation(a, "oracle", "42"),
            translation(a, "flora", "F-1"),
            translation(b, "oracle", "43"),
        ):
            stored = await uow.communications.add_translation(link)
            assert stored.id is not None
        await uow.commit()
    async with uow_factory() as uow:
        repo = uow.communications
        of_a = await repo.find_translations(
            Query((IdTranslationFields.communication_id.eq(a.id),), order_by=("system",))
        )
        holder = await repo.find_translations(
            Query((IdTranslationFields.system.eq("oracle"), IdTranslationFields.external_id.eq("43")))
        )
        assert await repo.count_translations(IdTranslationFields.system.eq("oracle")) == 2
        assert await repo.find_translations(Query((IdTranslationFields.system.eq("ORACLE"),))) == []
    assert [(t.system, t.external_id, t.communication_uuid) for t in of_a] == [
        ("flora", "F-1", a.uuid),
        ("oracle", "42", a.uuid),
    ]
    assert [(t.communication_id, t.communication_uuid) for t in holder] == [(b.id, b.uuid)]
    assert holder[0].create_time.tzinfo is not None


@pytest.mark.parametrize(
    ("which", "system", "external_id", "message"),
    [
        ("b", "oracle", "42", "already names communication"),
        ("a", "oracle", "99", "already has a oracle id"),
    ],
)
async def test_a_translation_is_unique_both_ways(
    uow_factory: Any, refs: Refs, clock: ManualClock, which: str, system: str, external_id: str, message: str
) -> None:
    a, b = opened(refs, clock), opened(refs, clock)
    async with uow_factory() as uow:
        await uow.communications.add_many([a, b])
        await uow.communications.add_translation(translation(a, "oracle", "42"))
        await uow.commit()
    async with uow_factory() as uow:
        with pytest.raises(Conflict, match=message):
            await uow.communications.add_translation(
                translation({"a": a, "b": b}[which], system, external_id)
            )
    async with uow_factory() as uow:
        # The same external id in another system, and another system for the same communication, are fine.
        await uow.communications.add_translation(translation(b, "flora", "42"))
        await uow.communications.add_translation(translation(a, "crm", "x"))
        await uow.commit()
        assert await uow.communications.count_translations() == 3
