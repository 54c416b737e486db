"""decision outcomes: ended auto decisions summed by client, type, channel, department, employee, local day and mode

Revision ID: 0021_decision_outcomes
Revises: 0020_webhook_secret_text
Create Date: 2026-12-01 16:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021_decision_outcomes"
down_revision: str | None = "0020_webhook_secret_text"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "decision_outcomes",
        *(
            sa.Column(name, sa.Integer(), primary_key=True, autoincrement=False)
            for name in ("client_id", "type_id", "channel_id", "department_id", "employee_id")
        ),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("mode", sa.String(16), primary_key=True),
        sa.Column("outcomes", sa.Integer(), nullable=False),
        sa.Column("logged", sa.Integer(), nullable=False),
        *(
            sa.Column(name, sa.Float(), nullable=False)
            for name in ("rewards", "inverse", "inverse_squares", "robust", "robust_squares")
        ),
    )
    # Decisions logged before this migration count after `switchboard rebuild-stats`.


def downgrade() -> None:
    op.drop_table("decision_outcomes")
