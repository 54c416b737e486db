"""Use cases of the receiving side on the in-memory fake: projects, clients, groups, blocks, bookings."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from adapters.memory.unit_of_work import MemoryUnitOfWorkFactory
from adapters.phones import LibPhoneNumberParser
from adapters.security import Argon2PasswordHasher
from application.bootstrap import Bootstrap
from application.clients import Availability, Bookings, ChannelBlocks, ClientGroups, Clients, Projects
from application.organisation import Companies, Departments
from application.queries import Query
from application.searches import BookingFields, ChannelBlockFields, ChannelFields, ClientFields
from domain.availability import Owner
from domain.clients import BookingState
from domain.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from domain.organisation import Employee
from tests.support.clock import ManualClock


class World:
    """The client-side use cases over one fresh in-memory store, seeded as a fresh install is."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.uow = MemoryUnitOfWorkFactory()
        self.projects = Projects(self.uow, clock)
        self.clients = Clients(self.uow, clock, LibPhoneNumberParser("RU"))
        self.groups = ClientGroups(self.uow, clock)
        self.blocks = ChannelBlocks(self.uow, clock)
        self.bookings = Bookings(self.uow, clock)
        self.availability = Availability(self.uow, clock)

    async def client(self, **values: Any) -> int:
        client = await self.clients.create(self.clients.command(**{"first_name": "Ivan", **values}))
        assert client.id is not None
        return client.id

    async def channel_id(self, code: str = "sms") -> int:
        async with self.uow() as uow:
            channel = await uow.channels.first(ChannelFields.code.eq(code))
        assert channel is not None and channel.id is not None
        return channel.id

    async def department(self, code: str = "sales") -> int:
        company = await Companies(self.uow, self.clock).create(
            Companies(self.uow, self.clock).command(name="Acme", code=f"acme-{code}")
        )
        department = await Departments(self.uow, self.clock).create(
            Departments(self.uow, self.clock).command(company_id=company.id, name=code.title(), code=code)
        )
        assert department.id is not None
        return department.id

    async def employee(self, login: str, department_id: int | None = None) -> int:
        now = self.clock.now()
        async with self.uow() as uow:
            employee = await uow.employees.add(
                Employee(
                    login=login,
                    password_hash="-",
                    first_name=login,
                    last_name=login,
                    department_id=department_id,
                    create_time=now,
                    update_time=now,
                )
            )
            await uow.commit()
        assert employee.id is not None
        return employee.id

    def later(self, **delta: float) -> Any:
        return self.clock.now() + timedelta(**delta)


@pytest.fixture
async def world(clock: ManualClock, hasher: Argon2PasswordHasher) -> World:
    created = World(clock)
    await Bootstrap(created.uow, clock, hasher)()
    return created


def fields_of(error: ValidationFailed) -> list[str]:
    return [e.field for e in error.errors]


# -- projects ------------------------------------------------------------------------------


async def test_project_codes_are_unique(world: World) -> None:
    await world.projects.create(world.projects.command(name="OCM", code="010"))
    with pytest.raises(Conflict, match="code '010'"):
        await world.projects.create(world.projects.command(name="Other", code="010"))


async def test_a_project_is_found_by_id_by_its_digit_code_and_by_name(world: World) -> None:
    project = await world.projects.create(world.projects.command(name="OCM", code="010"))
    assert (await world.projects.find("010")).id == project.id
    assert (await world.projects.find(str(project.id))).id == project.id
    assert (await world.projects.find("ocm")).id == project.id
    with pytest.raises(NotFound):
        await world.projects.find("999")


async def test_a_project_with_clients_cannot_be_deleted(world: World) -> None:
    project = await world.projects.create(world.projects.command(name="OCM", code="010"))
    await world.client(project_id=project.id, guid="g-1")
    with pytest.raises(Conflict) as refused:
        await world.projects.delete(project.id or 0)
    assert refused.value.references == {"clients": 1}


# -- clients -------------------------------------------------------------------------------


