"""What every storage must do alike. Runs on in-memory, SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

import pytest

from application.queries import AnyOf, Query
from application.searches import ChannelFields, ClientFields, CompanyFields, EmployeeFields
from domain.access import Grant, Permission
from domain.clients import Client, ClientGroup, Project
from domain.dictionaries import Channel, ChannelKind
from domain.errors import Conflict
from domain.organisation import Company, Employee, Role
from tests.support.clock import ManualClock


def company(clock: ManualClock, code: str, name: str | None = None) -> Company:
    now = clock.now()
    return Company(name=name or f"Company {code}", code=code, create_time=now, update_time=now)


def client(clock: ManualClock, **values: Any) -> Client:
    now = clock.now()
    return Client(create_time=now, update_time=now, **values)


async def test_add_assigns_increasing_ids_and_get_returns_an_equal_copy(
    uow_factory: Any, clock: ManualClock
) -> None:
    async with uow_factory() as uow:
        first = await uow.companies.add(company(clock, "a"))
        second = await uow.companies.add(company(clock, "b"))
        await uow.commit()
    assert first.id is not None and second.id is not None and second.id > first.id
    async with uow_factory() as uow:
        loaded = await uow.companies.get(first.id)
    assert loaded is not None and loaded is not first
    assert (loaded.name, loaded.code, loaded.create_time) == ("Company a", "a", clock.now())
    assert loaded.create_time.tzinfo is not None


async def test_nothing_is_stored_without_commit(uow_factory: Any, clock: ManualClock) -> None:
    async with uow_factory() as uow:
        added = await uow.companies.add(company(clock, "gone"))
    async with uow_factory() as uow:
        assert await uow.companies.get(added.id) is None
        assert await uow.companies.count() == 0


async def test_changing_a_loaded_copy_changes_nothing_until_update(
    uow_factory: Any, clock: ManualClock
) -> None:
    async with uow_factory() as uow:
        stored = await uow.companies.add(company(clock, "c"))
        await uow.commit()
    async with uow_factory() as uow:
        loaded = await uow.companies.get(stored.id)
        loaded.name = "Renamed"
        await uow.commit()
    async with uow_factory() as uow:
        assert (await uow.companies.get(stored.id)).name == "Company c"
        loaded.name = "Renamed"
        await uow.companies.update(loaded)
        await uow.commit()
    async with uow_factory() as uow:
        assert (await uow.companies.get(stored.id)).name == "Renamed"


async def test_delete_and_get_many(uow_factory: Any, clock: ManualClock) -> None:
    async with uow_factory() as uow:
        ids = [(await uow.companies.add(company(clock, c))).id for c in "xyz"]
        await uow.companies.delete(ids[1])
        await uow.commit()
    async with uow_factory() as uow:
        found = await uow.companies.get_many([*ids, 999])
    assert sorted(found) == [ids[0], ids[2]]


async def test_filters_sorting_and_pages(uow_factory: Any, clock: ManualClock) -> None:
    async with uow_factory() as uow:
        for code, name in [("b", "Beta"), ("a", "alpha"), ("c", "Gamma"), ("d", "Иванов и партнёры")]:
            await uow.companies.add(company(clock, code, name))
        await uow.commit()
    async with uow_factory() as uow:
        repo = uow.companies
        by_code = await repo.find(Query(order_by=("code",)))
        assert [c.code for c in by_code] == ["a", "b", "c", "d"]
        assert [c.code for c in await repo.find(Query(order_by=("-code",), limit=2))] == ["d", "c"]
        assert [c.code for c in await repo.find(Query(order_by=("code",), limit=2, offset=2))] == ["c", "d"]
        assert [c.code for c in await repo.find(Query((CompanyFields.code.in_(["a", "c"]),)))] == ["a", "c"]
        assert await repo.count(CompanyFields.code.ne("a")) == 3
        # Case-blind substring search, Cyrillic included.
        assert [c.code for c in await repo.find(Query((CompanyFields.name.contains("ALPH"),)))] == ["a"]
        assert [c.code for c in await repo.find(Query((CompanyFields.name.contains("ИВАН"),)))] == ["d"]
        assert await repo.count(CompanyFields.name.contains("%")) == 0
        either = AnyOf((CompanyFields.code.eq("b"), CompanyFields.name.contains("gam")))
        assert [c.code for c in await repo.find(Query((either,), order_by=("code",)))] == ["b", "c"]
        assert (await repo.first(CompanyFields.code.eq("c"))).name == "Gamma"
        assert await repo.first(CompanyFields.code.eq("none")) is None


async def test_null_never_matches_a_comparison_and_sorts_last(uow_factory: Any, clock: ManualClock) -> None:
    async with uow_factory() as uow:
        await uow.clients.add(client(clock, first_name="Anna", email="anna@example.com"))
        await uow.clients.add(client(clock, first_name="Boris"))
        await uow.clients.add(client(clock, first_name="Clara", email="clara@example.com"))
        await uow.commit()
    async with uow_factory() as uow:
        repo = uow.clients
        assert await repo.count(ClientFields.email.ne("anna@example.com")) == 1
        assert await repo.count(ClientFields.email.is_null(True)) == 1
        assert await repo.count(ClientFields.email.is_null(False)) == 2
        ordered = await repo.find(Query(order_by=("email",)))
        assert [c.first_name for c in ordered] == ["Anna", "Clara", "Boris"]
        ordered = await repo.find(Query(order_by=("-email",)))
        assert [c.first_name for c in ordered] == ["Clara", "Anna", "Boris"]


async def test_time_and_date_comparisons(uow_factory: Any, clock: ManualClock) -> None:
    early = clock.now()
    async with uow_factory() as uow:
        await uow.clients.add(client(clock, first_name="Early", birth_date=date(1990, 1, 2)))
        clock.advance(hours=1)
        await uow.clients.add(client(clock, first_name="Late", birth_date=date(2001, 5, 6)))
        await uow.commit()
    async with uow_factory() as uow:
        repo = uow.clients
        late = await repo.find(Query((ClientFields.create_time.gte(early + timedelta(minutes=1)),)))
        assert [c.first_name for c in late] == ["Late"]
        assert await repo.count(ClientFields.create_time.lt(early + timedelta(minutes=1))) == 1
        assert await repo.count(ClientFields.birth_date.lte(date(1995, 1, 1))) == 1
        loaded = await repo.first(ClientFields.first_name.eq("Late"))
        assert loaded.birth_date == date(2001, 5, 6)


async def test_client_lists_json_and_phone_lookup(uow_factory: Any, clock: ManualClock) -> None:
    async with uow_factory() as uow:
        project = await uow.projects.add(
            Project(name="OCM", code="010", create_time=clock.now(), update_time=clock.now())
        )
        stored = await uow.clients.add(
            client(
                clock,
                first_name="Ivan",
                phones=["+74951234567", "+79161234567"],
                social_media={"telegram": "@ivan"},
                tags=["vip"],
                project_id=project.id,
                guid="g-1",
            )
        )
        await uow.clients.add(client(clock, first_name="Other", phones=["+79990000000"]))
        await uow.commit()
    async with uow_factory() as uow:
        loaded = await uow.clients.get(stored.id)
        assert loaded.phones == ["+74951234567", "+79161234567"]
        assert loaded.social_media == {"telegram": "@ivan"} and loaded.tags == ["vip"]
        assert [c.id for c in await uow.clients.find(Query((ClientFields.phone.eq("+79161234567"),)))] == [
            stored.id
        ]
        assert await uow.clients.count(ClientFields.phone.in_(["+79990000000", "+74951234567"])) == 2
        loaded.phones = ["+70000000001"]
        await uow.clients.update(loaded)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.clients.count(ClientFields.phone.eq("+79161234567")) == 0
        assert await uow.clients.count(ClientFields.phone.eq("+70000000001")) == 1


async def test_group_membership(uow_factory: Any, clock: ManualClock) -> None:
    now = clock.now()
    async with uow_factory() as uow:
        group = await uow.client_groups.add(ClientGroup(name="VIP", create_time=now, update_time=now))
        ids = [(await uow.clients.add(client(clock, first_name=n))).id for n in ("A", "B", "C")]
        assert await uow.client_groups.add_members(group.id, ids[:2]) == 2
        assert await uow.client_groups.add_members(group.id, ids) == 1
        assert await uow.client_groups.remove_members(group.id, [ids[0], 999]) == 1
        await uow.commit()
    async with uow_factory() as uow:
        members = await uow.clients.find(Query((ClientFields.group_id.eq(group.id),)))
        assert [c.first_name for c in members] == ["B", "C"]
        assert await uow.client_groups.groups_of(ids[1]) == [group.id]
        await uow.client_groups.delete(group.id)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.clients.count(ClientFields.group_id.eq(group.id)) == 0
        assert await uow.clients.count() == 3


async def test_role_links_and_value_objects_round_trip(uow_factory: Any, clock: ManualClock) -> None:
    now = clock.now()
    async with uow_factory() as uow:
        grant = Grant(
            permission=Permission.SEND_COMMUNICATIONS, type_ids=frozenset({1, 2}), channel_ids=frozenset({3})
        )
        role = await uow.roles.add(Role(name="Sender", grants=(grant,), create_time=now, update_time=now))
        other = await uow.roles.add(Role(name="Reader", create_time=now, update_time=now))
        employee = await uow.employees.add(
            Employee(
                login="ivan",
                password_hash="x",
                first_name="Ivan",
                last_name="Petrov",
                role_ids=sorted([role.id, other.id]),
                create_time=now,
                update_time=now,
            )
        )
        await uow.channels.add(
            Channel(name="SMS", code="sms", kind=ChannelKind.SMS, create_time=now, update_time=now)
        )
        await uow.commit()
    async with uow_factory() as uow:
        assert (await uow.roles.get(role.id)).grants == (grant,)
        assert (await uow.employees.get(employee.id)).role_ids == sorted([role.id, other.id])
        assert [e.login for e in await uow.employees.find(Query((EmployeeFields.role_id.eq(other.id),)))] == [
            "ivan"
        ]
        assert (await uow.channels.first(ChannelFields.code.eq("sms"))).kind is ChannelKind.SMS


async def test_a_duplicate_past_the_use_case_checks_is_a_conflict(
    sql_uow_factory: Any, clock: ManualClock
) -> None:
    """Use cases check uniqueness first; SQL constraints still catch a race past them."""
    async with sql_uow_factory() as uow:
        await uow.companies.add(company(clock, "dup"))
        with pytest.raises(Conflict, match="company"):
            await uow.companies.add(company(clock, "dup"))


async def test_concurrent_writers_all_commit(sql_uow_factory: Any, clock: ManualClock) -> None:
    """Thirty units of work writing at once: none is lost and none fails on a busy database."""

    async def write(n: int) -> None:
        async with sql_uow_factory() as uow:
            await uow.companies.add(company(clock, f"c{n}"))
            await asyncio.sleep(0)  # let the others run while this transaction is open
            await uow.commit()

    await asyncio.gather(*(write(n) for n in range(30)))
    async with sql_uow_factory(read_only=True) as uow:
        assert await uow.companies.count() == 30
