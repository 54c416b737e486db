"""/api/v1/webhook-subscriptions: front systems hear of outcomes by signed webhooks."""

# No `from __future__ import annotations`: Litestar must see the handlers' annotation objects.

from typing import Annotated, Any

from litestar import Controller, post
from litestar import get as get_route
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter

from application.queries import Query
from application.webhooks.subscriptions import WebhookSubscriptions
from domain.keys import require_id
from entrypoints.http.auth import manage_system
from entrypoints.http.resource import Resource, resource_controller
from entrypoints.http.schemas.times import answer
from entrypoints.http.schemas.webhooks import (
    DeliveriesOut,
    DeliveryOut,
    SubscriptionIn,
    SubscriptionOut,
    SubscriptionPatch,
    subscription_out,
)


def _catalog(state: State) -> Any:
    return state.container.delivery.webhook_subscriptions()


CATALOG = Provide(_catalog, sync_to_thread=False)

SubscriptionsResource = resource_controller(
    Resource(
        path="/api/v1/webhook-subscriptions",
        tag="webhook subscriptions",
        use_case="webhook_subscriptions",
        use_case_of=_catalog,
        create=SubscriptionIn,
        change=SubscriptionPatch,
        out=SubscriptionOut,
        to_out=subscription_out,
        write_guards=[manage_system],
        sortable=("id", "url"),
    )
)
SubscriptionsResource.guards = [manage_system]  # type: ignore[misc]


class WebhookActionsController(Controller):
    tags = ["webhook subscriptions"]  # noqa: RUF012
    guards = [manage_system]  # noqa: RUF012
    dependencies = {"catalog": CATALOG}  # noqa: RUF012

    @post(
        "/api/v1/webhook-subscriptions/new",
        summary="Create a subscription; the answer shows its secret in full, this once",
    )
    async def create_revealing(
        self, catalog: NamedDependency[WebhookSubscriptions], data: JSONBody[SubscriptionIn]
    ) -> SubscriptionOut:
        return subscription_out(await catalog.create(data.as_command(catalog.command)), reveal=True)

    @get_route(
        "/api/v1/webhook-subscriptions/{key:str}/deliveries", summary="The subscription's delivery log"
    )
    async def deliveries(
        self,
        catalog: NamedDependency[WebhookSubscriptions],
        key: FromPath[str],
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
        offset: Annotated[int, QueryParameter(ge=0, le=2**31 - 1)] = 0,
    ) -> DeliveriesOut:
        subscription = await catalog.find(key)
        page = await catalog.deliveries(subscription.id or 0, Query(limit=limit, offset=offset))
        return answer(page, DeliveriesOut)

    @post(
        "/api/v1/webhook-deliveries/{delivery_id:str}/redeliver",
        status_code=200,
        summary="Queue a delivery again from now (same webhook-id), with a fresh round of tries",
    )
    async def redeliver(
        self, catalog: NamedDependency[WebhookSubscriptions], delivery_id: FromPath[str]
    ) -> DeliveryOut:
        return answer(await catalog.redeliver(require_id(delivery_id, "delivery_id")), DeliveryOut)


CONTROLLERS = [SubscriptionsResource, WebhookActionsController]
