"""The base of Switchboard's own middleware: HTTP requests only, and nothing else checked per request.

Litestar's ``ASGIMiddleware`` asks on every request whether an exclusion pattern, an ``opt`` key or a
scope hook lets the request bypass it. None of ours uses those (each decides inside ``handle``), and
the three layers' questions were a measurable share of a GET by id's CPU.
"""

from __future__ import annotations

import abc

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send


class HttpMiddleware(abc.ABC):
    def __call__(self, app: ASGIApp) -> ASGIApp:
        handle = self.handle

        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == ScopeType.HTTP:
                await handle(scope, receive, send, app)
            else:
                await app(scope, receive, send)

        return middleware

    @abc.abstractmethod
    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        """Does the middleware's work, then (usually) calls ``next_app``."""
