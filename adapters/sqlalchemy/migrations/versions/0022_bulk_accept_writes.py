"""bulk accept writes less: partial indexes on communications' mostly-NULL columns; no foreign keys
from communications to dictionaries, nor on the rows a send writes beside its communications;
the last sends kept on the send counts' day rows (one upsert per client, not two)

Revision ID: 0022_bulk_accept_writes
Revises: 0021_decision_outcomes
Create Date: 2026-12-01 19:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022_bulk_accept_writes"
down_revision: str | None = "0021_decision_outcomes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The partial indexes: (name, columns, the column that must be set).
_PARTIAL = (
    ("ix_communications_employee_id_create_time_id", ["employee_id", "create_time", "id"], "employee_id"),
    ("ix_communications_mailing_id_status", ["mailing_id", "status"], "mailing_id"),
    ("ix_communications_project_id", ["project_id"], "project_id"),
    ("ix_communications_document_id", ["document_id"], "document_id"),
    ("ix_communications_fallback_of", ["fallback_of"], "fallback_of"),
    (
        "ix_communications_provider_provider_message_id",
        ["provider", "provider_message_id"],
        "provider_message_id",
    ),
)
# The foreign keys dropped: (table, name, column, referred table, on delete).
_KEYS = (
    (
        "communications",
        "fk_communications_type_id_communication_types",
        "type_id",
        "communication_types",
        "RESTRICT",
    ),
    ("communications", "fk_communications_channel_id_channels", "channel_id", "channels", "RESTRICT"),
    (
        "communications",
        "fk_communications_department_id_departments",
        "department_id",
        "departments",
        "RESTRICT",
    ),
    ("communications", "fk_communications_employee_id_employees", "employee_id", "employees", "RESTRICT"),
    ("communications", "fk_communications_project_id_projects", "project_id", "projects", "RESTRICT"),
    ("communications", "fk_communications_document_id_documents", "document_id", "documents", "RESTRICT"),
    (
        "communication_history",
        "fk_communication_history_communication_id_communications",
        "communication_id",
        "communications",
        "CASCADE",
    ),
    (
        "dispatch_queue",
        "fk_dispatch_queue_communication_id_communications",
        "communication_id",
        "communications",
        "CASCADE",
    ),
    ("dispatch_queue", "fk_dispatch_queue_send_id_sends", "send_id", "sends", "CASCADE"),
    ("client_send_days", "fk_client_send_days_client_id_clients", "client_id", "clients", "CASCADE"),
)
_TABLES = tuple(dict.fromkeys(table for table, *_ in _KEYS))


_MERGE_LAST_SENDS = {
    # Each client's last send moves onto its day's row (a row of sends 0 if, somehow, none).
    "postgresql": "INSERT INTO client_send_days (client_id, day, sends, last_sent_at) "
    "SELECT client_id, CAST(last_sent_at AT TIME ZONE 'UTC' AS DATE), 0, last_sent_at FROM client_last_sends "
    "ON CONFLICT (client_id, day) DO UPDATE SET last_sent_at = excluded.last_sent_at",
    # SQLite stores UTC without an offset; WHERE true tells its parser the SELECT ends there.
    "sqlite": "INSERT INTO client_send_days (client_id, day, sends, last_sent_at) "
    "SELECT client_id, date(last_sent_at), 0, last_sent_at FROM client_last_sends WHERE true "
    "ON CONFLICT (client_id, day) DO UPDATE SET last_sent_at = excluded.last_sent_at",
}


def _sqlite_foreign_keys(on: bool) -> None:
    """Batch mode recreates communications on SQLite: it drops the old table, and with foreign keys
    on, that DROP first deletes the rows that reference it (history, external ids: ON DELETE
    CASCADE). The pragma takes effect only outside a transaction."""
    context = op.get_context()
    if context.dialect.name == "sqlite":
        with context.autocommit_block():
            op.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def upgrade() -> None:
    _sqlite_foreign_keys(False)
    with op.batch_alter_table("client_send_days") as batch_op:
        batch_op.add_column(sa.Column("last_sent_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(_MERGE_LAST_SENDS[op.get_context().dialect.name])
    op.drop_table("client_last_sends")
    for table in _TABLES:
        with op.batch_alter_table(table) as batch_op:
            for _, name, *_rest in (key for key in _KEYS if key[0] == table):
                batch_op.drop_constraint(name, type_="foreignkey")
            if table == "communications":
                for name, columns, set_ in _PARTIAL:
                    where = sa.text(f"{set_} IS NOT NULL")
                    batch_op.drop_index(name)
                    batch_op.create_index(name, columns, postgresql_where=where, sqlite_where=where)
    _sqlite_foreign_keys(True)


def downgrade() -> None:
    _sqlite_foreign_keys(False)
    op.create_table(
        "client_last_sends",
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("last_sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name="fk_client_last_sends_client_id_clients", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("client_id", name="pk_client_last_sends"),
    )
    op.execute(
        "INSERT INTO client_last_sends (client_id, last_sent_at) SELECT client_id, max(last_sent_at) "
        "FROM client_send_days WHERE last_sent_at IS NOT NULL GROUP BY client_id"
    )
    for table in reversed(_TABLES):
        with op.batch_alter_table(table) as batch_op:
            if table == "communications":
                for name, columns, _ in _PARTIAL:
                    batch_op.drop_index(name)
                    batch_op.create_index(name, columns)
            for _, name, column, referred, on_delete in (key for key in _KEYS if key[0] == table):
                batch_op.create_foreign_key(name, referred, [column], ["id"], ondelete=on_delete)
    with op.batch_alter_table("client_send_days") as batch_op:
        batch_op.drop_column("last_sent_at")
    _sqlite_foreign_keys(True)
