"""The Beeline PBX's side (seed 004): its event webhook and our event subscriptions.

The webhook is public (the PBX cannot log in): the secret is the token in its path. A wrong token
answers 404 before the body is read. A well-formed event answers 200 once it is kept in the inbox
(one group commit for many deliveries); the worker applies it moments later. The XSI HTTP contact
expects exactly 200, and the PBX does not resend what got one.
"""

# No `from __future__ import annotations`: Litestar must see the handlers' annotation objects.

from typing import Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, JSONBody

from adapters.beeline.xsi import parse_event
from application.telephony.inbox import EventInbox
from application.telephony.subscriptions import PbxSubscriptionService, WebhookToken
from domain.keys import require_id
from entrypoints.http.auth import manage_system
from entrypoints.http.controllers.telephony_support import telephony
from entrypoints.http.schemas.telephony import (
    SubscriptionIn,
    SubscriptionOut,
    SubscriptionsOut,
    subscription_out,
    subscriptions_out,
)


class BeelineWebhookController(Controller):
    tags = ["PBX (seed 004)"]  # noqa: RUF012
    dependencies = {"events": telephony("event_inbox"), "webhook": telephony("webhook_token")}  # noqa: RUF012

    @post(
        "/webhooks/beeline/{token:str}",
        status_code=200,
        summary="BroadWorks XSI events posted by the Beeline PBX (application/xml)",
        description="The token is BEELINE_WEBHOOK_TOKEN or the generated one the subscriptions API shows.",
    )
    async def beeline_event(
        self,
        request: Request[Any, Any, Any],
        token: FromPath[str],
        events: NamedDependency[EventInbox],
        webhook: NamedDependency[WebhookToken],
    ) -> Response[bytes]:
        if not await webhook.accepts(token):
            raise NotFoundException("Not Found")
        await events.accept(parse_event(await request.body()))
        return Response(b"", status_code=200, media_type="text/plain")


class PbxSubscriptionsController(Controller):
    path = "/api/v1/telephony/subscriptions"
    tags = ["PBX (seed 004)"]  # noqa: RUF012
    guards = [manage_system]  # noqa: RUF012
    dependencies = {"subscriptions": telephony("pbx_subscriptions")}  # noqa: RUF012

    @get("", summary="PBX event subscriptions with their state and expiry, and the webhook they post to")
    async def list_subscriptions(
        self, subscriptions: NamedDependency[PbxSubscriptionService]
    ) -> SubscriptionsOut:
        return subscriptions_out(await subscriptions.list())

    @post("", summary="Subscribe the webhook to the PBX's call events (renewed by the worker)")
    async def create_subscription(
        self, subscriptions: NamedDependency[PbxSubscriptionService], data: JSONBody[SubscriptionIn]
    ) -> SubscriptionOut:
        return subscription_out(await subscriptions.create(data.to_command()))

    @get("/{subscription_id:str}", summary="One PBX subscription")
    async def get_subscription(
        self, subscriptions: NamedDependency[PbxSubscriptionService], subscription_id: FromPath[str]
    ) -> SubscriptionOut:
        return subscription_out(await subscriptions.get(require_id(subscription_id, "subscription_id")))

    @delete("/{subscription_id:str}", summary="End the subscription at the PBX and forget it")
    async def drop_subscription(
        self, subscriptions: NamedDependency[PbxSubscriptionService], subscription_id: FromPath[str]
    ) -> None:
        await subscriptions.drop(require_id(subscription_id, "subscription_id"))


CONTROLLERS = [BeelineWebhookController, PbxSubscriptionsController]
