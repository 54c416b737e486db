"""stats slots: everybody's counters, all time

Revision ID: 0016_stats_slots
Revises: 0015_telegram_links
Create Date: 2026-12-01 15:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_stats_slots"
down_revision: str | None = "0015_telegram_links"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEY = ("channel_id", "type_id", "weekday", "hour")
_COUNTED = ("attempts", "delivered", "responses", "w_attempts", "w_delivered", "w_responses")


def upgrade() -> None:
    op.create_table(
        "stats_slots",
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("type_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("hour", sa.SmallInteger(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("delivered", sa.Integer(), nullable=False),
        sa.Column("responses", sa.Integer(), nullable=False),
        sa.Column("w_attempts", sa.Float(), nullable=False),
        sa.Column("w_delivered", sa.Float(), nullable=False),
        sa.Column("w_responses", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint(*_KEY, name=op.f("pk_stats_slots")),
    )
    # The per-day counters already hold everybody's figures: their sums start the new table.
    key, counted = ", ".join(_KEY), ", ".join(_COUNTED)
    sums = ", ".join(f"sum({name})" for name in _COUNTED)
    op.execute(
        f"INSERT INTO stats_slots ({key}, {counted}) "
        f"SELECT {key}, {sums} FROM stats_daily_slots GROUP BY {key} HAVING sum(attempts) != 0"
    )


def downgrade() -> None:
    op.drop_table("stats_slots")
