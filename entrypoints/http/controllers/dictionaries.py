"""Routes of communication types, channels, documents and rules (/api/v1), and seed 000's dictionaries."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from application.dictionaries import Channels, CommunicationTypes
from application.queries import Filters
from application.searches import ChannelFields, CommunicationTypeFields, DocumentFields, RuleFields
from domain.dictionaries import ChannelKind, DocumentKind
from entrypoints.http.auth import manage_system
from entrypoints.http.controllers.organisation import given
from entrypoints.http.resource import Resource, resource_controller, use_case
from entrypoints.http.schemas.dictionaries import (
    ChannelIn,
    ChannelOut,
    ChannelPatch,
    CommunicationTypeIn,
    CommunicationTypeOut,
    CommunicationTypePatch,
    DocumentIn,
    DocumentOut,
    DocumentPatch,
    RuleIn,
    RuleOut,
    RulePatch,
    SeedCommunicationType,
    SeedSendChannelType,
    rule_out,
    seed_communication_type,
    seed_send_channel_type,
)


def communication_type_filters(active: Annotated[bool | None, QueryParameter()] = None) -> Filters:
    return given((CommunicationTypeFields.active, active))


def channel_filters(
    active: Annotated[bool | None, QueryParameter()] = None,
    kind: Annotated[ChannelKind | None, QueryParameter()] = None,
    dispatchable: Annotated[bool | None, QueryParameter()] = None,
) -> Filters:
    f = ChannelFields
    return given((f.active, active), (f.kind, kind), (f.dispatchable, dispatchable))


def document_filters(
    kind: Annotated[DocumentKind | None, QueryParameter()] = None,
    locale: Annotated[str | None, QueryParameter(max_length=16)] = None,
) -> Filters:
    return given((DocumentFields.kind, kind), (DocumentFields.locale, locale))


def rule_filters(
    department_id: Annotated[int | None, QueryParameter(name="departmentId", ge=1)] = None,
    active: Annotated[bool | None, QueryParameter()] = None,
) -> Filters:
    return given((RuleFields.department_id, department_id), (RuleFields.active, active))


CommunicationTypesController = resource_controller(
    Resource(
        path="/api/v1/communication-types",
        tag="communication types",
        use_case="communication_types",
        create=CommunicationTypeIn,
        change=CommunicationTypePatch,
        out=CommunicationTypeOut,
        write_guards=[manage_system],
        filters=communication_type_filters,
        sortable=("id", "name", "code"),
    )
)
ChannelsController = resource_controller(
    Resource(
        path="/api/v1/channels",
        tag="channels",
        use_case="channels",
        create=ChannelIn,
        change=ChannelPatch,
        out=ChannelOut,
        write_guards=[manage_system],
        filters=channel_filters,
        sortable=("id", "name", "code", "kind"),
    )
)
DocumentsController = resource_controller(
    Resource(
        path="/api/v1/documents",
        tag="documents",
        use_case="documents",
        create=DocumentIn,
        change=DocumentPatch,
        out=DocumentOut,
        write_guards=[manage_system],
        filters=document_filters,
        sortable=("id", "name", "kind", "locale", "create_time", "update_time"),
    )
)
RulesController = resource_controller(
    Resource(
        path="/api/v1/rules",
        tag="rules",
        use_case="rules",
        create=RuleIn,
        change=RulePatch,
        out=RuleOut,
        to_out=rule_out,
        write_guards=[manage_system],
        filters=rule_filters,
        sortable=("id", "name", "department_id"),
    )
)


class SeedDictionariesController(Controller):
    """Seed 000, examples 1 and 2, exactly as the seed shows them: bare arrays, no /api/v1."""

    tags = ["seed 000"]  # noqa: RUF012
    dependencies = {  # noqa: RUF012
        "communication_types": use_case("communication_types"),
        "channels": use_case("channels"),
    }

    # The seed writes the path with a space; clients send it percent-encoded (/communication%20types)
    # and the ASGI server hands Litestar the decoded path, which this second route matches.
    @get(
        ["/communication_types", "/communication types"],
        summary="Available communication types (seed 000, example 1)",
        description="The active communication types, by id.",
    )
    async def communication_types(
        self, communication_types: NamedDependency[CommunicationTypes]
    ) -> list[SeedCommunicationType]:
        return [seed_communication_type(t) for t in await communication_types.available()]

    @get(
        "/send_channel_types",
        summary="Available sending channels (seed 000, example 2)",
        description="The active channels a provider sends on (dispatchable), by id; calls, visits and"
        " requests are recorded rather than sent, so they are left out.",
    )
    async def send_channel_types(self, channels: NamedDependency[Channels]) -> list[SeedSendChannelType]:
        return [seed_send_channel_type(c) for c in await channels.sendable()]


CONTROLLERS = [
    CommunicationTypesController,
    ChannelsController,
    DocumentsController,
    RulesController,
    SeedDictionariesController,
]
