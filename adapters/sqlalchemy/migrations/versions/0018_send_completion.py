"""sends count their open communications (send.completed); webhook deliveries carry a lease

Revision ID: 0018_send_completion
Revises: 0017_decision_channels
Create Date: 2026-12-01 16:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_send_completion"
down_revision: str | None = "0017_decision_channels"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sends") as batch_op:
        batch_op.add_column(sa.Column("open_count", sa.Integer(), server_default="0", nullable=False))
    # Sends already stored: their communications not yet in a final state.
    op.execute(
        "UPDATE sends SET open_count = ("
        "SELECT count(*) FROM dispatch_queue q JOIN communications c ON c.id = q.communication_id "
        "WHERE q.send_id = sends.id AND c.status NOT IN ('done', 'failed', 'cancelled'))"
    )
    with op.batch_alter_table("webhook_deliveries") as batch_op:
        batch_op.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("lease_owner", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("webhook_deliveries") as batch_op:
        batch_op.drop_column("lease_owner")
        batch_op.drop_column("lease_until")
    with op.batch_alter_table("sends") as batch_op:
        batch_op.drop_column("open_count")
