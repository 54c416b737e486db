"""One generic repository over a table; relations (links, lookup indexes) are declared, not coded."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy.bulk import among
from adapters.sqlalchemy.fastpath import insert_returning_id, plainly_bound, row_by, row_by_id
from adapters.sqlalchemy.filters import RelationFilter, ordering, unstorable, where
from application.queries import Condition, Criterion, Op, Query
from domain.entity import Entity
from domain.errors import Conflict, FieldError, NotFound, ValidationFailed

E = TypeVar("E", bound=Entity)

MAX_ROWS = 2**63 - 1
"""LIMIT and OFFSET are 64-bit in SQL; a page beyond that is empty anyway."""


@dataclass(frozen=True)
class Link:
    """A list attribute kept in a link table: ``owner`` column -> the entity, ``value`` -> the list item.

    ``loaded`` False means the attribute also lives in the entity's own row (JSON, keeping order),
    and the link table is only an index for lookups.
    """

    attribute: str
    table: sa.Table
    owner: str
    value: str
    loaded: bool = True


_COLUMNS: dict[tuple[str, str], tuple[str, ...]] = {}


def columns_of(entity: type[Entity], table: sa.Table) -> tuple[str, ...]:
    """The entity's attributes that are columns of its table (computed once per pair)."""
    key = (entity.__qualname__, table.name)
    if key not in _COLUMNS:
        _COLUMNS[key] = tuple(f.name for f in fields(entity) if f.name in table.c and f.name != "id")
    return _COLUMNS[key]


_COLUMN_OBJECTS: dict[tuple[str, str], tuple[tuple[str, sa.Column[Any]], ...]] = {}


def column_objects_of(entity: type[Entity], table: sa.Table) -> tuple[tuple[str, sa.Column[Any]], ...]:
    """``columns_of`` with each column itself: ``table.c[name]`` costs more than a write's checks."""
    key = (entity.__qualname__, table.name)
    if key not in _COLUMN_OBJECTS:
        _COLUMN_OBJECTS[key] = tuple((name, table.c[name]) for name in columns_of(entity, table))
    return _COLUMN_OBJECTS[key]


_LIMITS: dict[tuple[str, str], tuple[tuple[str, sa.Column[Any], int | None], ...]] = {}


def limits_of(entity: type[Entity], table: sa.Table) -> tuple[tuple[str, sa.Column[Any], int | None], ...]:
    """``column_objects_of`` with each column's text length limit (None without one)."""
    key = (entity.__qualname__, table.name)
    if key not in _LIMITS:
        _LIMITS[key] = tuple(
            (
                name,
                column,
                length if isinstance(length := getattr(column.type, "length", None), int) else None,
            )
            for name, column in column_objects_of(entity, table)
        )
    return _LIMITS[key]


ROW_ID = "row_id_"
"""Name of the id parameter in the shared statements; no column is called that."""


@dataclass(frozen=True)
class Statements:
    insert: sa.Insert
    update: sa.Update
    delete: sa.Delete


_STATEMENTS: dict[str, Statements] = {}


def statements(table: sa.Table) -> Statements:
    """Built once per table and run with parameters, so SQLAlchemy compiles each shape only once."""
    if table.name not in _STATEMENTS:
        _STATEMENTS[table.name] = Statements(
            insert=table.insert().returning(table.c.id),
            update=table.update().where(table.c.id == sa.bindparam(ROW_ID)),
            delete=table.delete().where(table.c.id == sa.bindparam(ROW_ID)),
        )
    return _STATEMENTS[table.name]


