"""Use cases of the dictionaries on the in-memory fake: types, channels, documents and rules."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest

from adapters.memory.unit_of_work import MemoryUnitOfWorkFactory
from adapters.security import Argon2PasswordHasher
from application.bootstrap import Bootstrap
from application.dictionaries import Channels, CommunicationTypes, Documents, Rules
from application.organisation import Companies, Departments
from application.queries import Query
from application.searches import RuleFields
from domain.access import Grant, Permission
from domain.clients import ChannelBlock, Client
from domain.dictionaries import ChannelKind, DocumentKind
from domain.errors import Conflict, ValidationFailed
from domain.organisation import Role
from domain.rules import QuietHours
from tests.support.clock import ManualClock


class World:
    """The dictionaries' use cases over one fresh in-memory store, seeded as a fresh install is."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.uow = MemoryUnitOfWorkFactory()
        self.types = CommunicationTypes(self.uow, clock)
        self.channels = Channels(self.uow, clock)
        self.documents = Documents(self.uow, clock)
        self.rules = Rules(self.uow, clock)
        self.departments = Departments(self.uow, clock)
        self.companies = Companies(self.uow, clock)

    async def department(self) -> int:
        company = await self.companies.create(self.companies.command(name="Acme", code="acme"))
        department = await self.departments.create(
            self.departments.command(company_id=company.id, name="Sales", code="sales")
        )
        assert department.id is not None
        return department.id

    async def block(self, channel_id: int) -> None:
        now = self.clock.now()
        async with self.uow() as uow:
            client = await uow.clients.add(Client(first_name="Ann", create_time=now, update_time=now))
            assert client.id is not None
            await uow.channel_blocks.add(
                ChannelBlock(client_id=client.id, channel_id=channel_id, create_time=now, update_time=now)
            )
            await uow.commit()

    async def role(self, grant: Grant) -> None:
        now = self.clock.now()
        async with self.uow() as uow:
            await uow.roles.add(Role(name="Sender", grants=(grant,), create_time=now, update_time=now))
            await uow.commit()


@pytest.fixture
async def world(clock: ManualClock, hasher: Argon2PasswordHasher) -> World:
    world = World(clock)
    await Bootstrap(world.uow, clock, hasher)()
    return world


async def custom_channel(world: World, code: str = "telegram", **values: Any) -> int:
    channel = await world.channels.create(
        world.channels.command(
            **{"name": code.title(), "code": code, "kind": ChannelKind.MESSENGER, **values}
        )
    )
    assert channel.id is not None
    return channel.id


# -- communication types --------------------------------------------------------------------


async def test_a_type_is_found_by_id_code_or_name(world: World) -> None:
    created = await world.types.create(world.types.command(name="Promo", code="promo", description="Offers"))
    assert (await world.types.find(str(created.id))).code == "promo"
    assert (await world.types.find("promo")).id == created.id
    assert (await world.types.find("Promo")).id == created.id
    assert (await world.types.find("PROMO")).id == created.id


async def test_type_codes_and_names_are_unique(world: World) -> None:
    with pytest.raises(Conflict, match="code 'mass'"):
        await world.types.create(world.types.command(name="Other", code="mass"))
    with pytest.raises(Conflict, match="name 'Опрос'"):
        await world.types.create(world.types.command(name="Опрос", code="poll"))


async def test_a_default_type_can_be_renamed_and_deactivated_but_keeps_its_code(world: World) -> None:
    mass = await world.types.find("mass")
    assert mass.id is not None
    world.clock.advance(minutes=5)
    renamed = await world.types.change(
        mass.id, world.types.patch(name="Mass", description="All", active=False)
    )
    assert (renamed.name, renamed.description, renamed.active) == ("Mass", "All", False)
    assert renamed.update_time == world.clock.now() and renamed.create_time < renamed.update_time
    with pytest.raises(ValidationFailed) as error:
        await world.types.change(mass.id, world.types.patch(code="bulk"))
    assert [e.field for e in error.value.errors] == ["code"]
    # Giving the same code back is not a change.
    assert (await world.types.change(mass.id, world.types.patch(code="mass"))).code == "mass"


async def test_available_types_are_the_active_ones_by_id(world: World) -> None:
    assert [t.code for t in await world.types.available()] == [
        "mass",
        "personal",
        "informational",
        "survey",
        "commercial_survey",
        "service",
    ]
    survey = await world.types.find("survey")
    assert survey.id is not None
    await world.types.change(survey.id, world.types.patch(active=False))
    assert "survey" not in [t.code for t in await world.types.available()]


