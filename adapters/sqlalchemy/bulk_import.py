"""History import on PostgreSQL: ids reserved in one query, the rows copied (COPY) as the use case
builds them, then their history (one row each) and their statistics counters (one statement)
written set-based from the copied rows, all in the caller's transaction. SQLite takes the
repository's multi-row inserts and the same one history row each. The references an import names
are checked ids only, one query per kind, on every database.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Iterator
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy import stats
from adapters.sqlalchemy.bulk import among, insert_rows, take_ids
from adapters.sqlalchemy.communications import (
    _COLUMNS,
    IMPORTED_ENTRY,
    SqlCommunications,
    communication_history,
    communications,
)
from adapters.sqlalchemy.filters import unstorable
from adapters.sqlalchemy.tables import (
    channels,
    clients,
    communication_types,
    departments,
    employees,
    projects,
)
from application.decisions.ports import ImportReferences, StoredReferences
from domain.communications import Communication
from domain.errors import Conflict

# One history row per communication, not the three or four entries of `imported_changes`: they
# follow from it and from the row's create_time, and SqlCommunications.history gives them back.
_HISTORY_COLUMNS = ("communication_id", "field", "from_status", "to_status", "at", "actor")
_HISTORY_OF_IMPORTED = sa.text(
    f"""
INSERT INTO communication_history (communication_id, field, from_status, to_status, at, actor)
SELECT c.id, '{IMPORTED_ENTRY}', c.delivery_status, c.status, c.update_time, CAST(:actor AS VARCHAR)
FROM {stats.OF_IDS}
ORDER BY c.id
"""
)

_NO_JIT = sa.text("SET LOCAL jit = off")


class SqlHistoryImport:
    """The HistoryWriter: past communications in bulk, with their history and counters."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._conn = connection

    async def stored(self, asked: ImportReferences) -> StoredReferences:
        return StoredReferences(
            type_ids=frozenset(await self._among(communication_types.c.id, asked.type_ids)),
            channel_ids=frozenset(await self._among(channels.c.id, asked.channel_ids)),
            employee_ids=frozenset(await self._among(employees.c.id, asked.employee_ids)),
            department_ids=frozenset(await self._among(departments.c.id, asked.department_ids)),
            client_ids=frozenset(await self._among(clients.c.id, asked.client_ids)),
            client_by_key=await self._clients_by_key(asked.client_keys),
            uuids=frozenset(await self._among(communications.c.uuid, asked.uuids)),
        )

    async def _among(self, column: sa.Column[Any], wanted: Iterable[Any]) -> list[Any]:
        """The values of ``wanted`` that ``column`` holds (one that it cannot hold is not there)."""
        given = sorted(v for v in wanted if unstorable(column, v) is None)
        if not given:
            return []
        statement = sa.select(column).where(among(column, given, self._conn.dialect))
        return list((await self._conn.execute(statement)).scalars())

    async def _clients_by_key(self, keys: frozenset[tuple[str, str]]) -> dict[tuple[str, str], int]:
        codes = [c for c in {code for code, _ in keys} if unstorable(projects.c.code, c) is None]
        guids = [g for g in {guid for _, guid in keys} if unstorable(clients.c.guid, g) is None]
        if not codes or not guids:
            return {}
        dialect = self._conn.dialect
        statement = (
            sa.select(projects.c.code, clients.c.guid, clients.c.id)
            .join(projects, projects.c.id == clients.c.project_id)
            .where(among(projects.c.code, codes, dialect), among(clients.c.guid, guids, dialect))
        )
        found = {(code, guid): client_id for code, guid, client_id in await self._conn.execute(statement)}
        return {key: found[key] for key in keys if key in found}

    async def write(self, items: Iterable[Communication], actor: str | None, at_most: int) -> int:
        if self._conn.dialect.name != "postgresql":
            listed = list(items)
            await SqlCommunications(self._conn).add_many(listed)  # their history empty: below
            await insert_rows(
                self._conn,
                communication_history,
                _HISTORY_COLUMNS,
                (
                    (c.id, IMPORTED_ENTRY, _plain(c.delivery_status), c.status.value, c.update_time, actor)
                    for c in listed
                ),
            )
            return len(listed)
        # No JIT for this transaction's statements: the counters' statement is estimated near
        # PostgreSQL's jit_above_cost (~89,000 for 10,000 rows), and past it compiling took 260 ms
        # against its ~200 ms of work; the import's other statements gain nothing from it either.
        await self._conn.execute(_NO_JIT)
        ids = await take_ids(self._conn, communications, at_most)
        taken: list[Communication] = []
        pg = await stats.driver(self._conn)
        try:
            # The records are made as the driver sends them, a buffer at a time: the database
            # stores the first rows while the next ones are validated and built.
            await pg.copy_records_to_table(
                communications.name, records=_records(items, ids, taken), columns=_COPIED
            )
        except Exception as error:
            if type(error).__name__ == "UniqueViolationError":
                raise Conflict("a communication of the import was stored meanwhile; import again") from error
            raise
        if not taken:
            return 0
        used = ids[: len(taken)]
        await self._conn.execute(_HISTORY_OF_IMPORTED, {"ids": used, "actor": actor})
        await stats.count_imported(self._conn, used)
        return len(taken)


def _plain(value: Enum | None) -> Any:
    return None if value is None else value.value


_COPIED = ["id", *_COLUMNS]
_VALUES = operator.attrgetter(*_COPIED)


def _records(
    items: Iterable[Communication], ids: list[int], taken: list[Communication]
) -> Iterator[tuple[Any, ...]]:
    """COPY records, each communication given the next reserved id (and kept in ``taken``): the
    columns in order. The enums go as they are: they are ``StrEnum``s, which the driver's text
    encoder takes as the strings they are (their values)."""
    for index, communication in enumerate(items):
        if index == len(ids):
            raise ValueError(f"more communications than the {len(ids)} announced")
        communication.id = ids[index]
        taken.append(communication)
        yield _VALUES(communication)