class SqlRepository(Generic[E]):
    def __init__(
        self,
        connection: AsyncConnection,
        table: sa.Table,
        entity: type[E],
        kind: str,
        links: Sequence[Link] = (),
        relations: Mapping[str, RelationFilter] | None = None,
    ) -> None:
        self._conn = connection
        self._table = table
        self._entity = entity
        self._kind = kind
        self._links = links
        self._relations = relations or {}
        self._columns = columns_of(entity, table)
        self._limits = limits_of(entity, table)

    # -- writing ---------------------------------------------------------------------------

    async def add(self, entity: E) -> E:
        self._refuse_unstorable(entity)
        values = self._row_values(entity)
        async with self._integrity():
            insert = statements(self._table).insert
            entity.id = await insert_returning_id(self._conn, self._table, values, insert)
            await self._write_links(entity, replace=False)
        return entity

    async def update(self, entity: E) -> None:
        self._refuse_unstorable(entity)
        values = self._row_values(entity)
        async with self._integrity():
            result = await self._conn.execute(statements(self._table).update, {**values, ROW_ID: entity.id})
            if result.rowcount == 0:
                raise NotFound(self._kind, entity.id)
            await self._write_links(entity, replace=True)

    async def delete(self, entity_id: int) -> None:
        async with self._integrity():
            await self._conn.execute(statements(self._table).delete, {ROW_ID: entity_id})

    # -- reading ---------------------------------------------------------------------------

    async def get(self, entity_id: int) -> E | None:
        if unstorable(self._table.c.id, entity_id):
            return None
        row = await row_by_id(self._conn, self._table, entity_id)
        if row is None:
            return None
        return self._hydrate(row, await self._read_links([entity_id]))

    async def get_many(self, ids: Iterable[int]) -> dict[int, E]:
        wanted = [i for i in set(ids) if not unstorable(self._table.c.id, i)]
        if not wanted:
            return {}
        if len(wanted) == 1:  # a single send's client and channel: the primary-key read on the driver
            found_one = await self.get(wanted[0])
            return {} if found_one is None else {wanted[0]: found_one}
        statement = sa.select(self._table).where(among(self._table.c.id, wanted, self._conn.dialect))
        found = await self._load(statement)
        return {e.id: e for e in found if e.id is not None}

    async def find(self, query: Query) -> list[E]:
        statement = (
            sa.select(self._table)
            .where(*self._where(query.criteria))
            .order_by(*ordering(self._table, query.order_by))
            .limit(min(query.limit, MAX_ROWS))
            .offset(min(query.offset, MAX_ROWS))
        )
        return await self._load(statement)

    async def first(self, *criteria: Criterion) -> E | None:
        column = self._plain_equality(criteria)
        if column is not None:  # one column equal to a value (a client's link): straight to the driver
            assert isinstance(criteria[0], Condition)
            row = await row_by(self._conn, self._table, column, criteria[0].value)
            return None if row is None else self._hydrate(row, await self._read_links([row["id"]]))
        found = await self.find(Query(criteria, limit=1))
        return found[0] if found else None

    def _plain_equality(self, criteria: tuple[Criterion, ...]) -> str | None:
        if len(criteria) != 1 or not isinstance(criteria[0], Condition) or criteria[0].op is not Op.EQ:
            return None
        name, value = criteria[0].field.name, criteria[0].value
        if name in self._relations or name not in self._table.c:
            return None
        column = self._table.c[name]
        if unstorable(column, value) or not plainly_bound(column, value, self._conn.dialect):
            return None
        return name

    async def count(self, *criteria: Criterion) -> int:
        statement = sa.select(sa.func.count()).select_from(self._table).where(*self._where(criteria))
        return int((await self._conn.execute(statement)).scalar_one())

    # -- internals -------------------------------------------------------------------------

    def _row_values(self, entity: E) -> dict[str, Any]:
        """The row's column values of the entity; a subclass may transform some (seal a secret)."""
        return {name: getattr(entity, name) for name in self._columns}

    def _refuse_unstorable(self, entity: E) -> None:
        """A value the database cannot hold (too long, NUL, out of range) is the caller's error, not ours."""
        problems: list[FieldError] = []
        for name, column, length in self._limits:
            value = getattr(entity, name)
            # Only text and integers can be beyond a column (``unstorable``, which says why); text
            # of a column without a length, NUL-free, is asked nothing, as most of a row's text is.
            kind = type(value)
            if kind is str:
                if "\x00" not in value and (length is None or len(value) <= length):
                    continue
            elif kind is bool or not isinstance(value, int):
                continue
            reason = unstorable(column, value)
            if reason:
                problems.append(FieldError(name, reason))
        for link in self._links:
            column = link.table.c[link.value]
            reasons = (unstorable(column, v) for v in getattr(entity, link.attribute))
            reason = next(filter(None, reasons), None)
            if reason:
                problems.append(FieldError(link.attribute, reason))
        if problems:
            raise ValidationFailed(problems)

    def _where(self, criteria: Iterable[Criterion]) -> list[sa.ColumnElement[bool]]:
        return [where(self._table, c, self._relations) for c in criteria]

    async def _load(self, statement: sa.Select[Any]) -> list[E]:
        rows = (await self._conn.execute(statement)).mappings().all()
        linked = await self._read_links([row["id"] for row in rows])
        return [self._hydrate(row, linked) for row in rows]

    def _hydrate(self, row: Mapping[str, Any], linked: dict[str, dict[int, list[Any]]]) -> E:
        # Stored rows were valid when written: rebuild without re-running today's validation,
        # so that a tightened rule never makes old data unreadable.
        entity = self._entity.__new__(self._entity)
        entity.__dict__.update({name: row[name] for name in ("id", *self._columns)})
        for link in self._links:
            if link.loaded:
                entity.__dict__[link.attribute] = linked[link.attribute].get(row["id"], [])
        return entity

    async def _read_links(self, ids: list[int]) -> dict[str, dict[int, list[Any]]]:
        linked: dict[str, dict[int, list[Any]]] = {}
        for link in self._links:
            if not link.loaded or not ids:
                linked[link.attribute] = {}
                continue
            owner, value = link.table.c[link.owner], link.table.c[link.value]
            rows = await self._conn.execute(
                sa.select(owner, value).where(among(owner, ids, self._conn.dialect)).order_by(owner, value)
            )
            by_owner: dict[int, list[Any]] = defaultdict(list)
            for owner_id, item in rows:
                by_owner[owner_id].append(item)
            linked[link.attribute] = by_owner
        return linked

    async def _write_links(self, entity: E, *, replace: bool) -> None:
        for link in self._links:
            if replace:
                owner = link.table.c[link.owner]
                await self._conn.execute(link.table.delete().where(owner == entity.id))
            items = list(dict.fromkeys(getattr(entity, link.attribute)))
            if items:
                await self._conn.execute(
                    link.table.insert(), [{link.owner: entity.id, link.value: item} for item in items]
                )

    def _integrity(self) -> _IntegrityGuard:
        return _IntegrityGuard(self._kind)


class _IntegrityGuard:
    """Turns a constraint the database caught (a race past the use case's checks) into a Conflict."""

    def __init__(self, kind: str) -> None:
        self._kind = kind

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, exc_type: object, exc: BaseException | None, tb: object) -> bool:
        if isinstance(exc, IntegrityError):
            raise Conflict(f"the {self._kind} conflicts with stored data: {_constraint(exc)}") from exc
        return False


def _constraint(error: IntegrityError) -> str:
    text = str(error.orig).splitlines()[0] if error.orig is not None else "constraint violated"
    return text[:200]
