"""Front systems' webhook subscriptions: CRUD with a write-only secret, the delivery log, redelivery."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Mapping
from typing import Any, ClassVar

from application.managed_entities import Catalog, Command, Unique, command_for
from application.ports import Repository, UnitOfWork
from application.queries import Page, Query
from application.searches import WebhookDeliveryFields, WebhookSubscriptionFields
from domain.errors import NotFound
from domain.webhooks import WebhookDelivery, WebhookSubscription


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 24 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


class WebhookSubscriptions(Catalog[WebhookSubscription]):
    """Subscriptions of front systems to Switchboard's events, and what was delivered to them."""

    kind = "webhook subscription"
    # The secret may be left out: one is made for the subscription.
    command = command_for(
        WebhookSubscription,
        "NewWebhookSubscription",
        without=("secret",),
        extra=(("secret", "str | None", None),),
    )
    fields = WebhookSubscriptionFields
    key_fields = (WebhookSubscriptionFields.url,)
    search_fields = (WebhookSubscriptionFields.url,)
    unique: ClassVar[tuple[Unique, ...]] = ()

    def repo(self, uow: UnitOfWork) -> Repository[WebhookSubscription]:
        return uow.webhook_subscriptions

    def build(self, values: Mapping[str, Any]) -> WebhookSubscription:
        given = dict(values)
        if not given.get("secret"):
            given["secret"] = new_secret()
        return WebhookSubscription(**given)

    def changes(self, current: WebhookSubscription, patch: Command) -> dict[str, Any]:
        """Enabling a disabled subscription clears its reason; a secret left out is kept."""
        changes = {k: v for k, v in super().changes(current, patch).items() if not (k == "secret" and not v)}
        if changes.get("active") is True:
            changes["disabled_reason"] = None
        return changes

    async def deliveries(self, subscription_id: int, query: Query) -> Page[WebhookDelivery]:
        """The subscription's delivery log, newest first."""
        async with self._uow_factory(read_only=True) as uow:
            await self.load(uow, subscription_id)
            criteria = (*query.criteria, WebhookDeliveryFields.subscription_id.eq(subscription_id))
            items = await uow.webhook_deliveries.find(
                Query(criteria, order_by=("-create_time", "-id"), limit=query.limit, offset=query.offset)
            )
            total = await uow.webhook_deliveries.count(*criteria)
        return Page(items=items, total=total, limit=query.limit, offset=query.offset)

    async def redeliver(self, delivery_id: int) -> WebhookDelivery:
        """Queue a delivery again from now, with a fresh round of tries (same webhook-id)."""
        async with self._uow_factory() as uow:
            delivery = await uow.webhook_deliveries.get(delivery_id)
            if delivery is None:
                raise NotFound("webhook delivery", delivery_id)
            delivery.redeliver(self._clock.now())
            await uow.webhook_deliveries.update(delivery)
            await uow.commit()
        return delivery
