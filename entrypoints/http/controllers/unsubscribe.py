"""The unsubscribe link of every email (RFC 8058) and the sandbox's outbox.

``POST /unsubscribe/{token}`` with ``List-Unsubscribe=One-Click`` is what mail clients send: no
login, the signed token is the proof. ``GET`` only shows a confirmation page with a button, since
link scanners fetch every URL in a mail and must not unsubscribe anyone.
"""

# No `from __future__ import annotations`: Litestar must see the handlers' annotation objects.

import html
from typing import Annotated, Any

from litestar import Controller, MediaType, Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter

from adapters.sandbox.sender import SandboxSender
from application.sending.unsubscribing import Unsubscribe
from domain.access import Permission, Principal
from entrypoints.http.resource import use_case
from entrypoints.http.schemas.common import Out, iso

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Unsubscribe</title></head>
<body style="font-family: sans-serif; max-width: 32em; margin: 4em auto">{body}</body></html>"""


class UnsubscribeController(Controller):
    path = "/unsubscribe"
    tags = ["sending"]  # noqa: RUF012
    dependencies = {"unsubscribe": use_case("unsubscribe")}  # noqa: RUF012

    @get(
        "/{token:str}",
        summary="Confirmation page of an unsubscribe link (changes nothing)",
        media_type=MediaType.HTML,
    )
    async def confirm_page(self, unsubscribe: NamedDependency[Unsubscribe], token: FromPath[str]) -> str:
        unsubscribe.read(token)
        action = html.escape(token, quote=True)
        return PAGE.format(
            body=(
                "<h1>Unsubscribe</h1><p>You will receive no more emails from us.</p>"
                f'<form method="post" action="{action}">'
                '<input type="hidden" name="List-Unsubscribe" value="One-Click">'
                '<button type="submit">Unsubscribe</button></form>'
            )
        )

    @post(
        "/{token:str}", status_code=200, summary="One-click unsubscribe (RFC 8058)", media_type=MediaType.HTML
    )
    async def one_click(self, unsubscribe: NamedDependency[Unsubscribe], token: FromPath[str]) -> str:
        await unsubscribe(token)
        return PAGE.format(body="<h1>Unsubscribed</h1><p>You will receive no more emails from us.</p>")


class SandboxMessageOut(Out):
    uuid: str
    client_id: int | None
    channel_id: int
    to: str
    subject: str | None
    text: str
    html: str | None
    headers: dict[str, str]
    sent_at: str


class SandboxPage(Out):
    items: list[SandboxMessageOut]
    total: int


def sandbox(state: State) -> Any:
    return state.container.core.sandbox()


class SandboxController(Controller):
    path = "/api/v1/sandbox"
    tags = ["sending"]  # noqa: RUF012
    dependencies = {"outbox": Provide(sandbox, sync_to_thread=False)}  # noqa: RUF012

    @get(
        "/messages",
        summary="What the sandbox provider sent, as recipients would get it",
        operation_id="sandboxMessages",
    )
    async def messages(
        self,
        request: Request[Principal, Any, Any],
        outbox: NamedDependency[SandboxSender],
        client_id: Annotated[int | None, QueryParameter(name="clientId", ge=1)] = None,
        uuid: Annotated[str | None, QueryParameter(max_length=36)] = None,
        channel_id: Annotated[int | None, QueryParameter(name="channelId", ge=1)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 50,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> SandboxPage:
        request.user.require(Permission.SEND_COMMUNICATIONS)
        found, total = outbox.page(
            client_id=client_id, uuid=uuid, channel_id=channel_id, limit=limit, offset=offset
        )
        items = [
            SandboxMessageOut(
                uuid=m.uuid,
                client_id=m.client_id,
                channel_id=m.channel_id,
                to=m.to,
                subject=m.subject,
                text=m.text,
                html=m.html,
                headers=dict(m.headers),
                sent_at=iso(m.sent_at) or "",
            )
            for m in found
        ]
        return SandboxPage(items=items, total=total)


CONTROLLERS = [UnsubscribeController, SandboxController]
