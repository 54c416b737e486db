"""The Litestar application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar
from litestar.datastructures import State
from litestar.middleware.base import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme

from entrypoints.container import Container
from entrypoints.http.auth import PUBLIC_PATHS, BasicAuthMiddleware
from entrypoints.http.controllers.organisation import CONTROLLERS as ORGANISATION
from entrypoints.http.errors import EXCEPTION_HANDLERS
from entrypoints.http.health import health, openapi_document
from entrypoints.settings import Settings

log = logging.getLogger("switchboard")

ROUTES: list[Any] = [health, openapi_document, *ORGANISATION]


def create_app(container: Container, settings: Settings) -> Litestar:
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        report = await container.use_cases.bootstrap()(settings.admin_password)
        for created in report.created:
            log.info("created default %s", created)
        if report.default_password_in_use:
            log.warning("!" * 72)
            log.warning(
                "The user Admin still has the default password 'admin'. Set ADMIN_PASSWORD or change it."
            )
            log.warning("!" * 72)
        try:
            yield
        finally:
            engine = container.storage.engine()
            if engine is not None:
                await engine.dispose()

    return Litestar(
        route_handlers=ROUTES,
        state=State({"container": container, "settings": settings}),
        lifespan=[lifespan],
        middleware=[DefineMiddleware(BasicAuthMiddleware, exclude=PUBLIC_PATHS)],
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=OpenAPIConfig(
            title="Switchboard",
            version="1.0.0",
            description="Communications integration platform: clients, channels, communications, statistics.",
            # Mounted under /swagger-ui: at "/" its catch-all would answer unknown routes with HTML.
            path="/swagger-ui",
            render_plugins=[SwaggerRenderPlugin(path="/index.html"), JsonRenderPlugin(path="/openapi.json")],
            components=Components(
                security_schemes={"basicAuth": SecurityScheme(type="http", scheme="basic")}
            ),
            security=[{"basicAuth": []}],
        ),
        debug=False,
    )
