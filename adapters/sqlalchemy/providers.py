"""Configured providers, their secrets sealed in the row and opened when read.

Every value of a provider's ``secrets`` is sealed: the domain admits there only the fields its kind's
rules mark secret (``KIND_RULES[kind].secrets``), so a secret field a kind gains later is sealed with
no change here. Rows kept before sealing existed hold plain values; they are read as they are, and
``seal_again`` (run at start) rewrites them sealed, as it does values sealed under a previous key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sqlalchemy import tables as t
from adapters.sqlalchemy.repository import SqlRepository
from application.ports import SecretSealer, SecretsUnreadable
from domain.providers import Provider


class SealedProviders(SqlRepository[Provider]):
    """The providers repository: secrets sealed on the way in, opened on the way out."""

    def __init__(self, connection: AsyncConnection, sealer: SecretSealer | None) -> None:
        super().__init__(connection, t.providers, Provider, "provider")
        self._sealer = sealer

    def _row_values(self, entity: Provider) -> dict[str, Any]:
        values = super()._row_values(entity)
        values["secrets"] = self._sealed(entity.secrets)
        return values

    def _hydrate(self, row: Mapping[str, Any], linked: dict[str, dict[int, list[Any]]]) -> Provider:
        provider = super()._hydrate(row, linked)
        provider.__dict__["secrets"] = self._opened(row["secrets"], row["name"])
        return provider

    async def seal_again(self) -> int:
        """Seals plain values and those under a previous key; a key that opens nothing raises at once."""
        table = t.providers
        rows = (await self._conn.execute(sa.select(table.c.id, table.c.name, table.c.secrets))).all()
        resealed = 0
        for row in rows:
            kept: dict[str, str] = row.secrets or {}
            if not kept or (self._sealer is not None and all(map(self._sealer.is_current, kept.values()))):
                continue
            secrets = self._sealed(self._opened(kept, row.name))
            await self._conn.execute(table.update().where(table.c.id == row.id).values(secrets=secrets))
            resealed += 1
        return resealed

    def _sealed(self, secrets: Mapping[str, str]) -> dict[str, str]:
        if not secrets:
            return {}
        if self._sealer is None:
            raise SecretsUnreadable("no secret key is configured to seal provider secrets with")
        return {name: self._sealer.seal(value) for name, value in secrets.items()}

    def _opened(self, kept: Mapping[str, str], provider: str) -> dict[str, str]:
        if not kept:
            return {}
        if self._sealer is None:
            raise SecretsUnreadable(f"provider {provider!r}: no secret key is configured to open its secrets")
        try:
            return {name: self._sealer.open(value) for name, value in kept.items()}
        except SecretsUnreadable as error:
            raise SecretsUnreadable(f"provider {provider!r}: {error}") from None
