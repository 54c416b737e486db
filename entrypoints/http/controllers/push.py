"""Browser push subscriptions of a client, and the VAPID key browsers subscribe with (/api/v1)."""

# No `from __future__ import annotations`: Litestar must see the handlers' annotation objects.

from typing import Any

from litestar import Controller, delete, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from application.clients import Clients
from application.sending.push import PushSubscriptions
from domain.keys import require_id
from entrypoints.http.auth import manage_clients
from entrypoints.http.resource import use_case
from entrypoints.http.schemas.push import (
    PushSubscriptionIn,
    PushSubscriptionListOut,
    PushSubscriptionOut,
    VapidKeyOut,
    push_subscription_out,
)


class PushSubscriptionsController(Controller):
    path = "/api/v1"
    tags = ["push subscriptions"]  # noqa: RUF012
    dependencies = {  # noqa: RUF012
        "clients": use_case("clients"),
        "push_subscriptions": use_case("push_subscriptions"),
    }

    @post(
        "/clients/{key:str}/push-subscriptions",
        guards=[manage_clients],
        status_code=201,
        summary="Keep a browser's push subscription for the client (the same endpoint again updates it)",
    )
    async def subscribe(
        self,
        clients: NamedDependency[Clients],
        push_subscriptions: NamedDependency[PushSubscriptions],
        key: FromPath[str],
        data: JSONBody[PushSubscriptionIn],
    ) -> PushSubscriptionOut:
        command = data.to_command()
        client = await clients.find(key)
        assert client.id is not None
        return push_subscription_out(await push_subscriptions.subscribe(client.id, command))

    @get("/clients/{key:str}/push-subscriptions", summary="The client's browser push subscriptions")
    async def list_subscriptions(
        self,
        clients: NamedDependency[Clients],
        push_subscriptions: NamedDependency[PushSubscriptions],
        key: FromPath[str],
    ) -> PushSubscriptionListOut:
        client = await clients.find(key)
        assert client.id is not None
        found = await push_subscriptions.of_client(client.id)
        return PushSubscriptionListOut(items=[push_subscription_out(s) for s in found], total=len(found))

    @delete(
        "/clients/{key:str}/push-subscriptions/{subscription_id:str}",
        guards=[manage_clients],
        status_code=204,
        summary="Forget one push subscription of the client",
    )
    async def unsubscribe(
        self,
        clients: NamedDependency[Clients],
        push_subscriptions: NamedDependency[PushSubscriptions],
        key: FromPath[str],
        subscription_id: FromPath[str],
    ) -> None:
        wanted = require_id(subscription_id, "subscription_id")
        client = await clients.find(key)
        assert client.id is not None
        await push_subscriptions.remove(client.id, wanted)

    @get("/push/vapid-public-key", summary="The applicationServerKey browsers subscribe with")
    async def vapid_public_key(self, state: State) -> VapidKeyOut:
        key: Any = state.container.vapid_key()
        return VapidKeyOut(public_key=await key.for_browsers())


CONTROLLERS = [PushSubscriptionsController]
