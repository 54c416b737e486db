"""Basic Auth on every route but health, the API schema and provider webhooks; permission guards."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from domain.access import Permission, Principal
from entrypoints.http.security.client_address import client_source

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


class BasicAuthMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        login, password = parse_basic(connection.headers.get("authorization"))
        authenticate = connection.app.state.container.use_cases.authenticate()
        peer = connection.client.host if connection.client else "unknown"
        networks = connection.app.state.get("trusted_networks", ())
        source = client_source(peer, connection.headers.get("x-forwarded-for"), networks)
        principal = await authenticate(login, password, source)
        return AuthenticationResult(user=principal, auth=None)


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


manage_system = requires(Permission.MANAGE_SYSTEM)
manage_clients = requires(Permission.MANAGE_CLIENTS)
read_statistics = requires(Permission.READ_STATISTICS)
