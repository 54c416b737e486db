"""decisions: the statistics counters kept with the writes of communications

Revision ID: 0004_decisions
Revises: 0003_login_collisions
Create Date: 2026-12-01 10:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_decisions"
down_revision: str | None = "0003_login_collisions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _counters() -> list[sa.Column[object]]:
    return [
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("delivered", sa.Integer(), nullable=False),
        sa.Column("responses", sa.Integer(), nullable=False),
        sa.Column("w_attempts", sa.Float(), nullable=False),
        sa.Column("w_delivered", sa.Float(), nullable=False),
        sa.Column("w_responses", sa.Float(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "stats_client_slots",
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("type_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("hour", sa.SmallInteger(), nullable=False),
        *_counters(),
        sa.PrimaryKeyConstraint(
            "client_id", "channel_id", "type_id", "weekday", "hour", name=op.f("pk_stats_client_slots")
        ),
    )
    op.create_table(
        "stats_daily_slots",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("type_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("hour", sa.SmallInteger(), nullable=False),
        *_counters(),
        sa.PrimaryKeyConstraint(
            "day", "channel_id", "type_id", "weekday", "hour", name=op.f("pk_stats_daily_slots")
        ),
    )


def downgrade() -> None:
    op.drop_table("stats_daily_slots")
    op.drop_table("stats_client_slots")
