"""What the communication use cases need from storage, and from randomness."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from application.queries import Criterion, Query
from domain.communications import Communication, IdTranslation, StatusChange

# Fields a communication list may be sorted by. Only the ones that are never NULL can carry a
# keyset cursor: a cursor compares (value, id) pairs, and NULL compares with nothing.
SORTABLE: tuple[str, ...] = (
    "id",
    "create_time",
    "update_time",
    "scheduled_at",
    "started_at",
    "finished_at",
)
NOT_NULL_SORTABLE: frozenset[str] = frozenset({"id", "create_time", "update_time"})


def total_order(order_by: Sequence[str]) -> tuple[str, ...]:
    """``order_by`` with the id appended in the direction of the last key (the tie-breaker).

    Following the last key's direction lets one index on (…, create_time, id) serve both
    ``create_time`` and ``-create_time`` without a sort step.
    """
    names = tuple(order_by) or ("-create_time",)
    if "id" in {name.lstrip("-") for name in names}:
        return names
    return (*names, "-id" if names[-1].startswith("-") else "id")


@dataclass(frozen=True)
class Keyset:
    """Where the previous page ended: the sort value and id of its last row.

    The next page holds the rows that come after (value, id) in the query's order; the id
    breaks ties in the direction of the sort, so the order is total and pages never overlap.
    """

    value: object
    id: int


class CommunicationRepository(Protocol):
    """Storage of communications, their history and their ids in other systems.

    Communications come back with an empty ``history``: the stored one is read with
    ``history()``. Whatever a loaded communication appends to its history is written by
    ``update``, in the same transaction as the change itself. ``update`` accepts only
    communications added or loaded through the same unit of work.

    Criteria name entity attributes, plus the virtual ``client_group_id`` (the client is a
    member of the group). Lists are ordered by ``Query.order_by`` and then by id in the
    direction of the last sort key; NULLs sort last.
    """

    async def add(self, communication: Communication) -> Communication:
        """Stores a new communication with its history; sets and returns its id.

        Raises Conflict when the uuid is taken.
        """

    async def add_many(self, communications: Sequence[Communication]) -> list[Communication]:
        """Stores many new communications at once (sending, imports); sets their ids."""

    async def get(self, communication_id: int) -> Communication | None:
        """The stored one with this id, or None."""

    async def get_by_uuid(self, uuid: str) -> Communication | None:
        """The communication with this (canonical) uuid, or None."""

    async def update(self, communication: Communication) -> None:
        """Stores the changed entity."""

    async def update_many(self, communications: Sequence[Communication]) -> None:
        """``update`` for a batch: one round trip per table instead of one per row."""

    async def delete(self, communication_id: int) -> None:
        """Removes the communication with its history and id translations."""

    async def find(self, query: Query, after: Keyset | None = None) -> list[Communication]:
        """What meets the query, in its order and page."""

    async def count(self, *criteria: Criterion) -> int:
        """How many meet every criterion."""

    async def history(self, communication_id: int) -> list[StatusChange]:
        """Every recorded change, oldest first."""

    async def add_translation(self, translation: IdTranslation) -> IdTranslation:
        """Links a communication to its id in another system; Conflict when either side is taken."""

    async def find_translations(self, query: Query) -> list[IdTranslation]:
        """Criteria on ``communication_id``, ``system`` and ``external_id``."""

    async def count_translations(self, *criteria: Criterion) -> int:
        """How many id translations meet every criterion."""


class UuidGenerator(Protocol):
    """Makes new communication uuids (random in production, predictable in tests)."""

    def __call__(self) -> str:
        """A new random UUID in canonical form (lowercase, with dashes)."""
