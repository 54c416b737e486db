"""OPTIONS answers with every method of the path, in its ``Allow`` header.

Litestar's automatic OPTIONS handler lists only the methods of the first handler registered on a
path, so a path whose GET and POST come from two handlers advertised POST alone.
"""

from __future__ import annotations

from typing import Any

from litestar.routes import HTTPRoute
from litestar.types import ASGIApp, Receive, Scope, Send

from entrypoints.http.security.http_middleware import HttpMiddleware


def methods_by_path(routes: list[Any]) -> dict[str, str]:
    return {
        route.path_format: ", ".join(sorted(set(route.methods) | {"OPTIONS"}))
        for route in routes
        if isinstance(route, HTTPRoute)
    }


class AllowHeaderMiddleware(HttpMiddleware):
    def __init__(self) -> None:
        self._allow: dict[str, str] | None = None

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if scope.get("method") != "OPTIONS":
            await next_app(scope, receive, send)
            return
        if self._allow is None:
            self._allow = methods_by_path(scope["app"].routes)
        allow = self._allow.get(scope.get("path_template") or "")
        if allow is None:
            await next_app(scope, receive, send)
            return
        await send({"type": "http.response.start", "status": 204, "headers": [(b"allow", allow.encode())]})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
