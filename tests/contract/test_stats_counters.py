"""The statistics counters: kept with every write of communications, equal to a rebuild."""

from __future__ import annotations

import itertools
import uuid as uuid_module
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from application.decisions.ports import StatsScope
from domain.clients import Client
from domain.communications import Communication, CommunicationKind, DeliveryStatus, Direction
from domain.dictionaries import Channel, ChannelKind, CommunicationType
from domain.organisation import Company, Department

T0 = datetime(2026, 5, 4, 21, 30, tzinfo=UTC)
_numbers = itertools.count(1)


async def world(factory: Any) -> dict[str, list[int]]:
    now = {"create_time": T0, "update_time": T0}
    # Hypothesis runs many examples on one fixture: fresh codes, instead of emptying the storage,
    # keep them apart (the rebuild recomputes everything stored, so earlier examples still count).
    n = next(_numbers)
    async with factory() as uow:
        company = await uow.companies.add(Company(name=f"Rolf {n}", code=f"rolf{n}", **now))
        department = await uow.departments.add(
            Department(company_id=company.id, name="D", code=f"d{n}", time_zone="Asia/Vladivostok", **now)
        )
        types = [
            (
                await uow.communication_types.add(
                    CommunicationType(name=f"T{i} {n}", code=f"t{i}-{n}", **now)
                )
            ).id
            for i in range(2)
        ]
        channels = [
            (
                await uow.channels.add(
                    Channel(name=f"C{i} {n}", code=f"c{i}-{n}", kind=ChannelKind.SMS, **now)
                )
            ).id
            for i in range(2)
        ]
        clients = [
            (await uow.clients.add(Client(first_name="A", time_zone="America/New_York", **now))).id,
            (await uow.clients.add(Client(first_name="B", **now))).id,  # counts in the department's zone
        ]
        await uow.commit()
    return {"types": types, "channels": channels, "clients": clients, "departments": [department.id]}


add = st.tuples(
    st.just("add"),
    st.integers(0, 1),
    st.integers(0, 1),
    st.integers(0, 1),
    st.booleans(),
    st.integers(0, 5000),
)
change = st.tuples(
    st.sampled_from(
        ["close", "fail", "cancel", "delivered", "responded", "undelivered", "channel", "delete"]
    ),
    st.integers(0, 20),
    st.booleans(),
)
workloads = st.lists(st.one_of(add, change), min_size=1, max_size=14)


async def run(factory: Any, refs: dict[str, list[int]], workload: list[tuple[Any, ...]]) -> None:
    uuids: list[str] = []
    for step in workload:
        async with factory() as uow:
            if step[0] == "add":
                _, client, channel, kind, fact, minutes = step
                at = T0 + timedelta(minutes=minutes)
                c = Communication.open(
                    uuid=str(uuid_module.UUID(int=next(_numbers))),
                    kind=CommunicationKind.FACT if fact else CommunicationKind.PLANNED,
                    direction=Direction.OUTBOUND,
                    at=at,
                    actor="employee:1",
                    type_id=refs["types"][kind],
                    channel_id=refs["channels"][channel],
                    client_id=refs["clients"][client],
                    department_id=refs["departments"][0],
                )
                await uow.communications.add(c)
                uuids.append(c.uuid)
                await uow.commit()
                continue
            action, index, commit = step
            if not uuids:
                continue
            c = await uow.communications.get_by_uuid(uuids[index % len(uuids)])
            if c is None:
                continue
            at = c.update_time + timedelta(minutes=7)
            if action == "delete":
                await uow.communications.delete(c.id)
            elif action == "channel":
                if c.is_terminal:
                    continue  # only the result of an ended communication may change
                c.edit(at=at, actor="employee:1", channel_id=refs["channels"][index % 2])
                c.record_edit(["channel_id"], at=at, actor="employee:1")
            elif action in ("delivered", "responded", "undelivered"):
                c.record_delivery(DeliveryStatus(action), at=at, actor="provider:sandbox")
            elif c.is_terminal:
                continue
            elif action == "close":
                if c.status.value == "created":
                    c.start(at=at, actor="employee:1")
                c.close(at=at, actor="employee:1")
            elif action == "fail":
                c.fail(at=at, actor="employee:1", reason="no answer")
            elif action == "cancel" and c.kind is CommunicationKind.PLANNED:
                c.cancel(at=at, actor="employee:1")
            if action != "delete":
                await uow.communications.update(c)
            if commit:
                await uow.commit()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(workload=workloads)
