"""The shared shape of managing one kind of entity: get, find, list, create, change, delete.

Each resource declares what makes it special (which fields name it, which must be unique,
which must point at something that exists, who refers to it); the checks themselves live here
once, so every resource answers duplicates, dangling references and deletes-in-use alike.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from application.ports import Clock, Repository, UnitOfWork, UnitOfWorkFactory
from application.queries import MAX_PAGE_SIZE, AnyOf, Criterion, Field, Fields, Page, Query
from domain.entity import Entity
from domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from domain.keys import id_or_name
from domain.unset import UNSET, Unset

E = TypeVar("E", bound=Entity)

RepositoryOf = Callable[[UnitOfWork], Repository[Any]]
"""Which repository of a unit of work: ``lambda uow: uow.projects``, checked by mypy."""


class Counting(Protocol):
    """A repository that can count what meets criteria."""

    async def count(self, *criteria: Criterion) -> int:
        """How many stored entities meet every criterion."""


CountingOf = Callable[[UnitOfWork], Counting]
"""A repository that can count, such as the communications that block a delete."""


@dataclass(frozen=True)
class Unique:
    """These attributes, together, are unique among the entities of a kind."""

    fields: tuple[Field[Any], ...]
    label: str = ""


@dataclass(frozen=True)
class MustExist:
    """The attribute holds the id (or a list of ids) of an entity in another repository."""

    field: str
    """The entity attribute holding the id or ids."""
    repository: RepositoryOf
    kind: str


@dataclass(frozen=True)
class ReferencedBy:
    """Entities of ``repository`` whose ``field`` holds this entity's id block its delete."""

    repository: CountingOf
    field: Field[int]
    label: str


class Command(Protocol):
    """A frozen dataclass command: what a use case is asked to do, by domain attribute names."""

    __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]


SET_BY_THE_USE_CASE = ("id", "create_time", "update_time")


def command_for(
    entity: type[Any],
    name: str,
    *,
    without: tuple[str, ...] = (),
    extra: tuple[tuple[str, Any, Any], ...] = (),
) -> type[Any]:
    """The frozen command creating an ``entity``: the entity's own attributes, with its defaults,
    but for the id and times (the use case sets them) and ``without``; plus ``extra`` inputs
    that are not attributes (a password to hash), each as (name, type, default)."""
    fields: list[Any] = []
    for f in dataclasses.fields(entity):
        if not f.init or f.name in (*SET_BY_THE_USE_CASE, *without):
            continue
        if f.default is not dataclasses.MISSING:
            fields.append((f.name, f.type, dataclasses.field(default=f.default)))
        elif f.default_factory is not dataclasses.MISSING:
            fields.append((f.name, f.type, dataclasses.field(default_factory=f.default_factory)))
        else:
            fields.append((f.name, f.type))
    fields += [(n, t, dataclasses.field(default=d)) for n, t, d in extra]
    command = dataclasses.make_dataclass(name, fields, frozen=True, kw_only=True)
    command.__module__ = entity.__module__  # string annotations resolve where the entity's do
    return command


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def attributes_of(command: Command) -> dict[str, Any]:
    """A command's fields by name, for building the entity inside the use case."""
    kind = type(command)
    names = _FIELD_NAMES.get(kind)
    if names is None:  # once per command class: dataclasses.fields() filters every field per call
        names = _FIELD_NAMES[kind] = tuple(f.name for f in dataclasses.fields(command))
    return {name: getattr(command, name) for name in names}


def patch_for(
    command: type[Any],
    name: str,
    *,
    without: tuple[str, ...] = (),
    extra: tuple[tuple[str, Any], ...] = (),
) -> type[Any]:
    """The frozen partial-change command of what ``command`` creates: the same fields but for
    ``without``, plus ``extra`` (name, type), each ``UNSET`` (unchanged) unless given."""
    given = [(f.name, f.type) for f in dataclasses.fields(command) if f.name not in without]
    fields = [(n, _or_unset(t), dataclasses.field(default=UNSET)) for n, t in [*given, *extra]]
    patch = dataclasses.make_dataclass(name, fields, frozen=True, kw_only=True)
    patch.__module__ = command.__module__
    return patch


def _or_unset(annotation: Any) -> Any:
    # Annotations of string form stay strings (read by people and tools, resolved by nothing).
    return f"{annotation} | Unset" if isinstance(annotation, str) else annotation | Unset


def changes_of(patch: Command) -> dict[str, Any]:
    """The attributes a partial change gives, by name (``UNSET`` ones left out)."""
    return {
        f.name: getattr(patch, f.name)
        for f in dataclasses.fields(patch)
        if getattr(patch, f.name) is not UNSET
    }


def require_command(use_case: object, command: object, expected: type[Any]) -> None:
    """A use case is handed the command it declares, not a look-alike."""
    if not isinstance(command, expected):
        raise TypeError(
            f"{type(use_case).__name__} takes a {expected.__name__}, not {type(command).__name__}"
        )


