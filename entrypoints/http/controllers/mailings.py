"""Mailings: /api/v1/mailings (CRUD, start/pause/resume/cancel, progress). Every route needs
``send_communications``: a mailing is a send repeated on a schedule."""

# No `from __future__ import annotations`: Litestar must see the handlers' annotation objects.

from typing import Annotated, Any

from litestar import Controller, Request, delete, get, post, put
from litestar.di import NamedDependency
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath, QueryParameter

from application.mailings.mailings import Mailings
from application.queries import MAX_PAGE_SIZE
from domain.access import Permission, Principal
from domain.keys import require_id
from entrypoints.http.auth import requires
from entrypoints.http.resource import use_case
from entrypoints.http.schemas.mailings import (
    MailingIn,
    MailingOut,
    MailingPageOut,
    MailingProgressOut,
    mailing_out,
    progress_out,
)

send_communications = requires(Permission.SEND_COMMUNICATIONS)


def _id(text: str) -> int:
    """The mailing id of the path: a 400 naming ``mailingId`` unless ASCII digits within 64 bits."""
    return require_id(text, "mailing_id")


WEEKLY = {
    "name": "Monday news",
    "communicationTypeId": 1,
    "channels": [3, 1],
    "subject": "News for {{ client.firstName }}",
    "text": "Hello, {{ client.firstName }}! This week: {{ headline }}.",
    "variables": {"headline": "new branches"},
    "projectId": 1,
    "cron": "0 9 * * 1",
    "timeZone": "Europe/Moscow",
    "start": True,
}
ONCE = {
    "name": "Spring offer",
    "communicationTypeId": 1,
    "channels": [1],
    "documentId": 2,
    "groupId": 4,
    "at": "2026-03-02T10:00:00+03:00",
}
EXAMPLES = [
    Example(summary="Every Monday at 09:00 Moscow time, to a project, inline text", value=WEEKLY),
    Example(summary="Once, to a group, with a document (template); a draft until started", value=ONCE),
]
ACTION = "Invalid in the mailing's status: 409 naming the status."


class MailingsController(Controller):
    path = "/api/v1/mailings"
    tags = ["mailings (seed 001)"]  # noqa: RUF012
    guards = [send_communications]  # noqa: RUF012
    dependencies = {"mailings": use_case("mailings")}  # noqa: RUF012

    @get("", summary="Mailings, by id, one page", operation_id="listMailings")
    async def list_mailings(
        self,
        request: Request[Principal, Any, Any],
        mailings: NamedDependency[Mailings],
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE_SIZE)] = 50,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> MailingPageOut:
        items, total = await mailings.page(request.user, limit=limit, offset=offset)
        return MailingPageOut(items=[mailing_out(m) for m in items], total=total)

    @post(
        "",
        status_code=201,
        summary="Create a mailing: once (at) or recurring (cron in a time zone)",
        description=(
            "Audience: exactly one of projectId, groupId, clientIds. Content: documentId, or inline "
            "subject/text/html with variables. A draft unless start is true. Each run is a send request "
            "made by process:scheduler, under the department's rules."
        ),
        operation_id="createMailing",
    )
    async def create_mailing(
        self,
        request: Request[Principal, Any, Any],
        mailings: NamedDependency[Mailings],
        data: Annotated[MailingIn, Body(examples=EXAMPLES)],
    ) -> MailingOut:
        return mailing_out(await mailings.create(request.user, data.to_command()))

    @get("/{mailing_id:str}", summary="One mailing", operation_id="getMailing")
    async def get_mailing(
        self,
        request: Request[Principal, Any, Any],
        mailings: NamedDependency[Mailings],
        mailing_id: FromPath[str],
    ) -> MailingOut:
        return mailing_out(await mailings.get(request.user, _id(mailing_id)))

    @put(
        "/{mailing_id:str}",
        summary="Replace a mailing's content, audience and schedule",
        description="Not while a run is being started (409). A started mailing's next run is recomputed.",
        operation_id="replaceMailing",
    )
    async def replace_mailing(
        self,
        request: Request[Principal, Any, Any],
        mailings: NamedDependency[Mailings],
        mailing_id: FromPath[str],
        data: Annotated[MailingIn, Body(examples=EXAMPLES)],
    ) -> MailingOut:
        return mailing_out(await mailings.change(request.user, _id(mailing_id), data.to_command()))

    @delete(
        "/{mailing_id:str}",
        status_code=204,
        summary="Delete a mailing and its runs",
        operation_id="deleteMailing",
    )
    async def delete_mailing(
        self,
        request: Request[Principal, Any, Any],
        mailings: NamedDependency[Mailings],
        mailing_id: FromPath[str],
    ) -> None:
        await mailings.delete(request.user, _id(mailing_id))

    @post("/{mailing_id:str}/start", status_code=200, summary="draft -> scheduled", description=ACTION)
    async def start(
        self,
        request: Request[Principal, Any, Any],
        mailings: NamedDependency[Mailings],
        mailing_id: FromPath[str],
    ) -> MailingOut:
        return mailing_out(await mailings.start(request.user, _id(mailing_id)))

    @post(
        "/{mailing_id:str}/pause",
        status_code=200,
        summary="scheduled or running -> paused",
        description=ACTION,
    )
    async def pause(
        self,
        request: Request[Principal, Any, Any],
        mailings: NamedDependency[Mailings],
        mailing_id: FromPath[str],
    ) -> MailingOut:
        return mailing_out(await mailings.pause(request.user, _id(mailing_id)))

    @post(
        "/{mailing_id:str}/resume",
        status_code=200,
        summary="paused -> scheduled, from now on",
        description=ACTION,
    )
    async def resume(
        self,
        request: Request[Principal, Any, Any],
        mailings: NamedDependency[Mailings],
        mailing_id: FromPath[str],
    ) -> MailingOut:
        return mailing_out(await mailings.resume(request.user, _id(mailing_id)))

    @post(
        "/{mailing_id:str}/cancel",
        status_code=200,
        summary="any non-final status -> cancelled",
        description=ACTION,
    )
    async def cancel(
        self,
        request: Request[Principal, Any, Any],
        mailings: NamedDependency[Mailings],
        mailing_id: FromPath[str],
    ) -> MailingOut:
        return mailing_out(await mailings.cancel(request.user, _id(mailing_id)))

    @get(
        "/{mailing_id:str}/progress",
        summary="Counts by lifecycle and delivery status, per run and in all",
        operation_id="getMailingProgress",
    )
    async def progress(
        self,
        request: Request[Principal, Any, Any],
        mailings: NamedDependency[Mailings],
        mailing_id: FromPath[str],
    ) -> MailingProgressOut:
        return progress_out(await mailings.progress(request.user, _id(mailing_id)))


CONTROLLERS = [MailingsController]
