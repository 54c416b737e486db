"""Webhook subscriptions, their signing secret sealed in the row and opened when read.

The same rules as provider secrets (``providers.py``): a value kept before sealing existed is read as
it is and sealed again at start (``seal_again``); without a key nothing is written or read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy import tables as t
from adapters.sqlalchemy.repository import SqlRepository
from application.ports import SecretSealer, SecretsUnreadable
from domain.webhooks import WebhookSubscription


class SealedWebhookSubscriptions(SqlRepository[WebhookSubscription]):
    """The webhook subscriptions repository: the secret sealed on the way in, opened on the way out."""

    def __init__(self, connection: AsyncConnection, sealer: SecretSealer | None) -> None:
        super().__init__(connection, t.webhook_subscriptions, WebhookSubscription, "webhook subscription")
        self._sealer = sealer

    def _row_values(self, entity: WebhookSubscription) -> dict[str, Any]:
        values = super()._row_values(entity)
        values["secret"] = self._key(entity.url).seal(entity.secret)
        return values

    def _hydrate(
        self, row: Mapping[str, Any], linked: dict[str, dict[int, list[Any]]]
    ) -> WebhookSubscription:
        subscription = super()._hydrate(row, linked)
        subscription.__dict__["secret"] = self._opened(row["secret"], row["url"])
        return subscription

    async def seal_again(self) -> int:
        """Seals secrets kept plain or under a previous key; a key that opens none raises at once."""
        table = t.webhook_subscriptions
        rows = (await self._conn.execute(sa.select(table.c.id, table.c.url, table.c.secret))).all()
        resealed = 0
        for row in rows:
            if self._key(row.url).is_current(row.secret):
                continue
            sealed = self._key(row.url).seal(self._opened(row.secret, row.url))
            await self._conn.execute(table.update().where(table.c.id == row.id).values(secret=sealed))
            resealed += 1
        return resealed

    def _key(self, url: str) -> SecretSealer:
        if self._sealer is None:
            raise SecretsUnreadable(
                f"webhook subscription {url!r}: no secret key is configured for its secret"
            )
        return self._sealer

    def _opened(self, kept: str, url: str) -> str:
        try:
            return self._key(url).open(kept)
        except SecretsUnreadable as error:
            raise SecretsUnreadable(f"webhook subscription {url!r}: {error}") from None
