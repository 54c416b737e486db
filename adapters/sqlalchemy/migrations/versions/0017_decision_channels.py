"""decision channels: an auto decision keeps the channels its send tries, in order (the fallback's list)

Revision ID: 0017_decision_channels
Revises: 0016_webpush_provider
Create Date: 2026-12-01 16:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_decision_channels"
down_revision: str | None = "0016_webpush_provider"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("communication_decisions") as batch_op:
        batch_op.add_column(sa.Column("channel_ids", sa.JSON(), server_default="[]", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("communication_decisions") as batch_op:
        batch_op.drop_column("channel_ids")
