"""Twilio's callbacks: message statuses and inbound messages (SMS and WhatsApp).

Public routes (Twilio cannot log in): each request must carry a valid ``X-Twilio-Signature`` over
PUBLIC_URL + path + query and its form fields. Anything unsigned or wrongly signed answers 403 before
anything is read into storage.
"""

# No `from __future__ import annotations`: Litestar must see the handlers' annotation objects.

from typing import Annotated, Any

from litestar import Controller, Request, Response, post
from litestar.datastructures import State
from litestar.exceptions import PermissionDeniedException
from litestar.params import QueryParameter

from adapters.twilio.webhooks import Form, TwilioWebhooks
from domain.errors import NotFound
from domain.providers import ProviderKind
from entrypoints.http.errors import error_responses

PROVIDER = (
    "a provider configured by /api/v1/providers whose auth token signs the request; else TWILIO_AUTH_TOKEN"
)
EMPTY_TWIML = b'<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


async def _webhooks(state: State, provider: str) -> TwilioWebhooks | None:
    """The account whose token signs this request: a provider configured by the API, or the env's."""
    delivery = state.container.delivery
    if not provider:
        found: TwilioWebhooks | None = delivery.twilio_webhooks()
        return found
    try:
        configured = await delivery.catalog().find(provider)
    except NotFound:
        return None
    token = configured.secrets.get("auth_token")
    if not token or configured.kind not in (ProviderKind.TWILIO, ProviderKind.TWILIO_WHATSAPP):
        return None
    return TwilioWebhooks(token, state.container.config.public_url())


async def _verified(request: Request[Any, Any, Any], state: State) -> tuple[Form, Any]:
    webhooks = await _webhooks(state, request.query_params.get("provider", ""))
    body = await request.body()
    query = request.scope.get("query_string", b"").decode("latin-1")
    path = request.url.path + (f"?{query}" if query else "")
    form = webhooks.verified(path, body, request.headers.get("x-twilio-signature")) if webhooks else None
    if form is None or webhooks is None:
        raise PermissionDeniedException("the request is not signed by Twilio")
    return form, webhooks


class TwilioWebhookController(Controller):
    path = "/webhooks/twilio"
    tags = ["Provider webhooks"]  # noqa: RUF012

    @post(
        "/status",
        status_code=200,
        summary="Twilio message status callback (form-encoded, X-Twilio-Signature)",
        responses=error_responses(400, 403),
        description="Set as StatusCallback on every message sent; the uuid names the communication.",
    )
    async def twilio_status(
        self,
        request: Request[Any, Any, Any],
        state: State,
        uuid: Annotated[str, QueryParameter(max_length=64, description="the communication's uuid")] = "",
        provider: Annotated[str, QueryParameter(max_length=64, description=PROVIDER)] = "",
    ) -> Response[bytes]:
        form, webhooks = await _verified(request, state)
        if uuid:
            await state.container.delivery.callbacks().status(webhooks.status_callback(form, uuid))
        return Response(b"", status_code=200, media_type="text/plain")

    @post(
        "/inbound",
        status_code=200,
        summary="Twilio inbound message webhook (form-encoded, X-Twilio-Signature); answers empty TwiML",
        responses=error_responses(403),
    )
    async def twilio_inbound(
        self,
        request: Request[Any, Any, Any],
        state: State,
        provider: Annotated[str, QueryParameter(max_length=64, description=PROVIDER)] = "",
    ) -> Response[bytes]:
        form, webhooks = await _verified(request, state)
        await state.container.delivery.callbacks().inbound(webhooks.inbound(form))
        return Response(EMPTY_TWIML, status_code=200, media_type="text/xml")


CONTROLLERS = [TwilioWebhookController]
