"""Projects, clients and client groups: the people communications go to, and how they are grouped."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from application.clients.filtering import FilteredCatalog
from application.managed_entities import (
    Catalog,
    Command,
    MustExist,
    ReferencedBy,
    Unique,
    attributes_of,
    command_for,
    page_of,
)
from application.ports import Clock, PhoneNumberParser, Repository, UnitOfWork, UnitOfWorkFactory
from application.queries import AnyOf, Condition, Page, Query
from application.searches import (
    BookingFields,
    ChannelBlockFields,
    ClientFields,
    ClientGroupFields,
    CommunicationFields,
    ProjectFields,
    PushSubscriptionFields,
    TelegramLinkFields,
)
from domain.clients import Client, ClientGroup, Project
from domain.entity import Problems
from domain.errors import FieldError, NotFound, ValidationFailed
from domain.keys import id_or_name

PHONE_LIKE = re.compile(r"^\+?[\d\s()\-.]{5,}$")
"""A key that reads like a phone number rather than an email or a name."""


class Projects(Catalog[Project]):
    """Managing projects: the businesses clients belong to."""

    kind = "project"
    command = command_for(Project, "NewProject")
    fields = ProjectFields
    key_fields = (ProjectFields.code, ProjectFields.name)
    search_fields = (ProjectFields.name, ProjectFields.code)
    unique = (Unique((ProjectFields.code,)),)
    referenced_by = (
        ReferencedBy(lambda uow: uow.clients, ClientFields.project_id, "clients"),
        ReferencedBy(lambda uow: uow.communications, CommunicationFields.project_id, "communications"),
    )

    def repo(self, uow: UnitOfWork) -> Repository[Project]:
        return uow.projects

    def build(self, values: Mapping[str, Any]) -> Project:
        return Project(**values)

    async def load_by_key(self, uow: UnitOfWork, key: str | int) -> Project:
        try:
            return await super().load_by_key(uow, key)
        except NotFound:
            # Seed 001's codes are digits ("010"): a numeric key that is no id may still be a code.
            found = await uow.projects.first(ProjectFields.code.eq(str(key)))
            if found is None:
                raise
            return found

    async def by_code(self, uow: UnitOfWork, code: str, field: str = "project") -> Project:
        """The project with this code (or, failing that, this name), for a request that names it."""
        for attribute in (ProjectFields.code, ProjectFields.name):
            found = await uow.projects.first(attribute.eq(code))
            if found is not None:
                return found
        raise ValidationFailed.field(field, f"no project with code {code!r}")


class Clients(FilteredCatalog[Client]):
    """Clients with their phones in E.164, whatever notation they were typed in.

    List filters beyond the entity's own fields: ``phone`` in any common notation, ``project`` by id
    or code, ``email`` in any letter case.
    """

    kind = "client"
    command = command_for(Client, "NewClient")
    fields = ClientFields
    key_fields = (ClientFields.email,)
    search_fields = (
        ClientFields.first_name,
        ClientFields.last_name,
        ClientFields.middle_name,
        ClientFields.email,
    )
    unique = (Unique((ClientFields.project_id, ClientFields.guid)),)
    must_exist = (MustExist("project_id", lambda uow: uow.projects, "project"),)
    referenced_by = (
        ReferencedBy(lambda uow: uow.bookings, BookingFields.client_id, "bookings"),
        ReferencedBy(lambda uow: uow.communications, CommunicationFields.client_id, "communications"),
    )
    resolved_fields = (ClientFields.phone, ClientFields.project, ClientFields.email)

    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock, phones: PhoneNumberParser) -> None:
        super().__init__(uow_factory, clock)
        self._phones = phones
        self._projects = Projects(uow_factory, clock)

    def repo(self, uow: UnitOfWork) -> Repository[Client]:
        return uow.clients

    # -- normalising what people type ------------------------------------------------------

    def build(self, values: Mapping[str, Any]) -> Client:
        return Client(**self.normalised(values))

    def rebuild(self, current: Client, changes: Mapping[str, Any]) -> Client:
        return super().rebuild(current, self.normalised(changes))

    def normalised(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Phones to E.164, email to lower case, tags trimmed; every unreadable value reported."""
        result = dict(values)
        problems = Problems()
        if result.get("phones") is not None:
            numbers = []
            for index, raw in enumerate(result["phones"]):
                number = self._phones.to_e164(raw)
                if number is None:
                    problems.add(f"phones[{index}]", f"{raw!r} is not a phone number")
                numbers.append(number)
            # "8 (495) 123-45-67" and "+74951234567" are one number: keep it once.
            result["phones"] = list(dict.fromkeys(n for n in numbers if n is not None))
        if isinstance(result.get("email"), str):
            result["email"] = result["email"].strip().lower()
        if result.get("tags") is not None:
            tags = [str(tag).strip() for tag in result["tags"]]
            for index, tag in enumerate(tags):
                if not tag:
                    problems.add(f"tags[{index}]", "must not be empty")
            result["tags"] = list(dict.fromkeys(tags))
        problems.raise_if_any()
        return result

    def phone(self, raw: str, field: str = "phone") -> str:
        """The clients with this phone number, in any common spelling."""
        number = self._phones.to_e164(raw)
        if number is None:
            raise ValidationFailed.field(field, f"{raw!r} is not a phone number")
        return number

    # -- reading ---------------------------------------------------------------------------

    async def resolve(self, uow: UnitOfWork, condition: Condition) -> Condition | AnyOf:
        if condition.field is ClientFields.phone:
            value = condition.value
            if isinstance(value, list | tuple | set | frozenset):
                return Condition(ClientFields.phone, condition.op, tuple(self.phone(str(v)) for v in value))
            return Condition(ClientFields.phone, condition.op, self.phone(str(value)))
        if condition.field is ClientFields.email:
            return Condition(ClientFields.email, condition.op, str(condition.value).strip().lower())
        try:
            project = await self._projects.load_by_key(uow, str(condition.value))
        except NotFound:
            return ClientFields.id.in_(())  # a project that does not exist has no clients
        assert project.id is not None
        return ClientFields.project_id.eq(project.id)

    async def load_by_key(self, uow: UnitOfWork, key: str | int) -> Client:
        """By id, else by phone number in any notation, else by email."""
        client_id = id_or_name(key)
        if isinstance(client_id, int):
            found = await uow.clients.get(client_id)
            if found is not None:
                return found
        text = str(key).strip()
        number = self._phones.to_e164(text) if PHONE_LIKE.match(text) else None
        if number is not None:
            found = await uow.clients.first(ClientFields.phone.eq(number))
            if found is not None:
                return found
        if "@" in text:
            found = await uow.clients.first(ClientFields.email.eq(text.lower()))
            if found is not None:
                return found
        raise NotFound(self.kind, key)

    # -- writing ---------------------------------------------------------------------------

    async def create_in_project(self, project_code: str, command: Command) -> Client:
        """The mailing-service contract's ``/client/create``: the project is named by its code."""
        async with self._uow_factory() as uow:
            project = await self._projects.by_code(uow, project_code)
            client = await self.add(uow, {**attributes_of(command), "project_id": project.id})
            await uow.commit()
        return client

    async def before_delete(self, uow: UnitOfWork, entity_id: int) -> None:
        # Memberships and blocks belong to the client alone; bookings are history and block the delete.
        for group_id in await uow.client_groups.groups_of(entity_id):
            await uow.client_groups.remove_members(group_id, [entity_id])
        blocks = Query((ChannelBlockFields.client_id.eq(entity_id),), limit=10_000)
        for block in await uow.channel_blocks.find(blocks):
            assert block.id is not None
            await uow.channel_blocks.delete(block.id)
        pushes = Query((PushSubscriptionFields.client_id.eq(entity_id),), limit=10_000)
        for subscription in await uow.push_subscriptions.find(pushes):
            assert subscription.id is not None
            await uow.push_subscriptions.delete(subscription.id)
        link = await uow.telegram_links.first(TelegramLinkFields.client_id.eq(entity_id))
        if link is not None and link.id is not None:
            await uow.telegram_links.delete(link.id)