async def test_maintained_counters_equal_the_rebuilt_ones_after_any_workload(
    uow_factory: Any, workload: list[tuple[Any, ...]]
) -> None:
    refs = await world(uow_factory)
    await run(uow_factory, refs, workload)
    async with uow_factory() as uow:
        maintained = await uow.stats.snapshot()
        counted = await uow.stats.rebuild()
        rebuilt = await uow.stats.snapshot()
    assert sum(r.attempts for r in rebuilt.per_client) == counted
    assert sum(r.attempts for r in rebuilt.totals) == counted
    for kept, fresh in zip(maintained.tables(), rebuilt.tables(), strict=True):
        assert [_exact(r) for r in kept] == [_exact(r) for r in fresh]
    for kept_rows, fresh_rows in (
        (maintained.per_client, rebuilt.per_client),
        (maintained.totals, rebuilt.totals),
    ):
        for kept_row, fresh_row in zip(kept_rows, fresh_rows, strict=True):
            assert kept_row.weighted_attempts == pytest.approx(fresh_row.weighted_attempts, rel=1e-9)


def _exact(row: Any) -> tuple[Any, ...]:
    return tuple(v for k, v in vars(row).items() if not k.startswith("weighted"))


async def test_counters_are_in_local_time_and_sum_by_scope(uow_factory: Any) -> None:
    refs = await world(uow_factory)
    await run(
        uow_factory,
        refs,
        [("add", 0, 0, 0, True, 0), ("add", 1, 1, 1, True, 0), ("close", 0, True), ("fail", 1, True)],
    )
    async with uow_factory(read_only=True) as uow:
        mine = await uow.stats.slot_counts(StatsScope(client_id=refs["clients"][0]))
        everybody = await uow.stats.slot_counts(StatsScope())
        a_day = await uow.stats.slot_counts(StatsScope(since=T0.date(), until=T0.date()))
    # 21:30 UTC on a Monday is 17:30 in New York (Monday) and 07:30 in Vladivostok (Tuesday).
    assert [(c.weekday, c.hour, c.attempts, c.responses) for c in mine] == [(0, 17, 1, 1)]
    assert sorted((c.channel_id, c.weekday, c.hour, c.attempts, c.responses) for c in everybody) == [
        (refs["channels"][0], 0, 17, 1, 1),
        (refs["channels"][1], 1, 7, 1, 0),
    ]
    assert [(c.weekday, c.hour) for c in a_day] == [(0, 17)]  # local days: Tuesday is the next one


async def test_an_audiences_counters_are_each_clients_own_in_one_read(uow_factory: Any) -> None:
    refs = await world(uow_factory)
    await run(
        uow_factory,
        refs,
        [
            ("add", 0, 0, 0, True, 0),
            ("add", 0, 1, 1, True, 90),
            ("add", 1, 1, 0, True, 0),
            ("close", 0, True),
            ("fail", 1, True),
            ("close", 2, True),
        ],
    )
    first, second = refs["clients"]
    async with uow_factory(read_only=True) as uow:
        together = await uow.stats.slot_counts_by_client([first, second, 10**9], refs["types"][0])
        alone = {
            i: await uow.stats.slot_counts(StatsScope(client_id=i, type_id=refs["types"][0]))
            for i in (first, second)
        }
        every_type = await uow.stats.slot_counts_by_client([first], None)
    assert set(together) == {first, second}  # a client without counters is left out
    for client_id, rows in together.items():
        assert sorted(map(_exact, rows)) == sorted(map(_exact, alone[client_id]))
    assert {r.type_id for r in every_type[first]} == set(refs["types"])
