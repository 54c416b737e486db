"""What a request must be before any handler (or the login check) sees it.

- Cross-site request forgery: a browser sends a cross-site POST with cached Basic credentials, and
  a ``text/plain`` body needs no preflight. So a state-changing request whose ``Origin`` is not the
  server's own (nor in CORS_ORIGINS) is refused with 403, and a route that takes JSON takes only
  ``application/json`` or ``…+json`` (415 otherwise).
- A JSON body must be UTF-8 and nest at most JSON_MAX_DEPTH deep (400): the decoder would
  otherwise recurse until Python gives up.
- Every text value in a JSON body follows the text rule of ``domain.text`` (400 naming the field).
  A search for such text in a query string finds nothing (the storage adapter's rule).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any
from urllib.parse import urlsplit

import msgspec
from litestar.exceptions import HTTPException
from litestar.types import ASGIApp, HTTPRequestEvent, Receive, ReceiveMessage, Scope, Send

from domain.errors import ValidationFailed
from domain.text import RULE, has_control_characters
from entrypoints.http.security.http_middleware import HttpMiddleware

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
BRACKETS = re.compile(rb"[\[\]{}]")
# What a control character looks like inside JSON: an escape \u00XX, DEL, or a C1 code in UTF-8.
MAYBE_CONTROL = re.compile(rb"\\u00[0-9a-fA-F]{2}|\x7f|\xc2[\x80-\x9f]")


def is_json_media_type(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def json_depth(body: bytes) -> int:
    """How deeply ``body`` nests arrays and objects (brackets inside strings do not count)."""
    deepest = depth = 0
    for bracket in BRACKETS.findall(JSON_STRING.sub(b"", body)):
        depth += 1 if bracket in (b"[", b"{") else -1
        deepest = max(deepest, depth)
    return deepest


def check_json_body(body: bytes, max_depth: int) -> None:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationFailed.field("", f"the body is not valid UTF-8 (byte {exc.start})") from None
    if json_depth(body) > max_depth:
        raise ValidationFailed.field("", f"JSON nests deeper than {max_depth} levels")
    if MAYBE_CONTROL.search(body):  # rare: only then decode to find which field it is
        try:
            value = msgspec.json.decode(body)
        except msgspec.DecodeError:
            return  # the handler's own decoding names the syntax error
        field = control_character_field(value, "")
        if field is not None:
            raise ValidationFailed.field(field, RULE)


def control_character_field(value: Any, path: str) -> str | None:
    """The path (``items[2].subject``) of the first text in ``value`` that breaks the text rule."""
    if isinstance(value, str):
        return path if has_control_characters(value) else None
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = control_character_field(item, f"{path}[{index}]")
            if found is not None:
                return found
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            if has_control_characters(str(key)):
                return name
            found = control_character_field(item, name)
            if found is not None:
                return found
    return None


def origin_allowed(origin: str, host: str | None, allowed: Collection[str]) -> bool:
    """Same host (and port) as the request, or listed in CORS_ORIGINS; ``null`` never is."""
    if origin.rstrip("/") in allowed or "*" in allowed:
        return True
    return host is not None and urlsplit(origin).netloc.lower() == host.lower()


class RequestGuardMiddleware(HttpMiddleware):
    def __init__(self, cors_origins: Collection[str], json_max_depth: int) -> None:
        self.cors_origins = frozenset(o.rstrip("/") for o in cors_origins)
        self.json_max_depth = json_max_depth

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        method = scope.get("method", "GET")
        handler: Any = scope.get("route_handler")
        takes_json = handler is not None and "data" in handler.parsed_fn_signature.parameters
        if method not in STATE_CHANGING and not takes_json:
            await next_app(scope, receive, send)  # a plain read: nothing here to check
            return
        headers = {
            name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]
        }
        if method in STATE_CHANGING:
            origin = headers.get("origin")
            cross_site = headers.get("sec-fetch-site") == "cross-site"
            if (
                origin is not None and not origin_allowed(origin, headers.get("host"), self.cors_origins)
            ) or (origin is None and cross_site):
                raise HTTPException(status_code=403, detail=f"cross-site request refused (origin {origin})")
        has_body = headers.get("content-length", "0") != "0" or "transfer-encoding" in headers
        if takes_json and has_body:
            if not is_json_media_type(headers.get("content-type", "")):
                raise HTTPException(
                    status_code=415, detail="the body must be JSON: send Content-Type: application/json"
                )
            receive = await self._checked(receive)
        await next_app(scope, receive, send)

    async def _checked(self, receive: Receive) -> Receive:
        """Reads the whole body, checks it, and hands it on as one message."""
        chunks = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        check_json_body(body, self.json_max_depth)
        replayed = False

        async def replay() -> ReceiveMessage:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            whole: HTTPRequestEvent = {"type": "http.request", "body": body, "more_body": False}
            return whole

        return replay