@dataclass(frozen=True)
class Membership:
    """What a change of members did: how many it changed, and how many members the group has now."""

    group: ClientGroup
    changed: int
    members: int


class ClientGroups(Catalog[ClientGroup]):
    """Managing client groups and their members."""

    kind = "client group"
    command = command_for(ClientGroup, "NewClientGroup")
    fields = ClientGroupFields
    key_fields = (ClientGroupFields.name,)
    search_fields = (ClientGroupFields.name, ClientGroupFields.description)
    unique = (Unique((ClientGroupFields.name,)),)

    def repo(self, uow: UnitOfWork) -> Repository[ClientGroup]:
        return uow.client_groups

    def build(self, values: Mapping[str, Any]) -> ClientGroup:
        return ClientGroup(**values)

    async def members(self, key: str | int, query: Query) -> Page[Client]:
        """One page of a group's members."""
        async with self._uow_factory(read_only=True) as uow:
            group = await self.load_by_key(uow, key)
            assert group.id is not None
            return await page_of(uow.clients, query.where(ClientFields.group_id.eq(group.id)))

    async def add_members(self, key: str | int, client_ids: Iterable[int]) -> Membership:
        """Adds clients to the group; says how many changed and how many members it has."""
        return await self._change_members(key, client_ids, adding=True)

    async def remove_members(self, key: str | int, client_ids: Iterable[int]) -> Membership:
        """Removes clients from the group; says how many changed and how many members it has."""
        return await self._change_members(key, client_ids, adding=False)

    async def of_client(self, client_id: int, query: Query) -> Page[ClientGroup]:
        """The groups a client is a member of."""
        async with self._uow_factory(read_only=True) as uow:
            if await uow.clients.get(client_id) is None:
                raise NotFound("client", client_id)
            group_ids = await uow.client_groups.groups_of(client_id)
            return await page_of(uow.client_groups, query.where(ClientGroupFields.id.in_(group_ids)))

    async def _change_members(self, key: str | int, client_ids: Iterable[int], *, adding: bool) -> Membership:
        wanted = sorted(set(client_ids))
        if not wanted:
            raise ValidationFailed.field("client_ids", "give at least one client id")
        async with self._uow_factory() as uow:
            group = await self.load_by_key(uow, key)
            assert group.id is not None
            missing = sorted(set(wanted) - set(await uow.clients.get_many(wanted)))
            if missing:
                raise ValidationFailed(
                    [FieldError("client_ids", f"no client with id {', '.join(map(str, missing))}")]
                )
            repo = uow.client_groups
            if adding:
                changed = await repo.add_members(group.id, wanted)
            else:
                changed = await repo.remove_members(group.id, wanted)
            if changed:
                group = await self.apply(uow, group, self.patch())  # nothing but its update time
            assert group.id is not None
            members = await uow.clients.count(ClientFields.group_id.eq(group.id))
            await uow.commit()
        return Membership(group=group, changed=changed, members=members)
