"""the VAPID key made at first use moves from telephony_secrets into a webpush provider

The provider is inactive: the Push channels keep the providers they had until someone turns it on.
Its private key is written plain, as this migration has no SECRET_KEY; the start that follows seals
it like every plain provider secret (``seal_kept_secrets``).

Revision ID: 0016_webpush_provider
Revises: 0015_telegram_links
Create Date: 2026-12-01 15:40:00
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

revision: str = "0016_webpush_provider"
down_revision: str | None = "0015_telegram_links"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SECRET_NAME = "vapid_private_key"
PROVIDER = "webpush"

secrets = sa.table("telephony_secrets", sa.column("name", sa.String), sa.column("value", sa.Text))
providers = sa.table(
    "providers",
    sa.column("name", sa.String),
    sa.column("kind", sa.String),
    sa.column("channel_kind", sa.String),
    sa.column("settings", sa.JSON),
    sa.column("secrets", sa.JSON),
    sa.column("priority", sa.Integer),
    sa.column("rate_limit", sa.Float),
    sa.column("active", sa.Boolean),
    sa.column("create_time", sa.DateTime(timezone=True)),
    sa.column("update_time", sa.DateTime(timezone=True)),
)


def public_key_of(private_key: str) -> str | None:
    """base64url of the uncompressed point, for the base64url raw key that was made here before."""
    try:
        raw = base64.urlsafe_b64decode(private_key + "=" * (-len(private_key) % 4))
        key = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
    except ValueError:
        return None
    point = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(point).decode().rstrip("=")


def upgrade() -> None:
    conn = op.get_bind()
    kept = conn.execute(sa.select(secrets.c.value).where(secrets.c.name == SECRET_NAME)).scalar()
    if kept is None:
        return
    taken = conn.execute(sa.select(providers.c.name).where(providers.c.name == PROVIDER)).first()
    if taken is None:
        settings = {"subject": "mailto:switchboard@localhost"}
        public = public_key_of(kept)
        if public is not None:
            settings["public_key"] = public
        now = datetime.now(UTC)
        op.bulk_insert(
            providers,
            [
                {
                    "name": PROVIDER,
                    "kind": "webpush",
                    "channel_kind": "push",
                    "settings": settings,
                    "secrets": {"private_key": kept},
                    "priority": 0,
                    "rate_limit": None,
                    "active": False,
                    "create_time": now,
                    "update_time": now,
                }
            ],
        )
    conn.execute(secrets.delete().where(secrets.c.name == SECRET_NAME))


def downgrade() -> None:
    # A key sealed since cannot be opened here (no SECRET_KEY): it stays in the provider, and the
    # earlier release makes a new one. A key still plain goes back where that release reads it.
    conn = op.get_bind()
    row = conn.execute(
        sa.select(providers.c.secrets).where(providers.c.name == PROVIDER, providers.c.kind == "webpush")
    ).first()
    kept = (row.secrets or {}).get("private_key") if row is not None else None
    if kept and not kept.startswith("fernet:"):
        conn.execute(secrets.insert().values(name=SECRET_NAME, value=kept))
        conn.execute(providers.delete().where(providers.c.name == PROVIDER))