async def test_phones_in_any_notation_are_stored_in_e164_once(world: World) -> None:
    client = await world.clients.create(
        world.clients.command(
            first_name="Ivan", phones=["8 (495) 123-45-67", "+7 495 123 45 67", "+1 (212) 555-0100"]
        )
    )
    assert client.phones == ["+74951234567", "+12125550100"]


async def test_an_unreadable_phone_is_refused_naming_its_position(world: World) -> None:
    with pytest.raises(ValidationFailed) as refused:
        await world.clients.create(world.clients.command(phones=["+74951234567", "not a phone", "12"]))
    assert fields_of(refused.value) == ["phones[1]", "phones[2]"]
    async with world.uow() as uow:
        assert await uow.clients.count() == 0


async def test_email_is_kept_in_lower_case_and_tags_trimmed_once(world: World) -> None:
    client = await world.clients.create(
        world.clients.command(email=" Ivan@Example.COM ", tags=[" vip ", "vip", "new"])
    )
    assert client.email == "ivan@example.com"
    assert client.tags == ["vip", "new"]
    with pytest.raises(ValidationFailed) as refused:
        await world.clients.create(world.clients.command(tags=["ok", "  "]))
    assert fields_of(refused.value) == ["tags[1]"]


async def test_a_client_project_must_exist_and_a_guid_is_unique_within_its_project(world: World) -> None:
    first = await world.projects.create(world.projects.command(name="One", code="one"))
    second = await world.projects.create(world.projects.command(name="Two", code="two"))
    with pytest.raises(ValidationFailed) as refused:
        await world.clients.create(world.clients.command(project_id=99, guid="g"))
    assert fields_of(refused.value) == ["project_id"]
    await world.client(project_id=first.id, guid="g")
    with pytest.raises(Conflict, match="guid 'g'"):
        await world.client(project_id=first.id, guid="g")
    await world.client(project_id=second.id, guid="g")  # another project may use the same guid


async def test_a_guid_needs_a_project(world: World) -> None:
    with pytest.raises(ValidationFailed) as refused:
        await world.client(guid="lonely")
    assert fields_of(refused.value) == ["guid"]


async def test_changing_phones_normalises_them_too(world: World) -> None:
    client_id = await world.client(phones=["+74951234567"])
    changed = await world.clients.change(client_id, world.clients.patch(phones=["8 916 123-45-67"]))
    assert changed.phones == ["+79161234567"]
    with pytest.raises(ValidationFailed) as refused:
        await world.clients.change(client_id, world.clients.patch(phones=["?"]))
    assert fields_of(refused.value) == ["phones[0]"]


async def test_clients_are_searched_by_name_and_email_and_filtered_by_phone_in_any_notation(
    world: World,
) -> None:
    ivan = await world.client(last_name="Petrov", phones=["+74951234567"], email="ivan@example.com")
    await world.client(first_name="Anna", last_name="Sidorova", phones=["+79161234567"])
    assert [c.id for c in (await world.clients.list(Query(), text="petr")).items] == [ivan]
    assert [c.id for c in (await world.clients.list(Query(), text="EXAMPLE.com")).items] == [ivan]
    for notation in ("8 (495) 123-45-67", "+7 495 1234567", "74951234567"):
        found = await world.clients.list(Query((ClientFields.phone.eq(notation),)))
        assert [c.id for c in found.items] == [ivan], notation
    by_email = await world.clients.list(Query((ClientFields.email.eq("IVAN@example.com"),)))
    assert [c.id for c in by_email.items] == [ivan]
    with pytest.raises(ValidationFailed) as refused:
        await world.clients.list(Query((ClientFields.phone.eq("call me"),)))
    assert fields_of(refused.value) == ["phone"]


async def test_clients_are_filtered_by_project_id_or_code_and_guid(world: World) -> None:
    project = await world.projects.create(world.projects.command(name="OCM", code="010"))
    wanted = await world.client(project_id=project.id, guid="a")
    await world.client(project_id=project.id, guid="b")
    await world.client()
    for key in ("010", str(project.id)):
        found = await world.clients.list(Query((ClientFields.project.eq(key), ClientFields.guid.eq("a"))))
        assert [c.id for c in found.items] == [wanted]
    assert (await world.clients.list(Query((ClientFields.project.eq("010"),)))).total == 2
    assert (await world.clients.list(Query((ClientFields.project.eq("nope"),)))).total == 0


