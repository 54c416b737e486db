"""decisions, more: detailed per-day counters, survey answers, the decision log of automatic sends

Revision ID: 0011_decisions_more
Revises: 0010_events
Create Date: 2026-12-01 13:00:00

The new counters start empty: run ``switchboard rebuild-stats`` once after upgrading a database
that already holds communications.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_decisions_more"
down_revision: str | None = "0010_events"
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


_DETAIL = ("day", "hour", "channel_id", "type_id", "department_id", "employee_id")


def _detail_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("hour", sa.SmallInteger(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("type_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "stats_client_days",
        sa.Column("client_id", sa.Integer(), nullable=False),
        *_detail_columns(),
        *_counters(),
        sa.PrimaryKeyConstraint("client_id", *_DETAIL, name=op.f("pk_stats_client_days")),
    )
    op.create_index(op.f("ix_stats_client_days_day"), "stats_client_days", ["day"], unique=False)
    op.create_table(
        "stats_team_days",
        *_detail_columns(),
        *_counters(),
        sa.PrimaryKeyConstraint(*_DETAIL, name=op.f("pk_stats_team_days")),
    )
    op.create_table(
        "survey_responses",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("communication_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("question", sa.String(length=500), nullable=False),
        sa.Column("answer", sa.String(length=500), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["communication_id"],
            ["communications.id"],
            name=op.f("fk_survey_responses_communication_id_communications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_responses")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_survey_responses_communication_id"), "survey_responses", ["communication_id"], unique=False
    )
    op.create_table(
        "stats_survey_days",
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("type_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.String(length=500), nullable=False),
        sa.Column("answer", sa.String(length=500), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "client_id",
            "day",
            "department_id",
            "channel_id",
            "type_id",
            "question",
            "answer",
            name=op.f("pk_stats_survey_days"),
        ),
    )

    op.create_table(
        "communication_decisions",
        sa.Column("communication_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("objective", sa.String(length=16), nullable=False),
        sa.Column("propensity", sa.Float(), nullable=False),
        sa.Column("matches_rule", sa.Boolean(), nullable=False),
        sa.Column("rule_channel_id", sa.Integer(), nullable=False),
        sa.Column("rule_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("predicted_chosen", sa.Float(), nullable=False),
        sa.Column("predicted_rule", sa.Float(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["communication_id"],
            ["communications.id"],
            name=op.f("fk_communication_decisions_communication_id_communications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("communication_id", name=op.f("pk_communication_decisions")),
    )


def downgrade() -> None:
    op.drop_table("communication_decisions")
    op.drop_table("stats_survey_days")
    op.drop_index(op.f("ix_survey_responses_communication_id"), table_name="survey_responses")
    op.drop_table("survey_responses")
    op.drop_table("stats_team_days")
    op.drop_index(op.f("ix_stats_client_days_day"), table_name="stats_client_days")
    op.drop_table("stats_client_days")
