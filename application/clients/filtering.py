"""Catalogs whose list filters need the use case: a value to normalise, a name to look up, a clock.

The HTTP edge turns query parameters into plain conditions; a condition on a ``Derived`` field (one
the entity does not have, such as a client's ``project`` given by code), or on a field whose value
needs normalising first, is rewritten here, inside the use case that knows how, before storage sees it.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, TypeVar

from application.managed_entities import Catalog, Reading
from application.ports import UnitOfWork
from application.queries import AnyOf, Condition, Criterion, Field, Page, Query
from domain.entity import Entity

E = TypeVar("E", bound=Entity)


class FilteredReading(Reading[E]):
    """Reading whose list filters the use case resolves before storage sees them."""

    resolved_fields: ClassVar[tuple[Field[Any], ...]] = ()
    """Condition fields that ``resolve`` rewrites."""

    async def list(self, query: Query, text: str | None = None) -> Page[E]:
        """One page of the entities that meet the filters and the free text."""
        if any(isinstance(c, Condition) and c.field in self.resolved_fields for c in query.criteria):
            async with self._uow_factory(read_only=True) as uow:
                criteria = [await self._resolve_any(uow, c) for c in query.criteria]
            query = dataclasses.replace(query, criteria=tuple(criteria))
        return await super().list(query, text)

    async def _resolve_any(self, uow: UnitOfWork, criterion: Criterion) -> Criterion:
        if isinstance(criterion, Condition) and criterion.field in self.resolved_fields:
            return await self.resolve(uow, criterion)
        return criterion

    async def resolve(self, uow: UnitOfWork, condition: Condition) -> Condition | AnyOf:
        """The storage condition a resolved field's condition means."""
        raise NotImplementedError


class FilteredCatalog(FilteredReading[E], Catalog[E]):
    """A plain catalog whose list filters its use case resolves (clients by project code)."""
