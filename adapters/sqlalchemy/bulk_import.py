"""History import on PostgreSQL: ids reserved in one query, the rows copied (COPY), then their
history (one row each) and their statistics counters (one statement) written set-based from the
copied rows, all in the caller's transaction. Other databases take the repository's multi-row
inserts.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy import stats
from adapters.sqlalchemy.bulk import take_ids
from adapters.sqlalchemy.communications import _COLUMNS, IMPORTED_ENTRY, SqlCommunications, communications
from domain.communications import Communication
from domain.errors import Conflict

_IMPORTED = "c.id = ANY(CAST(:ids AS BIGINT[]))"

# One history row per communication, not the three or four entries of `imported_changes`: they
# follow from it and from the row's create_time, and SqlCommunications.history gives them back.
_HISTORY_OF_IMPORTED = sa.text(
    f"""
INSERT INTO communication_history (communication_id, field, from_status, to_status, at, actor)
SELECT c.id, '{IMPORTED_ENTRY}', c.delivery_status, c.status, c.update_time, CAST(:actor AS VARCHAR)
FROM communications c
WHERE {_IMPORTED}
ORDER BY c.id
"""
)


class SqlHistoryImport:
    """The HistoryWriter: past communications in bulk, with their history and counters."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._conn = connection

    async def write(self, items: Sequence[Communication], actor: str | None) -> None:
        if not items:
            return
        if self._conn.dialect.name != "postgresql":
            for communication in items:
                communication.history = communication.imported_history(actor)
            await SqlCommunications(self._conn).add_many(items)
            return
        ids = await take_ids(self._conn, communications, len(items))
        for communication, new_id in zip(items, ids, strict=True):
            communication.id = new_id
        pg = await stats.driver(self._conn)
        try:
            await pg.copy_records_to_table(communications.name, records=_records(items), columns=_COPIED)
        except Exception as error:
            if type(error).__name__ == "UniqueViolationError":
                raise Conflict("a communication of the import was stored meanwhile; import again") from error
            raise
        await self._conn.execute(_HISTORY_OF_IMPORTED, {"ids": ids, "actor": actor})
        await stats.count_imported(self._conn, _IMPORTED, {"ids": ids})


_COPIED = ["id", *_COLUMNS]
_ENUMS = ("direction", "kind", "status", "delivery_status")


def _records(items: Sequence[Communication]) -> list[tuple[Any, ...]]:
    """COPY records: the columns in order, enums as their plain values (what the driver encodes)."""
    values = operator.attrgetter(*_COPIED)
    enums = [_COPIED.index(name) for name in _ENUMS]
    records = []
    for communication in items:
        row = list(values(communication))
        for i in enums:
            value = row[i]
            if isinstance(value, Enum):
                row[i] = value.value
        records.append(tuple(row))
    return records
