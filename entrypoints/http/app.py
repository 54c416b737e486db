"""The Litestar application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import msgspec
from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Components, Schema, SecurityScheme
from litestar.plugins import OpenAPISchemaPlugin
from litestar.typing import FieldDefinition

from entrypoints.container import Container
from entrypoints.http.api_docs import swagger_ui_assets, swagger_ui_page
from entrypoints.http.auth import BasicAuthMiddleware
from entrypoints.http.controllers.call_center import CONTROLLERS as CALL_CENTER
from entrypoints.http.controllers.call_phone import CONTROLLERS as CALL_PHONE
from entrypoints.http.controllers.clients import CONTROLLERS as CLIENTS
from entrypoints.http.controllers.communications import CONTROLLERS as COMMUNICATIONS
from entrypoints.http.controllers.communications_service import CONTROLLERS as COMMUNICATIONS_V2
from entrypoints.http.controllers.crm_prototype import CONTROLLERS as SEED_000_CLIENTS
from entrypoints.http.controllers.decisions import DECISIONS
from entrypoints.http.controllers.dictionaries import CONTROLLERS as DICTIONARIES
from entrypoints.http.controllers.events import CONTROLLERS as EVENTS
from entrypoints.http.controllers.mailing_service import CONTROLLERS as SEED_001
from entrypoints.http.controllers.mailings import CONTROLLERS as MAILINGS
from entrypoints.http.controllers.missed_calls import CONTROLLERS as MISSED_CALLS
from entrypoints.http.controllers.organisation import CONTROLLERS as ORGANISATION
from entrypoints.http.controllers.pbx import CONTROLLERS as PBX
from entrypoints.http.controllers.providers import CONTROLLERS as PROVIDERS
from entrypoints.http.controllers.push import CONTROLLERS as PUSH
from entrypoints.http.controllers.sending import CONTROLLERS as SENDING
from entrypoints.http.controllers.telegram import CONTROLLERS as TELEGRAM
from entrypoints.http.controllers.unsubscribe import CONTROLLERS as UNSUBSCRIBE
from entrypoints.http.controllers.webhook_subscriptions import CONTROLLERS as WEBHOOK_SUBSCRIPTIONS
from entrypoints.http.controllers.webhooks_twilio import CONTROLLERS as TWILIO_WEBHOOKS
from entrypoints.http.errors import EXCEPTION_HANDLERS, document_errors
from entrypoints.http.health import health, openapi_document
from entrypoints.http.lean_response import LeanResponse
from entrypoints.http.schemas.times import TYPE_ENCODERS, SeedTimeSchema
from entrypoints.http.security.allow_header import AllowHeaderMiddleware
from entrypoints.http.security.client_address import trusted_networks
from entrypoints.http.security.request_guard import RequestGuardMiddleware
from entrypoints.secrets import seal_kept_secrets
from entrypoints.settings import Settings
from entrypoints.worker import close_event_bus, start_in_process_worker

log = logging.getLogger("switchboard")

ROUTES: list[Any] = [
    health,
    openapi_document,
    *ORGANISATION,
    *DICTIONARIES,
    *CLIENTS,
    *SEED_000_CLIENTS,
    *SEED_001,
    *COMMUNICATIONS,
    *COMMUNICATIONS_V2,
    *DECISIONS,
    *PBX,
    *CALL_PHONE,
    *CALL_CENTER,
    *MISSED_CALLS,
    *PUSH,
    *TELEGRAM,
    *SENDING,
    *MAILINGS,
    *UNSUBSCRIBE,
    *TWILIO_WEBHOOKS,
    *PROVIDERS,
    *WEBHOOK_SUBSCRIPTIONS,
    *EVENTS,
]


class ClosedStructs(OpenAPISchemaPlugin):
    """Says in the document what msgspec enforces: a request Struct refuses unknown fields."""

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        return (
            not field_definition.is_union
            and field_definition.is_subclass_of(msgspec.Struct)
            and bool(field_definition.type_.__struct_config__.forbid_unknown_fields)
        )

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: Any) -> Schema:
        # Litestar's own Struct plugin (after this one in the list) builds the schema; this closes it.
        builder = next(
            plugin
            for plugin in schema_creator.plugins
            if plugin is not self
            and isinstance(plugin, OpenAPISchemaPlugin)
            and plugin.is_plugin_supported_field(field_definition)
        )
        schema: Schema = builder.to_openapi_schema(field_definition, schema_creator)
        schema.additional_properties = False
        return schema


def create_app(container: Container, settings: Settings) -> Litestar:
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        await seal_kept_secrets(container)
        report = await container.use_cases.bootstrap()(settings.admin_password)
        for created in report.created:
            log.info("created default %s", created)
        if report.default_password_in_use:
            log.warning("!" * 72)
            log.warning(
                "The user Admin still has the default password 'admin'. Set ADMIN_PASSWORD or change it."
            )
            log.warning("!" * 72)
        worker = start_in_process_worker(container) if settings.in_process_worker else None
        try:
            yield
        finally:
            if worker is not None:
                await worker.stop()
            await container.use_cases.background_materialiser().stop()
            await close_event_bus(container)
            engine = container.storage.engine()
            if engine is not None:
                await engine.dispose()

    app = Litestar(
        route_handlers=[*ROUTES, swagger_ui_assets()],
        state=State(
            {
                "container": container,
                "settings": settings,
                "trusted_networks": trusted_networks(settings.trusted_proxies),
            }
        ),
        lifespan=[lifespan],
        middleware=[
            AllowHeaderMiddleware(),
            RequestGuardMiddleware(settings.cors_origins, settings.json_max_depth),
            BasicAuthMiddleware(),
        ],
        cors_config=CORSConfig(allow_origins=list(settings.cors_origins)) if settings.cors_origins else None,
        exception_handlers=EXCEPTION_HANDLERS,
        plugins=[ClosedStructs(), SeedTimeSchema()],
        type_encoders=TYPE_ENCODERS,
        response_class=LeanResponse,
        openapi_config=OpenAPIConfig(
            title="Switchboard",
            version="1.0.0",
            description="Communications integration platform: clients, channels, communications, statistics.",
            # Mounted under /swagger-ui: at "/" its catch-all would answer unknown routes with HTML.
            path="/swagger-ui",
            render_plugins=[swagger_ui_page(), JsonRenderPlugin(path="/openapi.json")],
            components=Components(
                security_schemes={"basicAuth": SecurityScheme(type="http", scheme="basic")}
            ),
            security=[{"basicAuth": []}],
        ),
        debug=False,
    )
    document_errors(app)
    return app