async def test_clients_are_filtered_by_tag_group_and_opt_in(world: World) -> None:
    vip = await world.client(tags=["vip", "moscow"])
    opted_out = await world.client(tags=["moscow"], available=False)
    group = await world.groups.create(world.groups.command(name="Loyal"))
    await world.groups.add_members(group.id or 0, [opted_out])

    async def ids(*criteria: Any) -> list[int | None]:
        return [c.id for c in (await world.clients.list(Query(tuple(criteria)))).items]

    assert await ids(ClientFields.tag.eq("vip")) == [vip]
    assert await ids(ClientFields.tag.eq("moscow")) == [vip, opted_out]
    assert await ids(ClientFields.group_id.eq(group.id)) == [opted_out]
    assert await ids(ClientFields.available.eq(True), ClientFields.tag.eq("moscow")) == [vip]


async def test_a_client_is_found_by_id_phone_or_email(world: World) -> None:
    client_id = await world.client(phones=["+74951234567"], email="ivan@example.com")
    for key in (str(client_id), "8 (495) 123-45-67", "+74951234567", "IVAN@example.com"):
        assert (await world.clients.find(key)).id == client_id, key
    for key in ("999", "+79990000000", "nobody@example.com", "Ivan"):
        with pytest.raises(NotFound):
            await world.clients.find(key)


async def test_deleting_a_client_removes_its_memberships_and_blocks(world: World) -> None:
    client_id = await world.client()
    other = await world.client()
    group = await world.groups.create(world.groups.command(name="G"))
    await world.groups.add_members(group.id or 0, [client_id, other])
    await world.blocks.create(world.blocks.command(client_id=client_id, channel_id=await world.channel_id()))
    await world.clients.delete(client_id)
    assert [c.id for c in (await world.groups.members(group.id or 0, Query())).items] == [other]
    async with world.uow() as uow:
        assert await uow.channel_blocks.count() == 0
        assert await uow.client_groups.groups_of(client_id) == []


async def test_a_booked_client_cannot_be_deleted(world: World) -> None:
    client_id = await world.client()
    owner = await world.employee("boss")
    await world.bookings.create(
        world.bookings.command(client_id=client_id, before_date=world.later(days=1), employee_id=owner)
    )
    with pytest.raises(Conflict) as refused:
        await world.clients.delete(client_id)
    assert refused.value.references == {"bookings": 1}


async def test_seed_001_creates_a_client_in_a_project_named_by_code(world: World) -> None:
    project = await world.projects.create(world.projects.command(name="OCM", code="010"))
    client = await world.clients.create_in_project("010", world.clients.command(guid="x", first_name="Ivan"))
    assert client.project_id == project.id
    with pytest.raises(ValidationFailed) as refused:
        await world.clients.create_in_project("nope", world.clients.command(guid="y"))
    assert fields_of(refused.value) == ["project"]


# -- groups --------------------------------------------------------------------------------


async def test_group_names_are_unique(world: World) -> None:
    await world.groups.create(world.groups.command(name="VIP"))
    with pytest.raises(Conflict):
        await world.groups.create(world.groups.command(name="VIP"))


async def test_members_are_added_once_listed_and_removed(world: World) -> None:
    a, b, c = await world.client(), await world.client(), await world.client()
    group = await world.groups.create(world.groups.command(name="VIP"))
    added = await world.groups.add_members("VIP", [a, b])
    assert (added.changed, added.members) == (2, 2)
    again = await world.groups.add_members(group.id or 0, [b, c])
    assert (again.changed, again.members) == (1, 3)
    page = await world.groups.members("VIP", Query(limit=2, offset=1))
    assert ([m.id for m in page.items], page.total) == ([b, c], 3)
    removed = await world.groups.remove_members("VIP", [a, c])
    assert (removed.changed, removed.members) == (2, 1)
    assert [g.name for g in (await world.groups.of_client(b, Query())).items] == ["VIP"]
    assert (await world.groups.of_client(a, Query())).total == 0


