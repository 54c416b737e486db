"""channel fallback: a send keeps its channel list, a communication names the one it follows up

Revision ID: 0014_fallback
Revises: 0013_mailing_auto
Create Date: 2026-12-01 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_fallback"
down_revision: str | None = "0013_mailing_auto"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sends") as batch_op:
        batch_op.add_column(sa.Column("channel_ids", sa.JSON(), server_default="[]", nullable=False))
    with op.batch_alter_table("communications") as batch_op:
        batch_op.add_column(
            sa.Column("fallback_of", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_communications_fallback_of"), ["fallback_of"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("communications") as batch_op:
        batch_op.drop_index(batch_op.f("ix_communications_fallback_of"))
        batch_op.drop_column("fallback_of")
    with op.batch_alter_table("sends") as batch_op:
        batch_op.drop_column("channel_ids")
