"""The schema, as SQLAlchemy Core tables. Alembic migrations are written from this metadata."""

from __future__ import annotations

import sqlalchemy as sa

from adapters.sqlalchemy.types import (
    EnumText,
    Grants,
    JsonDict,
    JsonList,
    PlainFloat,
    QuietHoursType,
    UtcDateTime,
    WorkingHours,
)
from domain.clients import BookingState
from domain.communications.statuses import Direction
from domain.dictionaries import ChannelKind, DocumentKind
from domain.mailings import MailingStatus, RunState
from domain.providers import ProviderKind
from domain.telephony.campaigns import CampaignStatus
from domain.telephony.missed_calls import MissedCallStatus
from domain.telephony.subscriptions import SubscriptionState, SubscriptionType
from domain.webhooks import DeliveryState

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _entity(name: str, *columns: sa.Column[object] | sa.Constraint | sa.Index) -> sa.Table:
    return sa.Table(
        name,
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        *columns,
        sa.Column("create_time", UtcDateTime, nullable=False),
        sa.Column("update_time", UtcDateTime, nullable=False),
        # Never reuse the id of a deleted row on SQLite: other systems may still hold it.
        sqlite_autoincrement=True,
    )


def _fk(table: str, *, cascade: bool = False) -> sa.ForeignKey:
    return sa.ForeignKey(f"{table}.id", ondelete="CASCADE" if cascade else "RESTRICT")


companies = _entity(
    "companies",
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("code", sa.String(64), nullable=False, unique=True),
)

