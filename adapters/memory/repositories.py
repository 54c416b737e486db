"""Repositories over dictionaries. Entities go in and come out as deep copies, like rows."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Generic, TypeVar

from adapters.memory.matching import RelationTest, matches, select
from application.queries import Criterion, Query
from domain.entity import Entity
from domain.errors import NotFound

E = TypeVar("E", bound=Entity)


class Table(Generic[E]):
    """One kind's rows and its id sequence; the unit of work copies it to isolate a transaction."""

    def __init__(self) -> None:
        self.rows: dict[int, E] = {}
        self.next_id = 1

    def copy(self) -> Table[E]:
        clone: Table[E] = Table()
        clone.rows = dict(self.rows)
        clone.next_id = self.next_id
        return clone


class MemoryRepository(Generic[E]):
    def __init__(
        self, table: Table[E], kind: str, relations: Mapping[str, RelationTest] | None = None
    ) -> None:
        self._table = table
        self._kind = kind
        self._relations = relations or {}

    async def add(self, entity: E) -> E:
        entity.id = self._table.next_id
        self._table.next_id += 1
        self._table.rows[entity.id] = copy.deepcopy(entity)
        return entity

    async def get(self, entity_id: int) -> E | None:
        found = self._table.rows.get(entity_id)
        return copy.deepcopy(found) if found is not None else None

    async def get_many(self, ids: Iterable[int]) -> dict[int, E]:
        rows = self._table.rows
        return {i: copy.deepcopy(rows[i]) for i in set(ids) if i in rows}

    async def update(self, entity: E) -> None:
        if entity.id not in self._table.rows:
            raise NotFound(self._kind, entity.id)
        self._table.rows[entity.id] = copy.deepcopy(entity)

    async def delete(self, entity_id: int) -> None:
        self._table.rows.pop(entity_id, None)

    async def find(self, query: Query) -> list[E]:
        return [copy.deepcopy(e) for e in select(self._table.rows.values(), query, self._relations)]

    async def first(self, *criteria: Criterion) -> E | None:
        found = await self.find(Query(criteria, limit=1))
        return found[0] if found else None

    async def count(self, *criteria: Criterion) -> int:
        return sum(
            1 for e in self._table.rows.values() if all(matches(e, c, self._relations) for c in criteria)
        )
