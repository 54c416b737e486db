"""webhook subscription secrets are kept sealed: a sealed secret is longer than 255 characters

Revision ID: 0020_webhook_secret_text
Revises: 0019_stats_slots
Create Date: 2026-12-01 17:00:00

The secrets themselves are sealed at the next start (``seal_kept_secrets``): a migration has no key.
SQLite does not hold a VARCHAR to its length, so only PostgreSQL's column changes type.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_webhook_secret_text"
down_revision: str | None = "0019_stats_slots"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("webhook_subscriptions", "secret", type_=sa.Text(), existing_nullable=False)


def downgrade() -> None:
    # Sealed secrets do not fit the old column: a downgrade keeps the wider one.
    pass
