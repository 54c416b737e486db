"""telephony inbox: the PBX's events kept before the webhook answers, applied by the worker

Revision ID: 0008_telephony_inbox
Revises: 0007_mailings
Create Date: 2026-12-01 12:50:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_telephony_inbox"
down_revision: str | None = "0007_mailings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pbx_event_inbox",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("event", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pbx_event_inbox")),
    )


def downgrade() -> None:
    op.drop_table("pbx_event_inbox")
