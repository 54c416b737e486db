"""Path keys declared as integers (the legacy routes' ``{id:int}``) go through the one key rule.

Litestar converts them with ``int()``, which reads Arabic-Indic ``١٢`` as 12. The raw segment is
still in the path, at the place the route's template names, so it is checked here, after routing.
(Litestar's router itself answers 404 to a segment ``int()`` refuses, such as 4,301 digits.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from domain.keys import require_id_text


def integer_keys(template: str, path: str, params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(name, raw segment) of each path parameter of ``template`` that Litestar made an integer."""
    found = []
    for pattern, segment in zip(template.split("/"), path.split("/"), strict=False):
        name = pattern[1:-1] if pattern.startswith("{") and pattern.endswith("}") else None
        if name is not None and isinstance(params.get(name), int):
            found.append((name, segment))
    return found


class PathKeyMiddleware(ASGIMiddleware):
    """400 when a ``{name:int}`` segment is not an id by the one key rule (e.g. ``١٢``)."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        params = scope.get("path_params") or {}
        if params:
            for name, raw in integer_keys(scope.get("path_template") or "", scope["path"], params):
                require_id_text(raw, field=name)
        await next_app(scope, receive, send)