async def test_adding_or_removing_unknown_clients_lists_the_missing_ids_and_changes_nothing(
    world: World,
) -> None:
    a = await world.client()
    group = await world.groups.create(world.groups.command(name="VIP"))
    for change in (world.groups.add_members, world.groups.remove_members):
        with pytest.raises(ValidationFailed) as refused:
            await change(group.id or 0, [a, 98, 99])
        assert [(e.field, e.message) for e in refused.value.errors] == [
            ("client_ids", "no client with id 98, 99")
        ]
    assert (await world.groups.members(group.id or 0, Query())).total == 0
    with pytest.raises(NotFound):
        await world.groups.add_members("nope", [a])
    with pytest.raises(NotFound):
        await world.groups.of_client(404, Query())


# -- channel blocks ------------------------------------------------------------------------


async def test_blocking_a_blocked_pair_again_changes_the_existing_block(world: World) -> None:
    client_id, sms = await world.client(), await world.channel_id()
    first = await world.blocks.create(
        world.blocks.command(client_id=client_id, channel_id=sms, reason="asked")
    )
    assert first.permanent
    until = world.later(days=3)
    second = await world.blocks.create(world.blocks.command(client_id=client_id, channel_id=sms, until=until))
    assert second.id == first.id
    assert (second.until, second.reason) == (until, None)
    assert (await world.blocks.list(Query())).total == 1


async def test_a_block_needs_an_existing_client_and_channel_and_a_future_until(world: World) -> None:
    client_id = await world.client()
    with pytest.raises(ValidationFailed) as refused:
        await world.blocks.create(world.blocks.command(client_id=404, channel_id=405))
    assert fields_of(refused.value) == ["client_id", "channel_id"]
    with pytest.raises(ValidationFailed) as refused:
        await world.blocks.create(
            world.blocks.command(
                client_id=client_id, channel_id=await world.channel_id(), until=world.clock.now()
            )
        )
    assert fields_of(refused.value) == ["until"]


async def test_a_block_stays_with_its_client_and_channel(world: World) -> None:
    client_id, other = await world.client(), await world.client()
    block = await world.blocks.create(
        world.blocks.command(client_id=client_id, channel_id=await world.channel_id())
    )
    with pytest.raises(TypeError, match="client_id"):
        world.blocks.patch(client_id=other)
    moved = await world.blocks.change(block.id or 0, world.blocks.patch(reason="asked"))
    assert (moved.client_id, moved.reason) == (client_id, "asked")


async def test_blocks_are_listed_by_client_channel_and_whether_in_force(world: World) -> None:
    client_id, sms, email = await world.client(), await world.channel_id(), await world.channel_id("email")
    forever = await world.blocks.create(world.blocks.command(client_id=client_id, channel_id=sms))
    for_a_day = await world.blocks.create(
        world.blocks.command(client_id=client_id, channel_id=email, until=world.later(days=1))
    )

    async def ids(*criteria: Any) -> list[int | None]:
        return [b.id for b in (await world.blocks.list(Query(tuple(criteria)))).items]

    assert await ids(ChannelBlockFields.channel_id.eq(sms)) == [forever.id]
    assert await ids(ChannelBlockFields.client_id.eq(client_id), ChannelBlockFields.active.eq(True)) == [
        forever.id,
        for_a_day.id,
    ]
    world.clock.advance(days=1)  # the day block ends exactly now
    assert await ids(ChannelBlockFields.active.eq(True)) == [forever.id]
    assert await ids(ChannelBlockFields.active.eq(False)) == [for_a_day.id]


# -- bookings ------------------------------------------------------------------------------