async def test_a_default_type_cannot_be_deleted(world: World) -> None:
    mass = await world.types.find("mass")
    assert mass.id is not None
    with pytest.raises(Conflict, match="default"):
        await world.types.delete(mass.id)


async def test_a_custom_type_is_deleted_when_nothing_refers_to_it(world: World) -> None:
    promo = await world.types.create(world.types.command(name="Promo", code="promo"))
    assert promo.id is not None
    await world.types.delete(promo.id)
    async with world.uow() as uow:
        assert await uow.communication_types.get(promo.id) is None


async def test_a_type_named_in_a_role_or_rule_cannot_be_deleted(world: World) -> None:
    promo = await world.types.create(world.types.command(name="Promo", code="promo"))
    assert promo.id is not None
    await world.role(Grant(permission=Permission.SEND_COMMUNICATIONS, type_ids=frozenset({promo.id})))
    await world.rules.create(
        world.rules.command(department_id=await world.department(), name="Sales", allowed_type_ids=[promo.id])
    )
    with pytest.raises(Conflict) as error:
        await world.types.delete(promo.id)
    assert error.value.references == {"rules": 1, "roles": 1}


# -- channels -------------------------------------------------------------------------------


async def test_sendable_channels_are_the_active_dispatchable_ones(world: World) -> None:
    assert [c.name for c in await world.channels.sendable()] == ["SMS", "Messenger", "Email", "Push"]
    push = await world.channels.find("push")
    assert push.id is not None
    await world.channels.change(push.id, world.channels.patch(active=False))
    await custom_channel(world, "telegram", dispatchable=True)
    assert [c.code for c in await world.channels.sendable()] == ["sms", "messenger", "email", "telegram"]


async def test_a_default_channel_keeps_its_code_and_kind(world: World) -> None:
    sms = await world.channels.find("SMS")
    assert sms.id is not None
    with pytest.raises(ValidationFailed) as error:
        await world.channels.change(sms.id, world.channels.patch(code="text", kind=ChannelKind.PUSH))
    assert [e.field for e in error.value.errors] == ["code", "kind"]
    changed = await world.channels.change(sms.id, world.channels.patch(description="Short texts"))
    assert changed.description == "Short texts"


async def test_a_custom_channel_may_change_its_code_and_kind(world: World) -> None:
    channel_id = await custom_channel(world)
    changed = await world.channels.change(
        channel_id, world.channels.patch(code="tg", kind=ChannelKind.SOCIAL)
    )
    assert (changed.code, changed.kind) == ("tg", ChannelKind.SOCIAL)


async def test_a_blocked_channel_cannot_be_deleted(world: World) -> None:
    channel_id = await custom_channel(world)
    await world.block(channel_id)
    with pytest.raises(Conflict, match="channel blocks") as error:
        await world.channels.delete(channel_id)
    assert error.value.references == {"channel blocks": 1}


async def test_a_default_channel_in_use_names_its_users_before_being_a_default(world: World) -> None:
    sms = await world.channels.find("sms")
    assert sms.id is not None
    await world.block(sms.id)
    with pytest.raises(Conflict) as error:
        await world.channels.delete(sms.id)
    assert error.value.references == {"channel blocks": 1}


async def test_a_channel_in_a_rules_priority_or_a_roles_grant_cannot_be_deleted(world: World) -> None:
    first = await custom_channel(world, "telegram")
    second = await custom_channel(world, "viber")
    await world.rules.create(
        world.rules.command(department_id=await world.department(), name="Sales", channel_priority=[first])
    )
    await world.role(Grant(permission=Permission.SEND_COMMUNICATIONS, channel_ids=frozenset({second})))
    with pytest.raises(Conflict) as by_rule:
        await world.channels.delete(first)
    assert by_rule.value.references == {"rules": 1}
    with pytest.raises(Conflict) as by_role:
        await world.channels.delete(second)
    assert by_role.value.references == {"roles": 1}


# -- documents ------------------------------------------------------------------------------


async def test_documents_are_found_by_name_and_names_are_unique(world: World) -> None:
    created = await world.documents.create(
        world.documents.command(name="Welcome", subject="Hello", body="Hello, {firstName}!", locale="ru")
    )
    assert (await world.documents.find("welcome")).id == created.id
    with pytest.raises(Conflict):
        await world.documents.create(world.documents.command(name="Welcome", body="Again"))


