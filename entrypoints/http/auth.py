"""Basic Auth on every route but health, the API schema and provider webhooks; permission guards."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler
from litestar.types import ASGIApp, Receive, Scope, Send

from domain.access import Permission, Principal
from entrypoints.http.security.client_address import client_source
from entrypoints.http.security.http_middleware import HttpMiddleware

PUBLIC_PATHS = [
    r"^/health",
    r"^/swagger-ui",
    r"^/openapi\.json",
    r"^/schema",
    r"^/hooks/",
    r"^/unsubscribe/",
    # Telephony callbacks authenticate by a secret: in the path (PBX) or a token (call center).
    r"^/webhooks/",
    r"^/api/(finish|update)Campaign$",
]
PUBLIC = [re.compile(pattern) for pattern in PUBLIC_PATHS]


def parse_basic(header: str | None) -> tuple[str, str]:
    if not header or not header[:6].lower() == "basic ":
        raise NotAuthorizedException("Basic Auth credentials are required")
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise NotAuthorizedException("malformed Basic Auth credentials") from exc
    login, sep, password = decoded.partition(":")
    if not sep:
        raise NotAuthorizedException("malformed Basic Auth credentials")
    return login, password


def header_values(scope: Scope, *names: bytes) -> list[str | None]:
    """The first value of each named header, read straight from the ASGI scope (names lowercase)."""
    found: list[str | None] = [None] * len(names)
    for name, value in scope["headers"]:
        lowered = name.lower()
        if lowered in names:
            index = names.index(lowered)
            if found[index] is None:
                found[index] = value.decode("latin-1")
    return found


class BasicAuthMiddleware(HttpMiddleware):
    """Puts the caller's ``Principal`` in ``scope["user"]``; OPTIONS (CORS preflight) goes unchecked.

    A plain ASGI middleware over the raw headers, not Litestar's authentication middleware: that one
    builds a connection object and a header map on every request, the API's hottest code.
    """

    def __init__(self) -> None:
        # Decided once per route, from its path template: a path excluded for one request is
        # excluded for every request of that route, and a template has no ids to fill the cache.
        self._public: dict[str, bool] = {}

    def is_public(self, scope: Scope) -> bool:
        template: str = scope["path_template"]
        public = self._public.get(template)
        if public is None:
            public = any(pattern.search(template) for pattern in PUBLIC)
            self._public[template] = public
        return public

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if scope.get("method") != "OPTIONS" and not self.is_public(scope):
            authorization, forwarded_for = header_values(scope, b"authorization", b"x-forwarded-for")
            login, password = parse_basic(authorization)
            state = scope["app"].state
            client = scope.get("client")
            source = client_source(
                client[0] if client else "unknown", forwarded_for, state.get("trusted_networks", ())
            )
            scope["user"] = await state.container.use_cases.authenticate()(login, password, source)
            scope["auth"] = None
        await next_app(scope, receive, send)


def requires(permission: Permission) -> Any:
    """A route guard: the caller must hold ``permission`` (or manage the system)."""

    # Async on purpose: Litestar runs a sync guard in a worker thread, a costly hop per request.
    async def guard(connection: ASGIConnection[Any, Principal, Any, Any], _: BaseRouteHandler) -> None:
        if connection.scope.get("method") == "OPTIONS":
            return  # unauthenticated by design (CORS preflight); it only lists the allowed methods
        if connection.scope.get("user") is None:
            raise NotAuthorizedException("Basic Auth credentials are required")
        connection.user.require(permission)

    guard.__name__ = f"requires_{permission.value}"
    return guard


class UncopiedGuards:
    """A route handler class mixin: guards are handed the handler itself, not a copy of it.

    Litestar copies the route handler for every guard call (~70 attribute copies, a tenth of a
    client create's CPU) so that a guard cannot change it; ``requires`` never looks at it.
    """

    async def authorize_connection(self: Any, connection: ASGIConnection[Any, Any, Any, Any]) -> None:
        for guard in self.resolve_guards():
            await guard(connection, self)


manage_system = requires(Permission.MANAGE_SYSTEM)
manage_clients = requires(Permission.MANAGE_CLIENTS)
read_statistics = requires(Permission.READ_STATISTICS)
