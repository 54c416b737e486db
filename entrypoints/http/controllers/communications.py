"""Canonical communication routes (/api/v1/communications) and what the seed 002 routes share.

Handlers are thin: decode, call a use case with the caller (``request.user``), encode. Reading
needs a login only; every change is checked against the caller's send grant by the use case.
"""

# No `from __future__ import annotations`: Litestar must see the handlers' annotation objects.

from typing import Any

from litestar import Controller, Request, Response, get, post, route
from litestar.di import NamedDependency, Provide
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath, JSONBody, SkipValidation
from litestar.types import Method as HttpMethod

from application.communications.bulk import BulkStatusUpdate
from application.communications.listing import CommunicationFilter, PageRequest
from application.communications.recording import CommunicationChange, CommunicationKey, Communications
from domain.access import Principal
from domain.errors import InvalidTransition
from domain.keys import id_or_name
from entrypoints.http.errors import error_response
from entrypoints.http.query_form import query_form
from entrypoints.http.resource import use_case
from entrypoints.http.schemas.communications import (
    BulkOutcomeOut,
    BulkStatusIn,
    CancelIn,
    CloseIn,
    CommunicationIn,
    CommunicationOut,
    CommunicationPageOut,
    CommunicationPatch,
    FailIn,
    FilterFields,
    HistoryOut,
    PageFields,
    bulk_out,
    communication_out,
    filters_of,
    history_out,
    page_of,
    page_out,
)

# The list's filters and page, declared once (schemas/communications/listing.py) and read here
# from the query string; the query string names the uuids filter in the singular.
communication_filters = query_form(FilterFields, filters_of, names={"uuids": "uuid"})
communication_page = query_form(PageFields, page_of)


Filtering = NamedDependency[SkipValidation[CommunicationFilter]]
Paging = NamedDependency[SkipValidation[PageRequest]]

LIST_DEPENDENCIES = {
    "communications": use_case("communications"),
    "filtering": Provide(communication_filters, sync_to_thread=False),
    "paging": Provide(communication_page, sync_to_thread=False),
}


def invalid_transition(_: Request[Any, Any, Any], exc: InvalidTransition) -> Response[Any]:
    """409 naming both statuses in fields too, so a client need not parse the message."""
    return error_response(409, exc.message, currentStatus=exc.current, requestedStatus=exc.requested)


TRANSITION_HANDLERS: dict[type[Exception] | int, Any] = {InvalidTransition: invalid_transition}


def key_of(text: str) -> CommunicationKey:
    """An id when the key is ASCII digits, else a uuid."""
    return id_or_name(text)


def operation_ids(v1_id: str, service_id: str) -> Any:
    """Each path of a shared handler keeps the OpenAPI operation id it had on its own."""

    def operation_id(handler: Any, method: Any, components: list[Any]) -> str:
        return v1_id if components and components[0] == "api" else service_id

    return operation_id


# One handler per behaviour, registered under the /api/v1 path and the communications-service one.
BOTH_TAGS = ["communications", "communications (seed 002)"]


@get(
    ["/api/v1/communications", "/v3/communications"],
    summary="List communications; filters as query parameters, combined",
    operation_id=operation_ids("listCommunications", "V3CommunicationsListV3"),
    dependencies=LIST_DEPENDENCIES,
    tags=BOTH_TAGS,
)
async def list_communications(
    communications: NamedDependency[Communications], filtering: Filtering, paging: Paging
) -> CommunicationPageOut:
    return page_out(await communications.find(filtering, paging))


@post(
    ["/api/v1/communications", "/v2/communications"],
    summary="Record a communication (fact or planned)",
    operation_id=operation_ids("createCommunication", "V2CommunicationsCreate"),
    dependencies={"communications": use_case("communications")},
    exception_handlers=TRANSITION_HANDLERS,
    tags=BOTH_TAGS,
)
async def create_communication(
    request: Request[Principal, Any, Any],
    communications: NamedDependency[Communications],
    data: JSONBody[CommunicationIn],
) -> CommunicationOut:
    return communication_out(await communications.create(request.user, data.to_command()), [])


