"""History import on PostgreSQL: ids reserved in one query, the rows copied (COPY), then their
history and their statistics counters written set-based from the copied rows, all in the caller's
transaction. Other databases take the repository's multi-row inserts.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy import stats
from adapters.sqlalchemy.communications import _COLUMNS, SqlCommunications, communications
from domain.communications import IMPORTED_AS_FAILED, Communication, LifecycleStatus
from domain.errors import Conflict

_IMPORTED = "c.id = ANY(CAST(:ids AS BIGINT[]))"

_CREATED, _IN_PROGRESS = LifecycleStatus.CREATED.value, LifecycleStatus.IN_PROGRESS.value
_CANCELLED, _FAILED = LifecycleStatus.CANCELLED.value, LifecycleStatus.FAILED.value

# Communication.imported_history, row by row in SQL: opened and started (unless cancelled) when it
# began (create_time), its delivery and its end when it ended (update_time). The entries of one
# communication keep their order (ids are given in the ORDER BY's order).
_HISTORY_OF_IMPORTED = sa.text(
    f"""
INSERT INTO communication_history (communication_id, field, from_status, to_status, at, actor, note)
SELECT c.id, e.field, e.from_status, e.to_status, e.at, CAST(:actor AS VARCHAR), e.note
FROM communications c
CROSS JOIN LATERAL (VALUES
    (1, 'status', NULL, '{_CREATED}', c.create_time, NULL),
    (2, CASE WHEN c.status <> '{_CANCELLED}' THEN 'status' END, '{_CREATED}', '{_IN_PROGRESS}',
        c.create_time, NULL),
    (3, CASE WHEN c.delivery_status IS NOT NULL THEN 'delivery_status' END, NULL, c.delivery_status,
        c.update_time, NULL),
    (4, 'status', CASE WHEN c.status = '{_CANCELLED}' THEN '{_CREATED}' ELSE '{_IN_PROGRESS}' END,
        c.status, c.update_time, CASE WHEN c.status = '{_FAILED}' THEN '{IMPORTED_AS_FAILED}' END)
) AS e(step, field, from_status, to_status, at, note)
WHERE {_IMPORTED} AND e.field IS NOT NULL
ORDER BY c.id, e.step
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
        found = await self._conn.execute(
            sa.text(
                "SELECT nextval(pg_get_serial_sequence('communications', 'id')) FROM generate_series(1, :n)"
            ),
            {"n": len(items)},
        )
        ids = [new_id for (new_id,) in found.all()]
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
        await stats.count_stored(self._conn, _IMPORTED, {"ids": ids})


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