async def test_a_booking_needs_a_future_date_an_owner_and_existing_references(world: World) -> None:
    client_id = await world.client()
    owner = await world.employee("boss")
    with pytest.raises(ValidationFailed) as refused:
        await world.bookings.create(
            world.bookings.command(client_id=client_id, before_date=world.clock.now(), employee_id=owner)
        )
    assert fields_of(refused.value) == ["before_date"]
    with pytest.raises(ValidationFailed) as refused:
        await world.bookings.create(
            world.bookings.command(client_id=client_id, before_date=world.later(days=1))
        )
    assert fields_of(refused.value) == ["department_id"]
    with pytest.raises(ValidationFailed) as refused:
        await world.bookings.create(
            world.bookings.command(client_id=404, before_date=world.later(days=1), employee_id=405)
        )
    assert fields_of(refused.value) == ["client_id", "employee_id"]


async def test_an_employee_booking_carries_the_employee_department(world: World) -> None:
    department = await world.department()
    owner = await world.employee("boss", department)
    booking = await world.bookings.create(
        world.bookings.command(
            client_id=await world.client(), before_date=world.later(days=1), employee_id=owner
        )
    )
    assert (booking.department_id, booking.employee_id, booking.status) == (
        department,
        owner,
        BookingState.BOOKED,
    )


async def test_a_client_held_by_one_owner_cannot_be_booked_by_another(world: World) -> None:
    client_id = await world.client()
    boss, rival = await world.employee("boss"), await world.employee("rival")
    await world.bookings.create(
        world.bookings.command(client_id=client_id, before_date=world.later(days=1), employee_id=boss)
    )
    with pytest.raises(Conflict, match=f"booked by employee {boss}"):
        await world.bookings.create(
            world.bookings.command(client_id=client_id, before_date=world.later(days=2), employee_id=rival)
        )
    world.clock.advance(days=1)  # the first hold has run out
    taken = await world.bookings.create(
        world.bookings.command(client_id=client_id, before_date=world.later(days=2), employee_id=rival)
    )
    assert taken.employee_id == rival


async def test_booking_a_held_client_again_extends_the_owners_hold(world: World) -> None:
    client_id, boss = await world.client(), await world.employee("boss")
    first = await world.bookings.create(
        world.bookings.command(
            client_id=client_id, before_date=world.later(days=1), employee_id=boss, name="Spring"
        )
    )
    again = await world.bookings.create(
        world.bookings.command(client_id=client_id, before_date=world.later(days=5), employee_id=boss)
    )
    assert (again.id, again.before_date, again.name) == (first.id, world.later(days=5), "Spring")
    assert (await world.bookings.list(Query())).total == 1


async def test_a_booking_is_released_once_and_may_be_taken_again(world: World) -> None:
    client_id, boss = await world.client(), await world.employee("boss")
    booking = await world.bookings.create(
        world.bookings.command(
            client_id=client_id, before_date=world.later(days=1), employee_id=boss, name="Spring"
        )
    )
    released = await world.bookings.release("Spring")
    assert released.status is BookingState.RELEASED
    with pytest.raises(InvalidTransition):
        await world.bookings.release(booking.id or 0)
    again = await world.bookings.change(booking.id or 0, world.bookings.patch(status=BookingState.BOOKED))
    assert again.status is BookingState.BOOKED
    with pytest.raises(ValidationFailed) as refused:
        await world.bookings.change(booking.id or 0, world.bookings.patch(status=BookingState.EXPIRED))
    assert fields_of(refused.value) == ["status"]


async def test_due_bookings_expire_and_the_rest_stay(world: World) -> None:
    boss = await world.employee("boss")
    short = await world.bookings.create(
        world.bookings.command(
            client_id=await world.client(), before_date=world.later(hours=1), employee_id=boss
        )
    )
    long = await world.bookings.create(
        world.bookings.command(
            client_id=await world.client(), before_date=world.later(days=9), employee_id=boss
        )
    )
    assert await world.bookings.expire_due() == 0
    world.clock.advance(hours=1)
    assert await world.bookings.expire_due() == 1
    assert (await world.bookings.get(short.id or 0)).status is BookingState.EXPIRED
    assert (await world.bookings.get(long.id or 0)).status is BookingState.BOOKED
    assert await world.bookings.expire_due() == 0


