"""Managing the dictionaries: communication types, channels, documents, and departments' rules.

Types and channels are editable data seeded with defaults (SPEC §1). A default keeps its code
(and a channel its kind) because behaviour and the bootstrap find it by them, and it cannot be
deleted: the next start would seed it again under a new id. Deactivate it instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from application.managed_entities import (
    Catalog,
    Command,
    MustExist,
    ReferencedBy,
    RepositoryOf,
    Unique,
    command_for,
)
from application.ports import Repository, UnitOfWork
from application.queries import MAX_PAGE_SIZE, Criterion, Field, Query
from application.searches import (
    ChannelBlockFields,
    ChannelFields,
    CommunicationFields,
    CommunicationTypeFields,
    DocumentFields,
    RuleFields,
)
from domain.dictionaries import (
    DEFAULT_CHANNELS,
    DEFAULT_COMMUNICATION_TYPES,
    Channel,
    CommunicationType,
    Document,
)
from domain.entity import Entity
from domain.errors import Conflict, FieldError, ValidationFailed
from domain.organisation import Role
from domain.rules import Rule

E = TypeVar("E", bound=Entity)

SCAN_LIMIT = 100_000
"""More rules or roles than any company has: the scan below reads them all."""


@dataclass(frozen=True)
class ListedIn:
    """Entities of ``repository`` that name this entity's id inside a list (stored as JSON).

    Such lists cannot be counted with a query on every storage, so the (few) rows are scanned.
    """

    repository: RepositoryOf
    label: str
    ids_of: Callable[[Any], Iterable[int]]


def _rule_types(rule: Rule) -> Iterable[int]:
    return rule.allowed_type_ids


def _rule_channels(rule: Rule) -> Iterable[int]:
    return (*rule.allowed_channel_ids, *rule.channel_priority)


def _role_types(role: Role) -> Iterable[int]:
    return (i for grant in role.grants for i in grant.type_ids)


def _role_channels(role: Role) -> Iterable[int]:
    return (i for grant in role.grants for i in grant.channel_ids)


class Dictionary(Catalog[E]):
    """A catalog whose entries other entities may list by id, and which may have seeded defaults."""

    listed_in: ClassVar[tuple[ListedIn, ...]] = ()
    default_codes: ClassVar[frozenset[str]] = frozenset()
    fixed_for_defaults: ClassVar[tuple[str, ...]] = ()
    """Attributes a seeded default keeps for ever."""

    async def ensure_unreferenced(self, uow: UnitOfWork, entity_id: int) -> None:
        in_use: dict[str, int] = {}
        try:
            await super().ensure_unreferenced(uow, entity_id)
        except Conflict as conflict:
            in_use.update(conflict.references)
        for listing in self.listed_in:
            holders = await listing.repository(uow).find(Query(limit=SCAN_LIMIT))
            count = sum(1 for holder in holders if entity_id in set(listing.ids_of(holder)))
            if count:
                in_use[listing.label] = count
        if in_use:
            listed = ", ".join(f"{count} {label}" for label, count in in_use.items())
            raise Conflict(f"{self.kind} {entity_id} is still referenced by {listed}", references=in_use)
        entity = await self.load(uow, entity_id)
        if self._is_default(entity):
            raise Conflict(
                f"{self.kind} {entity_id} is a default and cannot be deleted; deactivate it instead"
            )

    def changes(self, current: E, patch: Command) -> dict[str, Any]:
        changes = super().changes(current, patch)
        if self._is_default(current):
            fixed = [
                FieldError(name, f"a default {self.kind} keeps its {name}")
                for name in self.fixed_for_defaults
                if name in changes and changes[name] != getattr(current, name)
            ]
            if fixed:
                raise ValidationFailed(fixed)
        return changes

    def _is_default(self, entity: E) -> bool:
        return getattr(entity, "code", None) in self.default_codes

    active_field: ClassVar[Field[bool]]

    async def _active(self, *criteria: Criterion) -> list[E]:
        # Dictionaries hold tens of entries: one page of the maximum size is all of them.
        async with self._uow_factory(read_only=True) as uow:
            return await self.repo(uow).find(
                Query((self.active_field.eq(True), *criteria), limit=MAX_PAGE_SIZE)
            )


class CommunicationTypes(Dictionary[CommunicationType]):
    """Managing the communication types (SPEC §1), seeded with defaults."""

    kind = "communication type"
    command = command_for(CommunicationType, "NewCommunicationType")
    fields = CommunicationTypeFields
    active_field = CommunicationTypeFields.active
    key_fields = (CommunicationTypeFields.code, CommunicationTypeFields.name)
    search_fields = (
        CommunicationTypeFields.name,
        CommunicationTypeFields.code,
        CommunicationTypeFields.description,
    )
    # Names are unique too: "get by name" must name one entry.
    unique = (Unique((CommunicationTypeFields.code,)), Unique((CommunicationTypeFields.name,)))
    referenced_by: ClassVar[tuple[ReferencedBy, ...]] = (
        ReferencedBy(lambda uow: uow.communications, CommunicationFields.type_id, "communications"),
    )
    listed_in = (
        ListedIn(lambda uow: uow.rules, "rules", _rule_types),
        ListedIn(lambda uow: uow.roles, "roles", _role_types),
    )
    default_codes = frozenset(entry.code for entry in DEFAULT_COMMUNICATION_TYPES)
    fixed_for_defaults = ("code",)

    def repo(self, uow: UnitOfWork) -> Repository[CommunicationType]:
        return uow.communication_types

    def build(self, values: Mapping[str, Any]) -> CommunicationType:
        return CommunicationType(**values)

    async def available(self) -> list[CommunicationType]:
        """The active types, by id: what a front system may send (seed 000, example 1)."""
        return await self._active()


class Channels(Dictionary[Channel]):
    """Managing the channels communications go through, seeded with defaults."""

    kind = "channel"
    command = command_for(Channel, "NewChannel")
    fields = ChannelFields
    active_field = ChannelFields.active
    key_fields = (ChannelFields.code, ChannelFields.name)
    search_fields = (ChannelFields.name, ChannelFields.code, ChannelFields.description)
    unique = (Unique((ChannelFields.code,)), Unique((ChannelFields.name,)))
    referenced_by: ClassVar[tuple[ReferencedBy, ...]] = (
        ReferencedBy(lambda uow: uow.channel_blocks, ChannelBlockFields.channel_id, "channel blocks"),
        ReferencedBy(lambda uow: uow.communications, CommunicationFields.channel_id, "communications"),
    )
    listed_in = (
        ListedIn(lambda uow: uow.rules, "rules", _rule_channels),
        ListedIn(lambda uow: uow.roles, "roles", _role_channels),
    )
    default_codes = frozenset(channel.entry.code for channel in DEFAULT_CHANNELS)
    fixed_for_defaults = ("code", "kind")

    def repo(self, uow: UnitOfWork) -> Repository[Channel]:
        return uow.channels

    def build(self, values: Mapping[str, Any]) -> Channel:
        return Channel(**values)

    async def sendable(self) -> list[Channel]:
        """The active channels a provider sends on, by id (seed 000, example 2).

        Calls, visits and requests are recorded, not sent, so they are not offered here.
        """
        return await self._active(ChannelFields.dispatchable.eq(True))


class Documents(Catalog[Document]):
    """Managing documents: the texts and media communications are rendered from."""

    kind = "document"
    command = command_for(Document, "NewDocument")
    fields = DocumentFields
    key_fields = (DocumentFields.name,)
    search_fields = (DocumentFields.name, DocumentFields.subject)
    unique = (Unique((DocumentFields.name,)),)
    referenced_by: ClassVar[tuple[ReferencedBy, ...]] = (
        ReferencedBy(lambda uow: uow.communications, CommunicationFields.document_id, "communications"),
    )

    def repo(self, uow: UnitOfWork) -> Repository[Document]:
        return uow.documents

    def build(self, values: Mapping[str, Any]) -> Document:
        return Document(**values)


class Rules(Catalog[Rule]):
    """Managing departments' rules: which types and channels, when, and how often."""

    kind = "rule"
    command = command_for(Rule, "NewRule")
    fields = RuleFields
    key_fields = (RuleFields.name,)
    search_fields = (RuleFields.name,)
    unique = (Unique((RuleFields.name,)),)
    must_exist = (
        MustExist("department_id", lambda uow: uow.departments, "department"),
        MustExist("allowed_type_ids", lambda uow: uow.communication_types, "communication type"),
        MustExist("allowed_channel_ids", lambda uow: uow.channels, "channel"),
        MustExist("channel_priority", lambda uow: uow.channels, "channel"),
    )

    def repo(self, uow: UnitOfWork) -> Repository[Rule]:
        return uow.rules

    def build(self, values: Mapping[str, Any]) -> Rule:
        return Rule(**_normalised(values))

    def rebuild(self, current: Rule, changes: Mapping[str, Any]) -> Rule:
        return super().rebuild(current, _normalised(changes))


def _normalised(values: Mapping[str, Any]) -> dict[str, Any]:
    """Sets given as lists are stored sorted and without repeats; the priority keeps its order."""
    normal = dict(values)
    for name in ("allowed_type_ids", "allowed_channel_ids", "allowed_weekdays"):
        if normal.get(name) is not None:
            normal[name] = sorted(set(normal[name]))
    return normal
