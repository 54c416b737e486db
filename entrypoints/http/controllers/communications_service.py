"""The communications-service routes (seed 002, docs/contracts.md), exactly as it names them.

The click-to-call route comes with telephony.
"""

# No `from __future__ import annotations`: Litestar must see the handlers' annotation objects.

from typing import Annotated, Any, Literal

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from application.communications.recording import Communications
from application.communications.translations import IdTranslations, TranslationFilter
from application.queries import MAX_OFFSET, MAX_PAGE_SIZE
from domain.access import Principal
from domain.errors import ValidationFailed
from entrypoints.http.controllers.communications import (
    LIST_DEPENDENCIES,
    ON_SERVICE,
    TRANSITION_HANDLERS,
    action,
    cancel_communication,
    change_communication,
    close_communication,
    delete_communication,
    fail_communication,
)
from entrypoints.http.controllers.communications import (
    SERVICE_ITEM as ITEM,
)
from entrypoints.http.resource import use_case
from entrypoints.http.schemas.common import page_struct, to_page
from entrypoints.http.schemas.communications import (
    MAX_COMMUNICATION_ID,
    CollectionQuery,
    CommunicationOut,
    CommunicationPageOut,
    CommunicationShortOut,
    MethodOut,
    MethodsOut,
    PrimaryInfoOut,
    TranslationIn,
    TranslationOut,
    communication_out,
    filters_of,
    page_of,
    page_out,
    primary_info_out,
    short_out,
    translation_out,
)
from entrypoints.http.schemas.times import answer

TranslationPage = page_struct(TranslationOut)


class CommunicationsV2Controller(Controller):
    """A communication by its uuid, its actions, lists and the methods dictionary."""

    tags = ["communications (seed 002)"]  # noqa: RUF012
    dependencies = LIST_DEPENDENCIES
    exception_handlers = TRANSITION_HANDLERS

    @get("/v2/communications/{uuid:str}", summary="The full or short info model by uuid")
    async def get_by_uuid(
        self,
        communications: NamedDependency[Communications],
        uuid: FromPath[str],
        model: Annotated[
            Literal["full", "short"], QueryParameter(description="full (default) or short info model")
        ] = "full",
    ) -> CommunicationOut | CommunicationShortOut:
        if model == "short":
            return short_out(await communications.get(uuid))
        details = await communications.details(uuid)
        return communication_out(details.communication, details.external_ids)

    @get("/v2/communications/{uuid:str}/primary-info", summary="What a front end shows at a glance")
    async def primary_info(
        self, communications: NamedDependency[Communications], uuid: FromPath[str]
    ) -> PrimaryInfoOut:
        return primary_info_out(await communications.primary_info(uuid))

    @post(
        "/v3/collections/communications",
        status_code=200,
        summary="List communications; filters and a list of uuids in the body",
    )
    async def collection(
        self, communications: NamedDependency[Communications], data: JSONBody[CollectionQuery]
    ) -> CommunicationPageOut:
        return page_out(await communications.find(filters_of(data), page_of(data)))

    @get("/v2/dicts/communications-methods", summary="The communication methods dictionary")
    async def methods(self, communications: NamedDependency[Communications]) -> MethodsOut:
        found = await communications.methods()
        return MethodsOut(items=[answer(c, MethodOut) for c in found], total=len(found))


class IdTranslationsController(Controller):
    """A communication's ids in other systems (e.g. Flora and Oracle), either way round."""

    path = "/v1/communications/id-translations"
    tags = ["communications (seed 002)"]  # noqa: RUF012
    dependencies = {"translations": use_case("id_translations")}  # noqa: RUF012

    @get("", summary="Look up links: by a communication (uuid or id), or by system and external id")
    async def find(
        self,
        translations: NamedDependency[IdTranslations],
        uuid: Annotated[
            str | None, QueryParameter(max_length=64, description="the communication's uuid")
        ] = None,
        communication_id: Annotated[
            int | None, QueryParameter(name="communicationId", ge=1, le=MAX_COMMUNICATION_ID)
        ] = None,
        system: Annotated[str | None, QueryParameter(min_length=1, max_length=64)] = None,
        external_id: Annotated[
            str | None, QueryParameter(name="externalId", min_length=1, max_length=255)
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE_SIZE)] = 50,
        offset: Annotated[int, QueryParameter(ge=0, le=MAX_OFFSET)] = 0,
    ) -> TranslationPage:
        if uuid is not None and communication_id is not None:
            raise ValidationFailed.field("uuid", "give uuid or communicationId, not both")
        communication = communication_id if communication_id is not None else uuid
        found = await translations.find(
            TranslationFilter(communication=communication, system=system, external_id=external_id),
            limit,
            offset,
        )
        return to_page(found, translation_out, TranslationPage)

    @post("", summary="Link a communication to its id in another system (unique both ways)")
    async def link(
        self,
        request: Request[Principal, Any, Any],
        translations: NamedDependency[IdTranslations],
        data: JSONBody[TranslationIn],
    ) -> TranslationOut:
        return translation_out(
            await translations.link(request.user, data.communication(), data.system, data.external_id)
        )


# The same handlers as /api/v1's, by uuid. Registered after the controller that shares their
# paths: Litestar refuses a controller whose path a lone handler registered first already has.
SERVICE_ACTIONS = [
    action(
        change_communication,
        "PATCH",
        ITEM,
        "Change a communication's fields",
        "V2CommunicationsUuidChange",
        ON_SERVICE,
    ),
    action(
        close_communication,
        "PATCH",
        f"{ITEM}/close",
        "Close an active communication (done)",
        "V2CommunicationsUuidCloseClose",
        ON_SERVICE,
    ),
    action(
        fail_communication,
        "PATCH",
        f"{ITEM}/failed",
        "Mark it as not having happened ('out')",
        "V2CommunicationsUuidFailedFailed",
        ON_SERVICE,
    ),
    action(
        cancel_communication,
        "POST",
        f"{ITEM}/cancel",
        "Cancel a planned communication",
        "V2CommunicationsUuidCancelCancel",
        ON_SERVICE,
    ),
    action(
        delete_communication,
        "DELETE",
        ITEM,
        "Delete a communication with its history",
        "V2CommunicationsUuidRemove",
        ON_SERVICE,
    ),
]

CONTROLLERS = [CommunicationsV2Controller, IdTranslationsController, *SERVICE_ACTIONS]
