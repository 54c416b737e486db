"""communication_decisions without a foreign key to communications: a decision row is written in the
transaction that writes its communication (an auto send, a fallback), and the one delete of a
communication (``SqlCommunications.delete``) removes its decision row explicitly

Revision ID: 0024_decision_keys
Revises: 0023_send_audience
Create Date: 2026-12-01 22:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0024_decision_keys"
down_revision: str | None = "0023_send_audience"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "communication_decisions"
KEY = "fk_communication_decisions_communication_id_communications"


def _sqlite_foreign_keys(on: bool) -> None:
    """Batch mode recreates the table on SQLite; as in 0022, keys are off meanwhile, so that no
    check or cascade acts on the copied rows. The pragma takes effect only outside a transaction."""
    context = op.get_context()
    if context.dialect.name == "sqlite":
        with context.autocommit_block():
            op.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def upgrade() -> None:
    _sqlite_foreign_keys(False)
    with op.batch_alter_table(TABLE) as batch_op:
        batch_op.drop_constraint(KEY, type_="foreignkey")
    _sqlite_foreign_keys(True)


def downgrade() -> None:
    _sqlite_foreign_keys(False)
    # Rows the key would have deleted with their communication, had anything left one behind.
    op.execute(f"DELETE FROM {TABLE} WHERE communication_id NOT IN (SELECT id FROM communications)")
    with op.batch_alter_table(TABLE) as batch_op:
        batch_op.create_foreign_key(KEY, "communications", ["communication_id"], ["id"], ondelete="CASCADE")
    _sqlite_foreign_keys(True)