async def test_bookings_are_listed_by_whether_they_hold_now(world: World) -> None:
    boss = await world.employee("boss")
    soon = await world.bookings.create(
        world.bookings.command(
            client_id=await world.client(), before_date=world.later(hours=1), employee_id=boss
        )
    )
    later = await world.bookings.create(
        world.bookings.command(
            client_id=await world.client(), before_date=world.later(days=1), employee_id=boss
        )
    )
    await world.bookings.release(later.id or 0)
    active = await world.bookings.list(Query((BookingFields.active.eq(True),)))
    assert [b.id for b in active.items] == [soon.id]
    world.clock.advance(hours=1)
    assert (await world.bookings.list(Query((BookingFields.active.eq(True),)))).total == 0
    assert (await world.bookings.list(Query((BookingFields.active.eq(False),)))).total == 2


async def test_booking_through_the_client_by_status_name(world: World) -> None:
    client_id, boss = await world.client(), await world.employee("boss")
    held = await world.bookings.book_client(
        client_id, world.later(days=1), Owner(employee_id=boss), "Забронирован"
    )
    assert held.booking is not None and held.status is not None
    assert (held.status.code, held.status.name) == (BookingState.BOOKED, "Забронирован")
    released = await world.bookings.book_client(
        client_id, world.later(days=1), Owner(employee_id=boss), "released"
    )
    assert released.booking is None
    with pytest.raises(NotFound):
        await world.bookings.book_client(
            client_id, world.later(days=1), Owner(employee_id=boss), "Освобождён"
        )
    with pytest.raises(ValidationFailed) as refused:
        await world.bookings.book_client(client_id, world.later(days=1), Owner(employee_id=boss), "Maybe")
    assert fields_of(refused.value) == ["status.name"]
    with pytest.raises(NotFound):
        await world.bookings.book_client(404, world.later(days=1), Owner(employee_id=boss))


# -- availability --------------------------------------------------------------------------


async def test_availability_names_the_bookings_of_others(world: World) -> None:
    client_id = await world.client()
    boss, rival = await world.employee("boss"), await world.employee("rival")
    await world.bookings.create(
        world.bookings.command(client_id=client_id, before_date=world.later(days=1), employee_id=boss)
    )
    assert (await world.availability.of_client(client_id, Owner(employee_id=boss))).available
    answer = await world.availability.of_client(client_id, Owner(employee_id=rival))
    assert not answer.available
    assert answer.reasons == [f"booked by employee {boss} until 2026-03-03T09:00:00+00:00 (booking 1)"]
    with pytest.raises(NotFound):
        await world.availability.of_client(404, None)


async def test_available_clients_leave_out_the_opted_out_and_those_booked_by_others(world: World) -> None:
    free = await world.client()
    await world.client(available=False)
    mine, theirs = await world.client(), await world.client()
    also_free = await world.client()
    boss, rival = await world.employee("boss"), await world.employee("rival")
    await world.bookings.create(
        world.bookings.command(client_id=mine, before_date=world.later(days=1), employee_id=boss)
    )
    await world.bookings.create(
        world.bookings.command(client_id=theirs, before_date=world.later(days=1), employee_id=rival)
    )
    page = await world.availability.available_clients(Owner(employee_id=boss), Query(limit=2))
    assert ([c.id for c in page.items], page.total) == ([free, mine], 3)
    rest = await world.availability.available_clients(Owner(employee_id=boss), Query(limit=2, offset=2))
    assert [c.id for c in rest.items] == [also_free]
    anonymous = await world.availability.available_clients(None, Query())
    assert [c.id for c in anonymous.items] == [free, also_free]
    world.clock.advance(days=1)
    assert (await world.availability.available_clients(None, Query())).total == 4


async def test_the_held_booking_is_shown_with_its_client(world: World) -> None:
    booked, free = await world.client(), await world.client()
    boss = await world.employee("boss")
    booking = await world.bookings.create(
        world.bookings.command(client_id=booked, before_date=world.later(days=1), employee_id=boss)
    )
    async with world.uow() as uow:
        clients = await uow.clients.find(Query())
    shown = await world.bookings.with_bookings(clients)
    assert [(s.client.id, s.booking.id if s.booking else None) for s in shown] == [
        (booked, booking.id),
        (free, None),
    ]
