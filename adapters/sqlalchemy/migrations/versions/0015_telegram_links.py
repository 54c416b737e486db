"""telegram links

Revision ID: 0015_telegram_links
Revises: 0014_fallback
Create Date: 2026-12-01 14:05:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_telegram_links"
down_revision: str | None = "0014_fallback"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "telegram_links",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=True),
        sa.Column("chat_id", sa.String(length=32), nullable=True),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("update_time", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_id"),
        sa.UniqueConstraint("code"),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_telegram_links_chat_id"), "telegram_links", ["chat_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_telegram_links_chat_id"), table_name="telegram_links")
    op.drop_table("telegram_links")
