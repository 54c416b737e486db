"""Every error leaves in one envelope (SPEC §7.1); no stack trace ever does."""

from __future__ import annotations

import logging
import re
from typing import Any

import msgspec
from litestar import Litestar, MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.routes import HTTPRoute
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from application.authentication import AuthenticationFailed, TooManyAttempts
from application.telephony.ports import CallCenterRefused, TelephonyUnavailable
from domain.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from entrypoints.http.auth import PUBLIC_PATHS
from entrypoints.http.wire_names import camel, field_path, in_message, names_of

log = logging.getLogger("switchboard.http")

STATUS_OF: list[tuple[type[DomainError], int]] = [
    (NotFound, 404),
    (Conflict, 409),
    (PermissionDenied, 403),
    (ValidationFailed, 400),
    (AuthenticationFailed, 401),
    (TooManyAttempts, 429),
]

BASIC_CHALLENGE = 'Basic realm="Switchboard", charset="UTF-8"'


def envelope(status: int, message: str, **extra: Any) -> dict[str, Any]:
    return {"code": status, "error": {"message": message, "status": status, **extra}}


def error_response(
    status: int, message: str, headers: dict[str, str] | None = None, **extra: Any
) -> Response[Any]:
    return Response(
        envelope(status, message, **extra), status_code=status, media_type=MediaType.JSON, headers=headers
    )


def domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    status = next((code for kind, code in STATUS_OF if isinstance(exc, kind)), 400)
    extra: dict[str, Any] = {}
    headers: dict[str, str] = {}
    # The domain names its attributes; the called route's contract decides how they are spelt.
    rename = names_of(request.url.path)
    message = in_message(exc.message, rename)
    if isinstance(exc, ValidationFailed):
        details = [
            {"field": field_path(e.field, rename), "message": in_message(e.message, rename)}
            for e in exc.errors
        ]
        extra["details"] = details
        message = "; ".join(f"{d['field']}: {d['message']}" if d["field"] else d["message"] for d in details)
    if isinstance(exc, Conflict) and exc.references:
        extra["references"] = exc.references
    if isinstance(exc, PermissionDenied):
        extra["permission"] = exc.permission
    if isinstance(exc, AuthenticationFailed):
        headers["WWW-Authenticate"] = BASIC_CHALLENGE
    if isinstance(exc, TooManyAttempts):
        headers["Retry-After"] = str(exc.retry_after)
    return error_response(status, message, headers or None, **extra)


NAMED_FIELD = re.compile(r"^Object (?:missing required|contains unknown) field `([^`]+)`")


def field_detail(request: Request[Any, Any, Any], item: dict[str, Any]) -> dict[str, str]:
    """One of Litestar's validation messages, naming the field as the API does (``permissions[0].x``)."""
    key, message = str(item.get("key") or ""), str(item.get("message", ""))
    source = str(getattr(item.get("source"), "value", item.get("source")) or "")  # an enum for parameters
    if source == "body":
        if message == repr(key):  # Litestar's text when the body is not there at all
            return {"field": "", "message": "a JSON request body is required"}
        key = "" if key == "data" else key
        named = NAMED_FIELD.match(message)
        if named:  # msgspec names a missing or unknown field in the message, not in the path
            key = f"{key}.{named.group(1)}" if key else named.group(1)
    elif source == "query" and key not in request.query_params:
        key = camel(key)  # a filter dependency reports its Python name, not the parameter's
    return {"field": key, "message": message}


def validation_error(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    details = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            details.append(field_detail(request, item))
    return error_response(400, "validation failed", details=details or [{"field": "", "message": exc.detail}])


def http_error(_: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    headers = dict(exc.headers or {})
    if exc.status_code == 401:
        headers.setdefault("WWW-Authenticate", BASIC_CHALLENGE)
    return error_response(exc.status_code, exc.detail, headers or None)


def unexpected_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(HTTP_500_INTERNAL_SERVER_ERROR, "internal server error")


def telephony_error(
    _: Request[Any, Any, Any], exc: TelephonyUnavailable | CallCenterRefused
) -> Response[Any]:
    """The PBX or call center refused or did not answer: 502 saying what it said."""
    log.warning("%s", exc)
    return error_response(502, str(exc))


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    DomainError: domain_error,
    TelephonyUnavailable: telephony_error,
    CallCenterRefused: telephony_error,
    ValidationException: validation_error,
    HTTPException: http_error,
    Exception: unexpected_error,
}


# -- the envelope in the OpenAPI document ----------------------------------------------------


class FieldProblem(msgspec.Struct):
    field: str
    message: str


class ErrorBody(msgspec.Struct, kw_only=True):
    message: str
    status: int
    details: list[FieldProblem] | msgspec.UnsetType = msgspec.UNSET
    """Validation errors: every invalid field."""
    references: dict[str, int] | msgspec.UnsetType = msgspec.UNSET
    """A delete refused while others refer to the thing: who, and how many."""
    permission: str | msgspec.UnsetType = msgspec.UNSET
    """A 403: the permission the caller lacks."""


class ErrorEnvelope(msgspec.Struct, kw_only=True):
    code: int
    error: ErrorBody


ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "Invalid input; `details` names each invalid field",
    401: "Basic Auth credentials missing or wrong",
    403: "The caller lacks the permission named in `permission`",
    404: "Nothing with that id or name",
    409: "Contradicts stored data: a duplicate, a reference in use (`references`), a refused state change",
    429: "Too many failed logins from this source; retry after `Retry-After` seconds",
}

NOT_INPUT = {"self", "state", "request", "scope", "headers", "cookies", "socket"}


def error_responses(*codes: int) -> dict[int, ResponseSpec]:
    """The envelope as OpenAPI responses, for a handler that answers with codes beyond the usual."""
    return {
        code: ResponseSpec(
            ErrorEnvelope, description=ERROR_DESCRIPTIONS.get(code, "Error"), generate_examples=False
        )
        for code in codes
    }


def document_errors(app: Litestar) -> None:
    """Documents the envelope on every operation at once, so new routes need not repeat it.

    An authenticated route may answer 400, 401, 403, 404 and 429, and a write 409 as well; a public
    one (health, webhooks) only 400 on bad input and 404 on a path naming nothing. Codes a handler
    documents itself win. Public routes also say so (``security: [{}]``): the document's default
    is Basic Auth, which they do not ask for.
    """
    public = [re.compile(pattern) for pattern in PUBLIC_PATHS]
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        is_public = any(p.match(route.path) for p in public)
        for handler in route.route_handlers:
            if not isinstance(handler, HTTPRouteHandler) or not handler.include_in_schema:
                continue
            codes = set()
            if not is_public:
                codes |= {400, 401, 403, 404, 429}
                if set(handler.http_methods) - {"GET", "HEAD"}:
                    codes.add(409)
            elif set(handler.parsed_fn_signature.parameters) - NOT_INPUT:
                codes.add(400)
            if route.path_parameters:
                codes.add(404)
            handler.responses = {**error_responses(*sorted(codes)), **(handler.responses or {})}
            if is_public and not handler.security:
                handler.security = [{}]