async def check_references(
    uow: UnitOfWork, references: Iterable[MustExist], values: Mapping[str, Any]
) -> dict[str, dict[int, Any]]:
    """Every id in ``values`` (one id or a list, by attribute) must name a stored entity.

    Raises ValidationFailed naming each field that points at nothing; returns what was found,
    by attribute, for checks of its own a caller may add (an inactive channel, say).
    """
    problems: list[FieldError] = []
    found: dict[str, dict[int, Any]] = {}
    for ref in references:
        value = values.get(ref.field)
        items = value if isinstance(value, list | tuple | set | frozenset) else [value]
        ids: set[int] = {i for i in items if i is not None}
        if not ids:
            continue
        found[ref.field] = await ref.repository(uow).get_many(ids)
        missing = sorted(ids - set(found[ref.field]))
        if missing:
            problems.append(FieldError(ref.field, f"no {ref.kind} with id {', '.join(map(str, missing))}"))
    if problems:
        raise ValidationFailed(problems)
    return found


async def page_of(repo: Repository[E], query: Query) -> Page[E]:
    """One page of what the query asks for, with the total of all matches."""
    items = await repo.find(query)
    return Page(items=items, total=await repo.count(*query.criteria), limit=query.limit, offset=query.offset)


async def case_blind_matches(repo: Repository[E], field: Field[str], key: str) -> list[E]:
    """Up to two entities whose field equals ``key`` but for case, among all that contain it."""
    found: list[E] = []
    offset = 0
    while True:
        query = Query((field.contains(key),), limit=MAX_PAGE_SIZE, offset=offset)
        batch = await repo.find(query)
        found += [m for m in batch if str(getattr(m, field.name, "")).casefold() == key.casefold()]
        if len(found) > 1 or len(batch) < MAX_PAGE_SIZE:
            return found
        offset += MAX_PAGE_SIZE


class Reading(Generic[E]):
    """Reading one kind of entity: by id, by key (id or name), a page of a query. Subclasses set
    the class attributes below; the writes are theirs (see ``Catalog`` for plain ones)."""

    kind: ClassVar[str]
    command: ClassVar[type[Any]]
    """The command ``create`` takes (``command_for`` the entity)."""
    patch: ClassVar[type[Any]]
    """The command ``change`` takes: ``patch_for`` the creation command unless a subclass sets it."""
    fields: ClassVar[type[Fields]]
    """The searchable fields of this kind."""
    key_fields: ClassVar[tuple[Field[str], ...]]
    """Fields a non-numeric key is looked up in (``get by id or by name``)."""
    search_fields: ClassVar[tuple[Field[str], ...]]
    """Fields the free-text ``q`` of a list searches."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "command" in cls.__dict__ and "patch" not in cls.__dict__:
            cls.patch = patch_for(cls.command, cls.command.__name__.removeprefix("New") + "Change")

    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow_factory = uow_factory
        self._clock = clock

    def repo(self, uow: UnitOfWork) -> Repository[E]:
        """The unit of work's repository of this kind."""
        raise NotImplementedError

    # -- reading -------------------------------------------------------------------------

    async def get(self, entity_id: int) -> E:
        """One entity by id (404 when unknown)."""
        async with self._uow_factory(read_only=True) as uow:
            return await self.load(uow, entity_id)

    async def find(self, key: str | int) -> E:
        """By id when the key is a number, else by any of the key fields (exact, then case-blind)."""
        async with self._uow_factory(read_only=True) as uow:
            return await self.load_by_key(uow, key)

    async def list(self, query: Query, text: str | None = None) -> Page[E]:
        """One page of the entities the query asks for; ``text`` searches the search fields."""
        if not 1 <= query.limit <= MAX_PAGE_SIZE:
            raise ValidationFailed.field("limit", f"must be between 1 and {MAX_PAGE_SIZE}")
        if query.offset < 0:
            raise ValidationFailed.field("offset", "must not be negative")
        if text and text.strip():
            query = query.where(AnyOf(tuple(f.contains(text.strip()) for f in self.search_fields)))
        async with self._uow_factory(read_only=True) as uow:
            return await page_of(self.repo(uow), query)

    async def load(self, uow: UnitOfWork, entity_id: int) -> E:
        """The entity with this id inside an open unit of work (404 when unknown)."""
        entity = await self.repo(uow).get(entity_id)
        if entity is None:
            raise NotFound(self.kind, entity_id)
        return entity

    async def load_by_key(self, uow: UnitOfWork, key: str | int) -> E:
        """``find`` inside an open unit of work."""
        name = id_or_name(key)
        if isinstance(name, int):
            return await self.load(uow, name)
        repo = self.repo(uow)
        for field in self.key_fields:
            found = await repo.first(field.eq(name))
            if found is not None:
                return found
        for field in self.key_fields:
            exact = await case_blind_matches(repo, field, name)
            if len(exact) == 1:
                return exact[0]
        raise NotFound(self.kind, key)