async def test_a_document_has_the_content_its_kind_needs(world: World) -> None:
    with pytest.raises(ValidationFailed) as no_body:
        await world.documents.create(world.documents.command(name="Empty", kind=DocumentKind.TEXT))
    assert [e.field for e in no_body.value.errors] == ["body"]
    with pytest.raises(ValidationFailed) as no_media:
        await world.documents.create(world.documents.command(name="Clip", kind=DocumentKind.VIDEO))
    assert [e.field for e in no_media.value.errors] == ["media_url"]
    clip = await world.documents.create(
        world.documents.command(
            name="Clip", kind=DocumentKind.VIDEO, media_url="https://cdn.example.com/clip.mp4"
        )
    )
    assert clip.id is not None
    with pytest.raises(ValidationFailed):
        await world.documents.change(clip.id, world.documents.patch(media_url=None))


# -- rules ----------------------------------------------------------------------------------


async def test_a_rule_is_stored_with_its_sets_sorted_and_its_priority_in_order(world: World) -> None:
    department = await world.department()
    rule = await world.rules.create(
        world.rules.command(
            department_id=department,
            name="Sales",
            allowed_type_ids=[2, 1, 2],
            allowed_channel_ids=[3, 1],
            channel_priority=[3, 1],
            allowed_weekdays=[4, 0, 4],
            quiet_hours=QuietHours(time(22), time(8)),
            max_per_day=1,
        )
    )
    loaded = await world.rules.find("Sales")
    assert loaded.id == rule.id
    assert (loaded.allowed_type_ids, loaded.allowed_channel_ids, loaded.channel_priority) == (
        [1, 2],
        [1, 3],
        [3, 1],
    )
    assert loaded.allowed_weekdays == [0, 4]
    assert loaded.quiet_hours == QuietHours(time(22), time(8))


async def test_a_rule_refers_only_to_things_that_exist_and_names_each_wrong_field(world: World) -> None:
    with pytest.raises(ValidationFailed) as error:
        await world.rules.create(
            world.rules.command(
                department_id=404,
                name="Ghost",
                allowed_type_ids=[1, 77],
                allowed_channel_ids=[1, 88],
                channel_priority=[88],
            )
        )
    assert {e.field: e.message for e in error.value.errors} == {
        "department_id": "no department with id 404",
        "allowed_type_ids": "no communication type with id 77",
        "allowed_channel_ids": "no channel with id 88",
        "channel_priority": "no channel with id 88",
    }


async def test_rule_names_are_unique(world: World) -> None:
    department = await world.department()
    await world.rules.create(world.rules.command(department_id=department, name="Sales"))
    with pytest.raises(Conflict, match="name 'Sales'"):
        await world.rules.create(world.rules.command(department_id=department, name="Sales"))


async def test_a_change_to_a_rule_is_checked_as_a_whole(world: World) -> None:
    department = await world.department()
    rule = await world.rules.create(
        world.rules.command(
            department_id=department, name="Sales", allowed_channel_ids=[1, 2], channel_priority=[2]
        )
    )
    assert rule.id is not None
    with pytest.raises(ValidationFailed) as error:
        await world.rules.change(rule.id, world.rules.patch(allowed_channel_ids=[1]))
    assert [e.field for e in error.value.errors] == ["channel_priority"]
    with pytest.raises(ValidationFailed) as dangling:
        await world.rules.change(rule.id, world.rules.patch(department_id=999))
    assert [e.field for e in dangling.value.errors] == ["department_id"]
    changed = await world.rules.change(rule.id, world.rules.patch(active=False, allowed_weekdays=[5, 6, 5]))
    assert (changed.active, changed.allowed_weekdays) == (False, [5, 6])


async def test_a_department_with_rules_cannot_be_deleted_but_a_rule_can(world: World) -> None:
    department = await world.department()
    rule = await world.rules.create(world.rules.command(department_id=department, name="Sales"))
    assert rule.id is not None
    with pytest.raises(Conflict) as error:
        await world.departments.delete(department)
    assert error.value.references == {"rules": 1}
    await world.rules.delete(rule.id)
    await world.departments.delete(department)
    async with world.uow() as uow:
        assert await uow.rules.count(RuleFields.department_id.eq(department)) == 0
        assert await uow.rules.find(Query()) == []
