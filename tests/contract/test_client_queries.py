"""The client-side queries every storage must answer alike: memory, SQLite and PostgreSQL.

Run through the use cases, so that the virtual fields (phone, group, tag, excluded ids) and the
booking questions meet real SQL.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from adapters.phones import LibPhoneNumberParser
from adapters.security import Argon2PasswordHasher
from application.bootstrap import Bootstrap
from application.clients import Availability, Bookings, ChannelBlocks, ClientGroups, Clients, Projects
from application.queries import Query
from application.searches import BookingFields, ChannelBlockFields, ClientFields
from domain.availability import Owner
from domain.clients import BookingState
from domain.dictionaries import Channel, ChannelKind
from domain.errors import Conflict
from domain.organisation import Employee
from tests.support.clock import ManualClock


class Side:
    def __init__(self, uow_factory: Any, clock: ManualClock) -> None:
        self.uow = uow_factory
        self.clock = clock
        self.projects = Projects(uow_factory, clock)
        self.clients = Clients(uow_factory, clock, LibPhoneNumberParser("RU"))
        self.groups = ClientGroups(uow_factory, clock)
        self.blocks = ChannelBlocks(uow_factory, clock)
        self.bookings = Bookings(uow_factory, clock)
        self.availability = Availability(uow_factory, clock)

    async def client(self, **values: Any) -> int:
        created = await self.clients.create(self.clients.command(**values))
        assert created.id is not None
        return created.id

    async def ids(self, *criteria: Any, text: str | None = None) -> list[int | None]:
        return [c.id for c in (await self.clients.list(Query(tuple(criteria), limit=100), text=text)).items]

    async def employee(self, login: str) -> int:
        now = self.clock.now()
        async with self.uow() as uow:
            added = await uow.employees.add(
                Employee(
                    login=login,
                    password_hash="-",
                    first_name=login,
                    last_name=login,
                    create_time=now,
                    update_time=now,
                )
            )
            await uow.commit()
        assert added.id is not None
        return added.id

    async def channel(self, code: str) -> int:
        now = self.clock.now()
        async with self.uow() as uow:
            added = await uow.channels.add(
                Channel(name=code, code=code, kind=ChannelKind.SMS, create_time=now, update_time=now)
            )
            await uow.commit()
        assert added.id is not None
        return added.id

    def later(self, **delta: float) -> Any:
        return self.clock.now() + timedelta(**delta)


@pytest.fixture
def side(uow_factory: Any, clock: ManualClock) -> Side:
    return Side(uow_factory, clock)


@pytest.fixture
async def installed(side: Side, hasher: Argon2PasswordHasher) -> Side:
    """As a fresh install is: with the booking status dictionary."""
    await Bootstrap(side.uow, side.clock, hasher)()
    return side


async def test_phone_filter_finds_a_client_by_any_of_its_numbers_in_any_notation(side: Side) -> None:
    ivan = await side.client(first_name="Ivan", phones=["8 (495) 123-45-67", "+7 916 123 45 67"])
    anna = await side.client(first_name="Anna", phones=["+79990000000"])
    assert await side.ids(ClientFields.phone.eq("+7 (916) 123-45-67")) == [ivan]
    assert await side.ids(ClientFields.phone.eq("84951234567")) == [ivan]
    assert await side.ids(ClientFields.phone.in_(["+79990000000", "+74951234567"])) == [ivan, anna]
    await side.clients.change(ivan, side.clients.patch(phones=["+74950000000"]))
    assert await side.ids(ClientFields.phone.eq("+74951234567")) == []
    assert await side.ids(ClientFields.phone.eq("8 495 000-00-00")) == [ivan]


async def test_tag_filter_matches_one_item_of_the_list_exactly(side: Side) -> None:
    vip = await side.client(tags=["vip", "москва"])
    other = await side.client(tags=["vip-candidate", "spb"])
    untagged = await side.client()
    assert await side.ids(ClientFields.tag.eq("vip")) == [vip]
    assert await side.ids(ClientFields.tag.eq("москва")) == [vip]
    assert await side.ids(ClientFields.tag.eq("VIP")) == []
    assert await side.ids(ClientFields.tag.in_(["spb", "москва"])) == [vip, other]
    assert untagged not in await side.ids(ClientFields.tag.in_(["", "vip"]))
    assert (await side.clients.list(Query((ClientFields.tag.eq("vip"),)))).total == 1


async def test_group_filter_and_membership_pages(side: Side) -> None:
    members = [await side.client(first_name=f"M{i}") for i in range(3)]
    outsider = await side.client(first_name="Out")
    group = await side.groups.create(side.groups.command(name="Лояльные"))
    await side.groups.add_members(group.id or 0, members)
    assert await side.ids(ClientFields.group_id.eq(group.id)) == members
    page = await side.groups.members("Лояльные", Query(limit=2, offset=2))
    assert ([c.id for c in page.items], page.total) == ([members[2]], 3)
    assert (await side.groups.of_client(outsider, Query())).total == 0
    await side.groups.remove_members(group.id or 0, members[:2])
    assert await side.ids(ClientFields.group_id.eq(group.id)) == members[2:]


async def test_project_and_guid_filters_and_the_unique_pair(side: Side) -> None:
    ocm = await side.projects.create(side.projects.command(name="OCM", code="010"))
    crm = await side.projects.create(side.projects.command(name="CRM", code="crm"))
    wanted = await side.client(project_id=ocm.id, guid="abc")
    same_guid = await side.client(project_id=crm.id, guid="abc")
    assert await side.ids(ClientFields.project.eq("010"), ClientFields.guid.eq("abc")) == [wanted]
    assert await side.ids(ClientFields.project.eq(str(crm.id)), ClientFields.guid.eq("abc")) == [same_guid]
    assert await side.ids(ClientFields.guid.eq("abc")) == [wanted, same_guid]
    with pytest.raises(Conflict):
        await side.client(project_id=ocm.id, guid="abc")


async def test_search_ignores_case_in_cyrillic_and_finds_email(side: Side) -> None:
    petrov = await side.client(last_name="Петров", email="ivan@example.com")
    await side.client(last_name="Сидоров")
    assert await side.ids(text="пЕТР") == [petrov]
    assert await side.ids(text="EXAMPLE") == [petrov]
    assert await side.ids(ClientFields.email.eq("Ivan@Example.com")) == [petrov]


async def test_excluded_ids_leave_those_clients_out(side: Side) -> None:
    ids = [await side.client(first_name=f"C{i}") for i in range(4)]
    assert await side.ids(ClientFields.id.not_in([ids[1], ids[3]])) == [ids[0], ids[2]]
    assert await side.ids(ClientFields.id.ne(ids[0])) == ids[1:]


async def test_deleting_a_client_takes_its_blocks_and_memberships_along(side: Side) -> None:
    gone, kept = await side.client(), await side.client()
    group = await side.groups.create(side.groups.command(name="G"))
    await side.groups.add_members(group.id or 0, [gone, kept])
    sms = await side.channel("sms")
    await side.blocks.create(side.blocks.command(client_id=gone, channel_id=sms))
    await side.blocks.create(side.blocks.command(client_id=kept, channel_id=sms))
    await side.clients.delete(gone)
    assert await side.ids(ClientFields.group_id.eq(group.id)) == [kept]
    assert [b.client_id for b in (await side.blocks.list(Query())).items] == [kept]


async def test_blocks_in_force_now(side: Side) -> None:
    client_id = await side.client()
    sms, email, push = await side.channel("sms"), await side.channel("email"), await side.channel("push")
    forever = await side.blocks.create(side.blocks.command(client_id=client_id, channel_id=sms))
    hour = await side.blocks.create(
        side.blocks.command(client_id=client_id, channel_id=email, until=side.later(hours=1))
    )
    day = await side.blocks.create(
        side.blocks.command(client_id=client_id, channel_id=push, until=side.later(days=1))
    )
    active = Query((ChannelBlockFields.active.eq(True),))
    assert [b.id for b in (await side.blocks.list(active)).items] == [forever.id, hour.id, day.id]
    side.clock.advance(hours=1)
    assert [b.id for b in (await side.blocks.list(active)).items] == [forever.id, day.id]
    assert [b.id for b in (await side.blocks.list(Query((ChannelBlockFields.active.eq(False),)))).items] == [
        hour.id
    ]


async def test_booking_queries_holding_expiry_and_availability(installed: Side) -> None:
    side = installed
    boss, rival = await side.employee("boss"), await side.employee("rival")
    mine, theirs, free = await side.client(), await side.client(), await side.client()
    short = await side.bookings.create(
        side.bookings.command(client_id=mine, before_date=side.later(hours=1), employee_id=boss)
    )
    await side.bookings.create(
        side.bookings.command(client_id=theirs, before_date=side.later(days=2), employee_id=rival)
    )
    with pytest.raises(Conflict):
        await side.bookings.create(
            side.bookings.command(client_id=theirs, before_date=side.later(days=1), employee_id=boss)
        )

    available = await side.availability.available_clients(Owner(employee_id=boss), Query())
    assert ([c.id for c in available.items], available.total) == ([mine, free], 2)
    assert not (await side.availability.of_client(theirs, Owner(employee_id=boss))).available
    held = await side.bookings.with_bookings((await side.clients.list(Query())).items)
    assert [h.status.name if h.status else None for h in held] == ["Забронирован", "Забронирован", None]

    status_booked = Query((BookingFields.status.eq(BookingState.BOOKED), BookingFields.active.eq(True)))
    assert (await side.bookings.list(status_booked)).total == 2
    side.clock.advance(hours=1)
    assert (await side.bookings.list(Query((BookingFields.active.eq(True),)))).total == 1
    assert await side.bookings.expire_due() == 1
    assert (await side.bookings.get(short.id or 0)).status is BookingState.EXPIRED
    assert [
        b.client_id
        for b in (await side.bookings.list(Query((BookingFields.status.eq(BookingState.EXPIRED),)))).items
    ] == [mine]
    with pytest.raises(Conflict) as refused:
        await side.clients.delete(mine)
    assert refused.value.references == {"bookings": 1}