class Catalog(Reading[E]):
    """Plain use cases of one kind of entity: create, change and delete, with the checks every
    plain resource shares (unique fields, references that exist, deletes of what is in use).
    Subclasses declare those and may refine the hooks; behaviour-heavy kinds (bookings, channel
    blocks, communications) write their own handlers over ``Reading`` instead."""

    unique: ClassVar[tuple[Unique, ...]] = ()
    must_exist: ClassVar[tuple[MustExist, ...]] = ()
    referenced_by: ClassVar[tuple[ReferencedBy, ...]] = ()

    # -- writing -------------------------------------------------------------------------

    async def create(self, command: Command) -> E:
        """Builds the entity from its creation command, checks it and stores it."""
        require_command(self, command, self.command)
        async with self._uow_factory() as uow:
            entity = await self.add(uow, attributes_of(command))
            await uow.commit()
        return entity

    async def add(self, uow: UnitOfWork, values: Mapping[str, Any]) -> E:
        """Builds, checks and stores a new entity inside an open unit of work."""
        now = self._clock.now()
        entity = self.build({**values, "create_time": now, "update_time": now})
        await self.check(uow, entity)
        return await self.repo(uow).add(entity)

    async def change(self, entity_id: int, patch: Command) -> E:
        """Applies a partial change (``self.patch``) to one entity, checks the whole again, stores it."""
        require_command(self, patch, self.patch)
        async with self._uow_factory() as uow:
            current = await self.load(uow, entity_id)
            changed = await self.apply(uow, current, patch)
            await uow.commit()
        return changed

    async def apply(self, uow: UnitOfWork, current: E, patch: Command) -> E:
        """``change`` inside an open unit of work."""
        return await self.store_changes(uow, current, self.changes(current, patch))

    def changes(self, current: E, patch: Command) -> dict[str, Any]:
        """The attribute changes a partial change means; a subclass may translate (hash a password)."""
        return changes_of(patch)

    async def store_changes(self, uow: UnitOfWork, current: E, changes: Mapping[str, Any]) -> E:
        """Rebuilds the entity with the changes, checks the whole and stores it."""
        changed = self.rebuild(current, {**changes, "update_time": self._clock.now()})
        await self.check(uow, changed)
        await self.repo(uow).update(changed)
        return changed

    async def delete(self, entity_id: int) -> None:
        """Deletes one entity unless something still refers to it (409 naming what)."""
        async with self._uow_factory() as uow:
            await self.load(uow, entity_id)
            await self.ensure_unreferenced(uow, entity_id)
            await self.before_delete(uow, entity_id)
            await self.repo(uow).delete(entity_id)
            await uow.commit()

    # -- hooks and checks ----------------------------------------------------------------

    def build(self, values: Mapping[str, Any]) -> E:
        """Constructs the entity; a subclass may fill in defaults first."""
        raise NotImplementedError

    def rebuild(self, current: E, changes: Mapping[str, Any]) -> E:
        # replace() runs the entity's own validation again on the changed whole.
        """The entity with the changes applied (400 naming attributes it does not have)."""
        unknown = set(changes) - {f.name for f in dataclasses.fields(current)}
        if unknown:
            raise ValidationFailed([FieldError(name, "cannot be changed") for name in sorted(unknown)])
        return dataclasses.replace(current, **changes)

    async def before_delete(self, uow: UnitOfWork, entity_id: int) -> None:
        """Removes what belongs to the entity alone (memberships, links) before it goes."""

    async def check(self, uow: UnitOfWork, entity: E) -> None:
        """Every rule a stored entity must meet: references exist, unique fields are."""
        await self.ensure_references_exist(uow, entity)
        await self.ensure_unique(uow, entity)

    async def ensure_unique(self, uow: UnitOfWork, entity: E) -> None:
        """409 when another entity has the same value in a unique field (or set)."""
        repo = self.repo(uow)
        for rule in self.unique:
            values = [getattr(entity, field.name) for field in rule.fields]
            if any(v is None for v in values):
                continue
            criteria: list[Criterion] = [
                field.eq(value) for field, value in zip(rule.fields, values, strict=True)
            ]
            if entity.id is not None:
                criteria.append(self.fields.id.ne(entity.id))
            if await repo.count(*criteria):
                described = ", ".join(f"{f.name} {v!r}" for f, v in zip(rule.fields, values, strict=True))
                article = "an" if self.kind[0] in "aeiou" else "a"
                raise Conflict(f"{article} {self.kind} with {described} already exists")

    async def ensure_references_exist(self, uow: UnitOfWork, entity: E) -> None:
        """400 naming each reference that points at nothing."""
        await check_references(
            uow, self.must_exist, {ref.field: getattr(entity, ref.field) for ref in self.must_exist}
        )

    async def ensure_unreferenced(self, uow: UnitOfWork, entity_id: int) -> None:
        """409 when other entities still refer to this one, with their counts."""
        in_use: dict[str, int] = {}
        for ref in self.referenced_by:
            count = await ref.repository(uow).count(ref.field.eq(entity_id))
            if count:
                in_use[ref.label] = count
        if in_use:
            listed = ", ".join(f"{count} {label}" for label, count in in_use.items())
            raise Conflict(f"{self.kind} {entity_id} is still referenced by {listed}", references=in_use)
