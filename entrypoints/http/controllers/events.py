"""Delivery statuses in real time: GET /api/v1/events (Server-Sent Events) and delivery refresh."""

# No `from __future__ import annotations`: Litestar must see the handlers' annotation objects.

from collections.abc import AsyncIterator
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.openapi.spec import Example
from litestar.params import Body, HeaderParameter, QueryParameter
from litestar.response import ServerSentEvent, ServerSentEventMessage

from application.events.ports import EventFilter, MissedCallCreated
from application.events.stream import EventStream
from application.sending.refresh import DeliveryRefresh
from domain.access import Permission, Principal
from entrypoints.http.auth import requires
from entrypoints.http.resource import use_case
from entrypoints.http.schemas.events import (
    DeliveryRefreshIn,
    DeliveryRefreshOut,
    event_data,
    refresh_out,
)

KEEP_ALIVE_SECONDS = 15.0
RECONNECT_MS = 2_000
MaxId = 2**31 - 1
MaxEventId = 2**63 - 1
send_communications = requires(Permission.SEND_COMMUNICATIONS)


class EventsController(Controller):
    path = "/api/v1/events"
    tags = ["events"]  # noqa: RUF012
    dependencies = {"stream": use_case("event_stream")}  # noqa: RUF012

    @get(
        "",
        summary=(
            "Server-Sent Events: communication.status_changed, send.completed, missed_call.created; "
            "from now or after Last-Event-ID"
        ),
        # An endless stream: OpenAPI cannot describe it, and schema-driven tests would wait forever.
        include_in_schema=False,
    )
    async def events(
        self,
        request: Request[Principal, Any, Any],
        stream: NamedDependency[EventStream],
        send_id: Annotated[int | None, QueryParameter(name="sendId", ge=1, le=MaxId)] = None,
        mailing_id: Annotated[int | None, QueryParameter(name="mailingId", ge=1, le=MaxId)] = None,
        client_id: Annotated[int | None, QueryParameter(name="clientId", ge=1, le=MaxId)] = None,
        last_event_id: Annotated[
            int | None, HeaderParameter(name="Last-Event-ID", ge=0, le=MaxEventId, required=False)
        ] = None,
        max_events: Annotated[
            int | None, QueryParameter(name="maxEvents", ge=1, le=10_000, description="end after this many")
        ] = None,
    ) -> ServerSentEvent:
        where = EventFilter(send_id=send_id, mailing_id=mailing_id, client_id=client_id)
        # Missed calls are the queue's (its stream needs the same permission): callers' numbers.
        sees_missed_calls = request.user.has(Permission.SEND_COMMUNICATIONS)

        async def messages() -> AsyncIterator[ServerSentEventMessage]:
            sent = 0
            # Tells the listener it is subscribed: changes from now on will reach it.
            # data=None: a comment with an empty data line would reach EventSource as an empty message.
            yield ServerSentEventMessage(comment="ready", data=None, retry=RECONNECT_MS)
            if max_events is not None and sent >= max_events:
                return
            async for stored in stream.follow(last_event_id, where, idle=KEEP_ALIVE_SECONDS):
                if stored is None:
                    yield ServerSentEventMessage(comment="keep-alive", data=None)
                    continue
                if isinstance(stored.event, MissedCallCreated) and not sees_missed_calls:
                    continue
                yield ServerSentEventMessage(
                    id=str(stored.id), event=stored.event.type, data=event_data(stored.event)
                )
                sent += 1
                if max_events is not None and sent >= max_events:
                    return

        return ServerSentEvent(messages())


REFRESH_EXAMPLE = {"clientId": 42}


class DeliveryRefreshController(Controller):
    path = "/api/v1/communications/delivery-refresh"
    tags = ["communications"]  # noqa: RUF012
    dependencies = {"refresh": use_case("delivery_refresh")}  # noqa: RUF012

    @post(
        "",
        status_code=200,
        guards=[send_communications],
        summary="Ask the providers that can poll for the statuses of messages still in flight",
        description=(
            "Scope: exactly one of uuid, all (true), departmentId, clientId, groupId. Only communications "
            "sent and not finally delivered or failed, whose provider answers status queries, are asked. "
            "Changes are recorded as provider reports and published on GET /api/v1/events."
        ),
        operation_id="refreshDeliveryStatuses",
    )
    async def refresh(
        self,
        request: Request[Principal, Any, Any],
        refresh: NamedDependency[DeliveryRefresh],
        data: Annotated[
            DeliveryRefreshIn,
            Body(examples=[Example(summary="One client's messages", value=REFRESH_EXAMPLE)]),
        ],
    ) -> DeliveryRefreshOut:
        return refresh_out(await refresh(request.user, data.to_command()))


CONTROLLERS = [EventsController, DeliveryRefreshController]
