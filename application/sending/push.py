"""Browser push subscriptions of clients, and what the push sender reads and forgets of them.

A subscription's endpoint is unique: the same browser subscribing again (for the same client or,
on a shared device, for another one) updates the stored row instead of adding a second one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from application.ports import Clock, Repository, UnitOfWorkFactory
from application.queries import Query
from application.searches import ProviderFields, PushSubscriptionFields
from domain.dictionaries import ChannelKind
from domain.errors import Conflict, NotFound, ValidationFailed
from domain.providers import DEFAULT_VAPID_SUBJECT, Provider, ProviderKind
from domain.push import PushSubscription

MAX_PER_CLIENT = 100
"""Browsers kept per client: a client has a handful of devices; beyond that is a runaway front end."""


@dataclass(frozen=True, kw_only=True)
class SubscribeCommand:
    endpoint: str
    p256dh: str
    auth: str
    expiration_time: datetime | None = None


class PushSubscriptions:
    """Store, list and remove the browser push subscriptions of a client."""

    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow_factory = uow_factory
        self._clock = clock

    async def subscribe(self, client_id: int, command: SubscribeCommand) -> PushSubscription:
        """Keep the subscription for the client; the same endpoint again updates its row."""
        now = self._clock.now()
        async with self._uow_factory() as uow:
            if await uow.clients.get(client_id) is None:
                raise NotFound("client", client_id)
            repo = uow.push_subscriptions
            existing = await repo.first(PushSubscriptionFields.endpoint.eq(command.endpoint))
            fresh = PushSubscription(
                id=existing.id if existing else None,
                client_id=client_id,
                endpoint=command.endpoint,
                p256dh=command.p256dh,
                auth=command.auth,
                expiration_time=command.expiration_time,
                create_time=existing.create_time if existing else now,
                update_time=now,
            )
            if existing is not None:
                await repo.update(fresh)
            else:
                count = await repo.count(PushSubscriptionFields.client_id.eq(client_id))
                if count >= MAX_PER_CLIENT:
                    raise ValidationFailed.field(
                        "endpoint", f"the client has {MAX_PER_CLIENT} subscriptions already: delete some"
                    )
                fresh = await repo.add(fresh)
            await uow.commit()
        return fresh

    async def of_client(self, client_id: int) -> list[PushSubscription]:
        """The client's subscriptions, oldest first."""
        async with self._uow_factory(read_only=True) as uow:
            if await uow.clients.get(client_id) is None:
                raise NotFound("client", client_id)
            return await _of_client(uow.push_subscriptions, client_id)

    async def remove(self, client_id: int, subscription_id: int) -> None:
        """Forget one subscription of the client (404 when the client has no such subscription)."""
        async with self._uow_factory() as uow:
            found = await uow.push_subscriptions.get(subscription_id)
            if found is None or found.client_id != client_id:
                raise NotFound("push subscription", subscription_id)
            await uow.push_subscriptions.delete(subscription_id)
            await uow.commit()


async def _of_client(repo: Repository[PushSubscription], client_id: int) -> list[PushSubscription]:
    query = Query((PushSubscriptionFields.client_id.eq(client_id),), limit=MAX_PER_CLIENT)
    return await repo.find(query)


class StoredPushSubscriptions:
    """The ``PushSubscriptionBook`` the push sender uses: reads a client's browsers, forgets dead ones."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def of_client(self, client_id: int) -> list[PushSubscription]:
        async with self._uow_factory(read_only=True) as uow:
            return await _of_client(uow.push_subscriptions, client_id)

    async def forget(self, subscription_ids: Sequence[int]) -> None:
        if not subscription_ids:
            return
        async with self._uow_factory() as uow:
            for subscription_id in subscription_ids:
                if await uow.push_subscriptions.get(subscription_id) is not None:
                    await uow.push_subscriptions.delete(subscription_id)
            await uow.commit()


class VapidKeyMaker(Protocol):
    """Makes VAPID key pairs (the adapter knows P-256)."""

    def generate(self) -> str:
        """A new private key, base64url of its 32 raw bytes."""

    def public_of(self, private_key: str) -> str:
        """The application server key browsers subscribe with; ValueError for a key that is none."""


DEFAULT_PROVIDER = "webpush"
"""The provider that keeps the VAPID key made at first use, when VAPID_PRIVATE_KEY is not set."""
FALLBACK_PROVIDER = "webpush-vapid"
"""Its name when a provider of another kind is already called ``webpush``."""
KEEPER_NAMES = frozenset({DEFAULT_PROVIDER, FALLBACK_PROVIDER})
MAX_KEEPERS = 100


class StoredVapidKey:
    """The VAPID private key: the configured one, else a webpush provider's, made at first use.

    The made key lives in an inactive webpush provider named ``webpush`` (``webpush-vapid`` when a
    provider of another kind has that name), so the Push channels keep their configured providers
    until someone turns it on, sealed like every provider secret. Later it is found by kind: that
    keeper, else the oldest webpush provider with a private key. Two processes starting together
    agree on one: the second insert meets the unique name and reads the first's.
    """

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        keys: VapidKeyMaker,
        configured: str | None = None,
        subject: str = DEFAULT_VAPID_SUBJECT,
    ) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self._keys = keys
        self._key = configured or None
        self._subject = subject

    async def __call__(self) -> str:
        if self._key is None:
            self._key = await self._kept() or await self._made()
        return self._key

    async def for_browsers(self) -> str:
        """The public key browsers subscribe with: the first active webpush provider's, else ours."""
        async with self._uow_factory(read_only=True) as uow:
            found = await uow.providers.find(
                Query(
                    (ProviderFields.kind.eq(ProviderKind.WEBPUSH), ProviderFields.active.eq(True)),
                    order_by=("priority", "id"),
                    limit=1,
                )
            )
        serving = found[0] if found else None
        if serving is not None and serving.secrets.get("private_key"):
            return serving.settings.get("public_key") or self._keys.public_of(serving.secrets["private_key"])
        return self._keys.public_of(await self())

    async def _kept(self) -> str | None:
        # Found by kind: a provider of another kind may well be called "webpush".
        async with self._uow_factory(read_only=True) as uow:
            found = await uow.providers.find(
                Query((ProviderFields.kind.eq(ProviderKind.WEBPUSH),), order_by=("id",), limit=MAX_KEEPERS)
            )
        keeping = [p for p in found if p.secrets.get("private_key")]
        keeper = next((p for p in keeping if p.name in KEEPER_NAMES), keeping[0] if keeping else None)
        return keeper.secrets["private_key"] if keeper is not None else None

    async def _made(self) -> str:
        private = self._keys.generate()
        now = self._clock.now()
        async with self._uow_factory(read_only=True) as uow:
            taken = await uow.providers.first(ProviderFields.name.eq(DEFAULT_PROVIDER))
        provider = Provider(
            name=DEFAULT_PROVIDER if taken is None else FALLBACK_PROVIDER,
            kind=ProviderKind.WEBPUSH,
            channel_kind=ChannelKind.PUSH,
            settings={"subject": self._subject, "public_key": self._keys.public_of(private)},
            secrets={"private_key": private},
            active=False,
            create_time=now,
            update_time=now,
        )
        try:
            async with self._uow_factory() as uow:
                await uow.providers.add(provider)
                await uow.commit()
        except Conflict:  # another process made one first: use theirs
            return await self._kept() or private
        return private


VapidKeySource = Callable[[], Awaitable[str]]