departments = _entity(
    "departments",
    sa.Column("company_id", sa.Integer, _fk("companies"), nullable=False, index=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("code", sa.String(64), nullable=False),
    sa.Column("parent_id", sa.Integer, _fk("departments"), index=True),
    sa.Column("time_zone", sa.String(64), nullable=False),
    sa.Column("working_hours", WorkingHours(), nullable=False),
    sa.UniqueConstraint("company_id", "code"),
)

roles = _entity(
    "roles",
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("description", sa.Text),
    sa.Column("grants", Grants(), nullable=False),
)


def _user_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("login", sa.String(128), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
    ]


employees = _entity(
    "employees",
    *_user_columns(),
    sa.Column("department_id", sa.Integer, _fk("departments"), index=True),
    sa.Column("first_name", sa.String(255), nullable=False),
    sa.Column("last_name", sa.String(255), nullable=False),
    sa.Column("middle_name", sa.String(255)),
    sa.Column("email", sa.String(255)),
    sa.Column("phone", sa.String(32)),
    sa.Column("extension", sa.String(128), index=True),
)

service_accounts = _entity(
    "service_accounts",
    *_user_columns(),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("description", sa.Text),
)

# Logins are unique across both kinds of user; each table's own unique index guards its half,
# the use case checks the other table.
employee_roles = sa.Table(
    "employee_roles",
    metadata,
    sa.Column("employee_id", sa.Integer, _fk("employees", cascade=True), primary_key=True),
    sa.Column("role_id", sa.Integer, _fk("roles"), primary_key=True, index=True),
)

service_account_roles = sa.Table(
    "service_account_roles",
    metadata,
    sa.Column("service_account_id", sa.Integer, _fk("service_accounts", cascade=True), primary_key=True),
    sa.Column("role_id", sa.Integer, _fk("roles"), primary_key=True, index=True),
)

projects = _entity(
    "projects",
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("code", sa.String(64), nullable=False, unique=True),
)

clients = _entity(
    "clients",
    sa.Column("first_name", sa.String(255), index=True),
    sa.Column("last_name", sa.String(255), index=True),
    sa.Column("middle_name", sa.String(255)),
    sa.Column("birth_date", sa.Date),
    sa.Column("phones", JsonList(), nullable=False),
    sa.Column("email", sa.String(255), index=True),
    sa.Column("social_media", JsonDict()),
    sa.Column("language", sa.String(16)),
    sa.Column("time_zone", sa.String(64)),
    sa.Column("available", sa.Boolean, nullable=False, index=True),
    sa.Column("project_id", sa.Integer, _fk("projects"), index=True),
    sa.Column("guid", sa.String(255)),
    sa.Column("tags", JsonList(), nullable=False),
    sa.UniqueConstraint("project_id", "guid"),
)

# Phones live in the client's JSON too; this table is the index that finds a client by number.
client_phones = sa.Table(
    "client_phones",
    metadata,
    sa.Column("client_id", sa.Integer, _fk("clients", cascade=True), primary_key=True),
    sa.Column("phone", sa.String(32), primary_key=True, index=True),
)

client_groups = _entity(
    "client_groups",
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("description", sa.Text),
)

client_group_members = sa.Table(
    "client_group_members",
    metadata,
    sa.Column("group_id", sa.Integer, _fk("client_groups", cascade=True), primary_key=True),
    sa.Column("client_id", sa.Integer, _fk("clients", cascade=True), primary_key=True, index=True),
)

communication_types = _entity(
    "communication_types",
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("code", sa.String(64), nullable=False, unique=True),
    sa.Column("description", sa.Text),
    sa.Column("active", sa.Boolean, nullable=False),
)

channels = _entity(
    "channels",
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("code", sa.String(64), nullable=False, unique=True),
    sa.Column("kind", EnumText(ChannelKind), nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("dispatchable", sa.Boolean, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
)

channel_blocks = _entity(
    "channel_blocks",
    sa.Column("client_id", sa.Integer, _fk("clients", cascade=True), nullable=False, index=True),
    sa.Column("channel_id", sa.Integer, _fk("channels"), nullable=False, index=True),
    sa.Column("until", UtcDateTime),
    sa.Column("reason", sa.Text),
)

push_subscriptions = _entity(
    "push_subscriptions",
    sa.Column("client_id", sa.Integer, _fk("clients", cascade=True), nullable=False, index=True),
    sa.Column("endpoint", sa.String(2048), nullable=False, unique=True),
    sa.Column("p256dh", sa.String(128), nullable=False),
    sa.Column("auth", sa.String(64), nullable=False),
    sa.Column("expiration_time", UtcDateTime),
)

telegram_links = _entity(
    "telegram_links",
    sa.Column("client_id", sa.Integer, _fk("clients", cascade=True), nullable=False, unique=True),
    sa.Column("code", sa.String(64), unique=True),
    sa.Column("chat_id", sa.String(32), index=True),
    sa.Column("linked_at", UtcDateTime),
)

documents = _entity(
    "documents",
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("kind", EnumText(DocumentKind), nullable=False),
    sa.Column("subject", sa.String(1000)),
    sa.Column("body", sa.Text),
    sa.Column("media_url", sa.String(2000)),
    sa.Column("locale", sa.String(16)),
)

rules = _entity(
    "rules",
    sa.Column("department_id", sa.Integer, _fk("departments"), nullable=False, index=True),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("allowed_type_ids", JsonList(), nullable=False),
    sa.Column("allowed_channel_ids", JsonList(), nullable=False),
    sa.Column("channel_priority", JsonList(), nullable=False),
    sa.Column("quiet_hours", QuietHoursType()),
    sa.Column("allowed_weekdays", JsonList(), nullable=False),
    sa.Column("max_per_day", sa.Integer),
    sa.Column("max_per_week", sa.Integer),
    sa.Column("min_interval_minutes", sa.Integer),
    sa.Column("auto_select", sa.Boolean, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
)

booking_statuses = _entity(
    "booking_statuses",
    sa.Column("code", EnumText(BookingState), nullable=False, unique=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("description", sa.Text),
)

bookings = _entity(
    "bookings",
    sa.Column("client_id", sa.Integer, _fk("clients"), nullable=False, index=True),
    sa.Column("before_date", UtcDateTime, nullable=False),
    sa.Column("status", EnumText(BookingState), sa.ForeignKey("booking_statuses.code"), nullable=False),
    sa.Column("name", sa.String(255)),
    sa.Column("department_id", sa.Integer, _fk("departments"), index=True),
    sa.Column("employee_id", sa.Integer, _fk("employees"), index=True),
)

# --- telephony (SPEC §5) ----------------------------------------------------------------------

missed_calls = _entity(
    "missed_calls",
    sa.Column("phone", sa.String(64), nullable=False),
    sa.Column("client_id", sa.Integer, index=True),
    sa.Column("employee_id", sa.Integer, index=True),
    sa.Column("status", EnumText(MissedCallStatus, 16), nullable=False),
    sa.Column("result", sa.Text),
    sa.Column("calls", sa.Integer, nullable=False),
    sa.Column("first_call_at", UtcDateTime, nullable=False),
    sa.Column("last_call_at", UtcDateTime, nullable=False),
    sa.Column("called_back_by", sa.Integer, index=True),
    sa.Column("called_back_at", UtcDateTime),
    # The queue (status, newest first) and "the open card of this number".
    sa.Index(None, "status", "last_call_at"),
    sa.Index(None, "phone", "status"),
)

call_records = _entity(
    "call_records",
    sa.Column("call_key", sa.String(160), nullable=False, unique=True),
    sa.Column("direction", EnumText(Direction, 16), nullable=False),
    sa.Column("communication_id", sa.BigInteger, index=True),
    sa.Column("remote_number", sa.String(64)),
    sa.Column("target_id", sa.String(255)),
    sa.Column("started_at", UtcDateTime),
    sa.Column("answered_at", UtcDateTime),
    sa.Column("released_at", UtcDateTime),
    sa.Column("release_cause", sa.String(64)),
    sa.Column("missed", sa.Boolean, nullable=False),
    sa.Column("missed_call_id", sa.Integer),
    sa.Column("ring_seconds", sa.Integer),
    sa.Column("talk_seconds", sa.Integer),
    sa.Column("agent", sa.String(128)),
    sa.Column("station", sa.String(128)),
    sa.Column("recording_url", sa.Text),
    sa.Column("external_call_id", sa.String(128)),
)

seen_call_events = sa.Table(
    "seen_call_events",
    metadata,
    sa.Column("event_id", sa.String(128), primary_key=True),
    sa.Column("seen_at", UtcDateTime, nullable=False, index=True),
)

pbx_event_inbox = sa.Table(
    # The PBX's events as delivered, kept before the webhook answers 200 and applied by the worker.
    "pbx_event_inbox",
    metadata,
    sa.Column(
        "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
    ),
    sa.Column("event", sa.Text, nullable=False),
    sa.Column("received_at", UtcDateTime, nullable=False),
    sa.Column("error", sa.Text),
)

pbx_subscriptions = _entity(
    "pbx_subscriptions",
    sa.Column("pattern", sa.String(255)),
    sa.Column("subscription_type", EnumText(SubscriptionType, 16), nullable=False),
    sa.Column("requested_expires", sa.Integer, nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("subscription_id", sa.String(255), index=True),
    sa.Column("granted_expires", sa.Integer),
    sa.Column("expires_at", UtcDateTime),
    sa.Column("state", EnumText(SubscriptionState, 16), nullable=False),
    sa.Column("last_error", sa.Text),
)

telephony_secrets = sa.Table(
    "telephony_secrets",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

call_campaigns = _entity(
    "call_campaigns",
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("status", EnumText(CampaignStatus, 16), nullable=False),
    sa.Column("start_at", UtcDateTime, nullable=False),
    sa.Column("end_at", UtcDateTime, nullable=False),
    sa.Column("type_id", sa.Integer),
    sa.Column("client_group_id", sa.Integer),
    sa.Column("contacts_total", sa.Integer, nullable=False),
    sa.Column("contacts_called", sa.Integer, nullable=False),
    sa.Column("contacts_successful", sa.Integer, nullable=False),
    sa.Column("finish_status", sa.String(64)),
    sa.Column("reported_total", sa.Integer),
    sa.Column("reported_successful", sa.Integer),
    sa.Column("sent_at", UtcDateTime),
    sa.Column("closed_at", UtcDateTime),
    sa.Column("last_error", sa.Text),
)

campaign_contacts = _entity(
    "campaign_contacts",
    sa.Column("campaign_id", sa.Integer, _fk("call_campaigns", cascade=True), nullable=False, index=True),
    sa.Column("client_id", sa.Integer),
    sa.Column("phone", sa.String(64), nullable=False),
    sa.Column("communication_id", sa.BigInteger),
    sa.Column("last_status", sa.String(64)),
    sa.Column("called", sa.Boolean, nullable=False),
    sa.Column("successful", sa.Boolean, nullable=False),
)

# Providers configured through the API (issue 12); the environment's stay out of storage.
providers = _entity(
    "providers",
    sa.Column("name", sa.String(64), nullable=False, unique=True),
    sa.Column("kind", EnumText(ProviderKind), nullable=False),
    sa.Column("channel_kind", EnumText(ChannelKind), nullable=False),
    sa.Column("settings", JsonDict(), nullable=False),
    sa.Column("secrets", JsonDict(), nullable=False),
    sa.Column("priority", sa.Integer, nullable=False),
    sa.Column("rate_limit", PlainFloat()),
    sa.Column("active", sa.Boolean, nullable=False),
)

# -- mailings (seed 001) --------------------------------------------------------------------

mailings = _entity(
    "mailings",
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("department_id", sa.Integer, _fk("departments"), nullable=False, index=True),
    sa.Column("type_id", sa.Integer, _fk("communication_types"), nullable=False),
    sa.Column("channel_ids", JsonList(), nullable=False),
    sa.Column("auto_channels", sa.Boolean, nullable=False),
    sa.Column("auto_time", sa.Boolean, nullable=False),
    # Content and audience are checked when the mailing is saved and again by each run's send
    # request, which refuses a deleted document, project or group with a reason on the run.
    sa.Column("document_id", sa.Integer),
    sa.Column("subject", sa.String(1000)),
    sa.Column("text", sa.Text),
    sa.Column("html", sa.Text),
    sa.Column("variables", JsonDict(), nullable=False),
    sa.Column("project_id", sa.Integer),
    sa.Column("group_id", sa.Integer),
    sa.Column("client_ids", JsonList(), nullable=False),
    sa.Column("at", UtcDateTime),
    sa.Column("cron", sa.String(255)),
    sa.Column("time_zone", sa.String(64), nullable=False),
    sa.Column("status", EnumText(MailingStatus, 16), nullable=False),
    sa.Column("next_run_at", UtcDateTime),
    sa.Column("run_count", sa.Integer, nullable=False),
    sa.Column("last_run_at", UtcDateTime),
    sa.Column("lease_until", UtcDateTime),
    sa.Column("created_by", sa.String(128), nullable=False),
    sa.Index("ix_mailings_due", "status", "next_run_at"),
)

mailing_runs = _entity(
    "mailing_runs",
    sa.Column("mailing_id", sa.Integer, _fk("mailings", cascade=True), nullable=False, index=True),
    sa.Column("due_at", UtcDateTime, nullable=False),
    sa.Column("state", EnumText(RunState, 16), nullable=False),
    # The send the run made: sendId -> mailingId for the events feed (no FK: sends live in sending.py).
    sa.Column("send_id", sa.Integer, unique=True),
    sa.Column("accepted_count", sa.Integer, nullable=False),
    sa.Column("refused_count", sa.Integer, nullable=False),
    sa.Column("error", sa.Text),
)

# -- outbound webhooks (issue 12) -------------------------------------------------------------

webhook_subscriptions = _entity(
    "webhook_subscriptions",
    sa.Column("url", sa.String(2048), nullable=False),
    sa.Column("event_types", JsonList(), nullable=False),
    sa.Column("secret", sa.Text, nullable=False),  # sealed (adapters/sqlalchemy/webhook_subscriptions.py)
    sa.Column("description", sa.Text),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("disabled_reason", sa.Text),
)

# The outbox: written in the transaction that changes what the event tells.
webhook_deliveries = _entity(
    "webhook_deliveries",
    sa.Column(
        "subscription_id", sa.Integer, _fk("webhook_subscriptions", cascade=True), nullable=False, index=True
    ),
    sa.Column("message_id", sa.String(64), nullable=False),
    sa.Column("event_type", sa.String(64), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("state", EnumText(DeliveryState, 16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", UtcDateTime),
    sa.Column("last_status", sa.Integer),
    sa.Column("last_error", sa.Text),
    sa.Column("delivered_at", UtcDateTime),
    # The deliverer posting it now, until when: the worker's lease, not part of the entity.
    sa.Column("lease_until", UtcDateTime),
    sa.Column("lease_owner", sa.String(64)),
    sa.Index("ix_webhook_deliveries_due", "state", "next_attempt_at"),
)
