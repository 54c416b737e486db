"""stats slots: everybody's counters, all time; SQLite keeps the read-by-range counters by key

Revision ID: 0019_stats_slots
Revises: 0018_send_completion
Create Date: 2026-12-01 15:45:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0019_stats_slots"
down_revision: str | None = "0018_send_completion"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SLOT_TYPES = {
    "channel_id": sa.Integer(),
    "type_id": sa.Integer(),
    "weekday": sa.SmallInteger(),
    "hour": sa.SmallInteger(),
}
_SLOT = tuple(_SLOT_TYPES)
_COUNTED = ("attempts", "delivered", "responses", "w_attempts", "w_delivered", "w_responses")
# The counters read by a range of their key (a period of days, a group's clients); on SQLite they
# become WITHOUT ROWID tables, stored in key order, so the range is read in one pass instead of an
# index walk plus a table lookup per row.
_CLUSTERED = {
    "stats_daily_slots": (("day", sa.Date()),),
    "stats_client_slots": (("client_id", sa.Integer()),),
}


def _table(name: str, first: tuple[tuple[str, Any], ...], *, rowid: bool) -> None:
    op.create_table(
        name,
        *(sa.Column(column, kind, nullable=False) for column, kind in first),
        *(sa.Column(column, kind, nullable=False) for column, kind in _SLOT_TYPES.items()),
        *(sa.Column(column, sa.Integer(), nullable=False) for column in _COUNTED[:3]),
        *(sa.Column(column, sa.Float(), nullable=False) for column in _COUNTED[3:]),
        sa.PrimaryKeyConstraint(*(c for c, _ in first), *_SLOT, name=op.f(f"pk_{name}")),
        sqlite_with_rowid=rowid,
    )


def _reclustered(rowid: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name, first in _CLUSTERED.items():
        op.rename_table(name, f"{name}_old")
        _table(name, first, rowid=rowid)
        op.execute(f"INSERT INTO {name} SELECT * FROM {name}_old")
        op.drop_table(f"{name}_old")


def upgrade() -> None:
    _table("stats_slots", (), rowid=False)
    # The per-day counters already hold everybody's figures: their sums start the new table.
    key, counted = ", ".join(_SLOT), ", ".join(_COUNTED)
    sums = ", ".join(f"sum({name})" for name in _COUNTED)
    op.execute(
        f"INSERT INTO stats_slots ({key}, {counted}) "
        f"SELECT {key}, {sums} FROM stats_daily_slots GROUP BY {key} HAVING sum(attempts) != 0"
    )
    _reclustered(rowid=False)


def downgrade() -> None:
    _reclustered(rowid=True)
    op.drop_table("stats_slots")