class CommunicationsController(Controller):
    path = "/api/v1/communications"
    tags = ["communications"]  # noqa: RUF012
    dependencies = {**LIST_DEPENDENCIES, "bulk": use_case("bulk_status_update")}  # noqa: RUF012
    exception_handlers = TRANSITION_HANDLERS

    @post(
        "/bulk-status",
        status_code=200,
        summary="Set the status of one communication, a department's, a client's, a group's or all",
        operation_id="bulkCommunicationStatus",
    )
    async def bulk_status(
        self,
        request: Request[Principal, Any, Any],
        bulk: NamedDependency[BulkStatusUpdate],
        data: JSONBody[BulkStatusIn],
    ) -> BulkOutcomeOut:
        return bulk_out(await bulk(request.user, data.to_command()))

    @get("/{key:str}", summary="One communication, by id or uuid", operation_id="getCommunication")
    async def get_communication(
        self, communications: NamedDependency[Communications], key: FromPath[str]
    ) -> CommunicationOut:
        details = await communications.details(key_of(key))
        return communication_out(details.communication, details.external_ids)

    @post(
        "/{key:str}/start",
        status_code=200,
        summary="created -> in_progress",
        operation_id="startCommunication",
    )
    async def start(
        self,
        request: Request[Principal, Any, Any],
        communications: NamedDependency[Communications],
        key: FromPath[str],
    ) -> CommunicationOut:
        return communication_out(await communications.start(request.user, key_of(key)))

    @get(
        "/{key:str}/history", summary="Every change: who, when, from, to", operation_id="communicationHistory"
    )
    async def history(
        self, communications: NamedDependency[Communications], key: FromPath[str]
    ) -> HistoryOut:
        found = await communications.history(key_of(key))
        return history_out(found.communication, found.entries)


# --- One handler per behaviour, registered under the /api/v1 path and the communications-service
# one. The two differ only in the key: /api/v1 takes an id or a uuid, the service a uuid alone.


def by_id_or_uuid(key: FromPath[str]) -> CommunicationKey:
    return key_of(key)


def by_uuid(uuid: FromPath[str]) -> CommunicationKey:
    return uuid


Target = NamedDependency[SkipValidation[CommunicationKey]]
"""The communication a route names, as its path spells it."""

V1_ITEM = "/api/v1/communications/{key:str}"
SERVICE_ITEM = "/v2/communications/{uuid:str}"
ON_V1: dict[str, Any] = {
    "dependencies": {
        "communications": use_case("communications"),
        "target": Provide(by_id_or_uuid, sync_to_thread=False),
    },
    "exception_handlers": TRANSITION_HANDLERS,
    "tags": ["communications"],
}
ON_SERVICE: dict[str, Any] = {
    "dependencies": {
        "communications": use_case("communications"),
        "target": Provide(by_uuid, sync_to_thread=False),
    },
    "exception_handlers": TRANSITION_HANDLERS,
    "tags": ["communications (seed 002)"],
}


async def change_communication(
    request: Request[Principal, Any, Any],
    communications: NamedDependency[Communications],
    target: Target,
    data: JSONBody[CommunicationPatch],
) -> CommunicationOut:
    return communication_out(
        await communications.edit(request.user, target, data.as_command(CommunicationChange))
    )


async def close_communication(
    request: Request[Principal, Any, Any],
    communications: NamedDependency[Communications],
    target: Target,
    data: JSONBody[CloseIn | None] = None,
) -> CommunicationOut:
    result = data.result if data is not None else None
    return communication_out(await communications.close(request.user, target, result))


async def fail_communication(
    request: Request[Principal, Any, Any],
    communications: NamedDependency[Communications],
    target: Target,
    data: JSONBody[FailIn],
) -> CommunicationOut:
    return communication_out(await communications.fail(request.user, target, data.reason))


async def cancel_communication(
    request: Request[Principal, Any, Any],
    communications: NamedDependency[Communications],
    target: Target,
    data: JSONBody[CancelIn | None] = None,
) -> CommunicationOut:
    reason = data.reason if data is not None else None
    return communication_out(await communications.cancel(request.user, target, reason))


async def delete_communication(
    request: Request[Principal, Any, Any], communications: NamedDependency[Communications], target: Target
) -> None:
    await communications.delete(request.user, target)


def action(
    handler: Any, method: HttpMethod, path: str, summary: str, operation_id: str, on: dict[str, Any]
) -> HTTPRouteHandler:
    """``handler`` registered under one more path; each path keeps the method, summary and
    OpenAPI operation id it had when it had a handler of its own. A POST action answers 200."""
    status = 200 if method == "POST" else None
    return route(
        path, http_method=method, status_code=status, summary=summary, operation_id=operation_id, **on
    )(handler)


V1_ACTIONS = [
    action(
        change_communication,
        "PATCH",
        V1_ITEM,
        "Change a communication's fields",
        "changeCommunication",
        ON_V1,
    ),
    action(
        close_communication,
        "POST",
        f"{V1_ITEM}/close",
        "-> done (finish time set)",
        "closeCommunication",
        ON_V1,
    ),
    action(
        fail_communication,
        "POST",
        f"{V1_ITEM}/fail",
        "-> failed ('out'), with a reason",
        "failCommunication",
        ON_V1,
    ),
    action(
        cancel_communication,
        "POST",
        f"{V1_ITEM}/cancel",
        "-> cancelled (planned only)",
        "cancelCommunication",
        ON_V1,
    ),
    action(
        delete_communication,
        "DELETE",
        V1_ITEM,
        "Delete a communication with its history",
        "deleteCommunication",
        ON_V1,
    ),
]

CONTROLLERS = [CommunicationsController, list_communications, create_communication, *V1_ACTIONS]
