"""The send request: POST /api/v1/sends answers at once (202); GET /api/v1/sends/{id} reports progress."""

# No `from __future__ import annotations`: Litestar must see the handlers' annotation objects.

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath, HeaderParameter, QueryParameter

from application.queries import MAX_PAGE_SIZE
from application.sending.send import SendMessages
from domain.access import Principal
from domain.keys import require_id
from entrypoints.http.resource import use_case, use_case_named
from entrypoints.http.schemas.sending import SendIn, SendOut, SendProgressOut, progress_out, send_out

EXAMPLE = {
    "communicationTypeId": 1,
    "text": "Hello, {{ client.firstName }}! Your code is {{ code }}.",
    "subject": "Your code",
    "variables": {"code": "4711"},
    "clientIds": [1, 2],
    "channels": [3, 1],
}


ANSWER_EXAMPLE = {
    "sendId": 17,
    "acceptedCount": 1,
    "refusedCount": 1,
    "accepted": [
        {
            "clientId": 1,
            "uuid": "3f1c2b7e-8a4d-4c1e-9b0f-2d6a5e7c8b91",
            "channelId": 3,
            "scheduledAt": "2026-12-01T10:00:00.000+00:00",
        }
    ],
    "refused": [{"clientId": 2, "reason": "no_contact", "message": "the client has no email address"}],
}


# Looked up in the handler, not a Litestar dependency: resolving one costs every send a signature
# model parse and a cleanup group, as it did the resources' handlers (see resource.py).
_send_messages = use_case_named("send_messages")


class SendController(Controller):
    path = "/api/v1/sends"
    tags = ["sending"]  # noqa: RUF012
    dependencies = {"sending": use_case("send_messages")}  # noqa: RUF012

    @post(
        "",
        status_code=202,
        summary="Send a communication to clients, checked against the department's rules",
        description=(
            "Answers at once; dispatch happens in the background. Refused clients carry a documented "
            "reason. Above 1,000 clients the answer has the counts only: page the lists under "
            "GET /api/v1/sends/{sendId}. The same Idempotency-Key within 24 h answers the first result."
        ),
        operation_id="send",
        responses={
            202: ResponseSpec(
                SendOut,
                description="Accepted: the communications are queued; refused clients carry a reason",
                examples=[Example(summary="One accepted, one refused", value=ANSWER_EXAMPLE)],
            )
        },
    )
    async def send(
        self,
        request: Request[Principal, Any, Any],
        state: State,
        data: Annotated[
            SendIn, Body(examples=[Example(summary="Two clients, email then SMS", value=EXAMPLE)])
        ],
        idempotency_key: Annotated[
            str | None, HeaderParameter(name="Idempotency-Key", min_length=1, max_length=255, required=False)
        ] = None,
    ) -> SendOut:
        # Errors name domain attributes; the error handler spells them as this route's camelCase.
        sending: SendMessages = _send_messages(state)
        return send_out(await sending(request.user, data.to_command(idempotency_key)))

    @get(
        "/{send_id:str}",
        summary="A send's progress and its accepted and refused clients, paged",
        operation_id="getSend",
    )
    async def progress(
        self,
        request: Request[Principal, Any, Any],
        sending: NamedDependency[SendMessages],
        send_id: FromPath[str],
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE_SIZE)] = 100,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> SendProgressOut:
        return progress_out(
            await sending.progress(request.user, require_id(send_id, "send_id"), limit=limit, offset=offset)
        )


CONTROLLERS = [SendController]
