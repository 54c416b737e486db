"""Browser push subscriptions of clients, and what the push sender reads and forgets of them.

A subscription's endpoint is unique: the same browser subscribing again (for the same client or,
on a shared device, for another one) updates the stored row instead of adding a second one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from application.ports import Clock, Repository, UnitOfWorkFactory
from application.queries import Query
from application.searches import PushSubscriptionFields
from domain.errors import NotFound, ValidationFailed
from domain.push import PushSubscription

MAX_PER_CLIENT = 100
"""Browsers kept per client: a client has a handful of devices; beyond that is a runaway front end."""

VAPID_SECRET_NAME = "vapid_private_key"


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


class StoredVapidKey:
    """The VAPID private key: the configured one, else one made at first use and kept in the database.

    ``get_or_create`` is one INSERT ... ON CONFLICT DO NOTHING and a read, so two processes starting
    together agree on one key.
    """

    def __init__(
        self, uow_factory: UnitOfWorkFactory, make: Callable[[], str], configured: str | None = None
    ) -> None:
        self._uow_factory = uow_factory
        self._make = make
        self._key = configured or None

    async def __call__(self) -> str:
        if self._key is None:
            async with self._uow_factory() as uow:
                key = await uow.telephony_secrets.get_or_create(VAPID_SECRET_NAME, self._make())
                await uow.commit()
            self._key = key
        return self._key


VapidKeySource = Callable[[], Awaitable[str]]
