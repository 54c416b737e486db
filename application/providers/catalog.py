"""Providers configured through the API: create, change, list, delete, and send a test message.

Secrets are write-only: a change that names a secret replaces it, one that leaves it out keeps it, and
nothing here returns them except to the sender factory that builds the adapter.
"""

from __future__ import annotations

import uuid as uuid_module
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from application.managed_entities import Catalog, Command, Unique, command_for
from application.ports import Clock, Repository, UnitOfWork, UnitOfWorkFactory
from application.providers.router import ProviderState
from application.queries import Query
from application.searches import ProviderFields
from application.sending.ports import ChannelSender, OutgoingMessage, SendResult
from domain.errors import ValidationFailed
from domain.providers import Provider


class SenderFactory(Protocol):
    """Builds the adapter a configured provider names (the composition root knows the adapters)."""

    def build(self, provider: Provider) -> ChannelSender:
        """A sender for this provider's kind, settings and secrets."""

    def completed(self, provider: Provider, previous: Provider | None = None) -> Provider:
        """The provider with what its adapter derives filled in (a VAPID public key); a 400 if unusable.

        ``previous``: the provider before a change; what was derived from a secret the change replaced
        is derived again.
        """


class RouterStates(Protocol):
    def states(self) -> list[ProviderState]:
        """Every provider at work: its circuit and counts."""


@dataclass(frozen=True, kw_only=True)
class TestMessage:
    to: str
    text: str = "Switchboard test message"


@dataclass(frozen=True, kw_only=True)
class TestOutcome:
    provider: str
    outcome: str
    provider_message_id: str | None
    reason: str | None


class Providers(Catalog[Provider]):
    """Managing the providers of each channel kind, their order, limits and secrets."""

    kind = "provider"
    command = command_for(Provider, "NewProvider")
    fields = ProviderFields
    key_fields = (ProviderFields.name,)
    search_fields = (ProviderFields.name,)
    unique: ClassVar[tuple[Unique, ...]] = (Unique((ProviderFields.name,)),)

    def __init__(
        self, uow_factory: UnitOfWorkFactory, clock: Clock, senders: SenderFactory, router: RouterStates
    ) -> None:
        super().__init__(uow_factory, clock)
        self._senders = senders
        self._router = router

    def repo(self, uow: UnitOfWork) -> Repository[Provider]:
        return uow.providers

    def build(self, values: Mapping[str, Any]) -> Provider:
        return self._senders.completed(Provider(**values))

    def rebuild(self, current: Provider, changes: Mapping[str, Any]) -> Provider:
        return self._senders.completed(super().rebuild(current, changes), current)

    def changes(self, current: Provider, patch: Command) -> dict[str, Any]:
        """Secrets named replace those kept, secrets left out stay."""
        changes = super().changes(current, patch)
        if "secrets" in changes:
            given = changes["secrets"] or {}
            changes["secrets"] = {k: v for k, v in {**current.secrets, **given}.items() if v}
        return changes

    async def active(self) -> list[Provider]:
        """The active providers, in priority order: what the router sends through."""
        async with self._uow_factory(read_only=True) as uow:
            return await uow.providers.find(
                Query((ProviderFields.active.eq(True),), order_by=("priority", "id"), limit=1000)
            )

    def states(self) -> list[ProviderState]:
        return self._router.states()

    async def test(self, entity_id: int, message: TestMessage) -> TestOutcome:
        """Sends one message to ``message.to`` through this provider alone (no failover)."""
        if not message.to.strip():
            raise ValidationFailed.field("to", "must not be empty")
        provider = await self.get(entity_id)
        sender = self._senders.build(provider)
        outgoing = OutgoingMessage(
            uuid=str(uuid_module.uuid4()),
            client_id=None,
            channel_id=0,
            channel_kind=provider.channel_kind,
            to=message.to.strip(),
            subject="Switchboard test",
            text=message.text,
        )
        try:
            result: SendResult = await sender.send(outgoing)
        finally:
            closer = getattr(sender, "close", None)
            if closer is not None:
                await closer()
        return TestOutcome(
            provider=provider.name,
            outcome=result.outcome.value,
            provider_message_id=result.provider_message_id,
            reason=result.reason,
        )


def by_priority(providers: Sequence[Provider]) -> list[Provider]:
    return sorted(providers, key=lambda p: (p.priority, p.id or 0))
