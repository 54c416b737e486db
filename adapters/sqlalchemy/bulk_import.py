"""History import on PostgreSQL by COPY: ids reserved in one query, rows and history copied, the
statistics counters moved set-based (COPY into a temporary table, one INSERT … ON CONFLICT each),
all in the caller's transaction. Other databases take the repository's multi-row inserts.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy import stats
from adapters.sqlalchemy.communications import (
    _COLUMNS,
    _HISTORY,
    SqlCommunications,
    communication_history,
    communications,
)
from domain.communications import Communication
from domain.errors import Conflict


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


class SqlHistoryImport:
    """The HistoryWriter: past communications in bulk, with their history and counters."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._conn = connection

    async def write(self, items: Sequence[Communication]) -> None:
        if not items:
            return
        if self._conn.dialect.name != "postgresql":
            await SqlCommunications(self._conn).add_many(items)
            return
        found = await self._conn.execute(
            sa.text(
                "SELECT nextval(pg_get_serial_sequence('communications', 'id')) FROM generate_series(1, :n)"
            ),
            {"n": len(items)},
        )
        for communication, (new_id,) in zip(items, found.all(), strict=True):
            communication.id = new_id
        pg = await stats.driver(self._conn)
        columns = ["id", *_COLUMNS]
        values = operator.attrgetter(*columns)
        # Only the enum columns need converting: index them once rather than testing every value.
        enums = [i for i, name in enumerate(columns) if isinstance(getattr(items[0], name), Enum)]
        enums += [i for i, name in enumerate(columns) if name == "delivery_status" and i not in enums]
        records = []
        for c in items:
            row = list(values(c))
            for i in enums:
                row[i] = _plain(row[i])
            records.append(tuple(row))
        try:
            await pg.copy_records_to_table(communications.name, records=records, columns=columns)
        except Exception as error:
            if type(error).__name__ == "UniqueViolationError":
                raise Conflict("a communication of the import was stored meanwhile; import again") from error
            raise
        await pg.copy_records_to_table(
            communication_history.name,
            records=[
                (c.id, *(getattr(entry, name) for name in _HISTORY)) for c in items for entry in c.history
            ],
            columns=["communication_id", *_HISTORY],
        )
        added = await stats.contributions(self._conn, items)
        await stats.copy_counters(self._conn, stats.table_deltas([], added))
