"""Every error leaves in one envelope (SPEC §7.1); no stack trace ever does."""

from __future__ import annotations

import logging
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from application.authentication import AuthenticationFailed, TooManyAttempts
from domain.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed

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


def domain_error(_: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    status = next((code for kind, code in STATUS_OF if isinstance(exc, kind)), 400)
    extra: dict[str, Any] = {}
    headers: dict[str, str] = {}
    if isinstance(exc, ValidationFailed):
        extra["details"] = [{"field": e.field, "message": e.message} for e in exc.errors]
    if isinstance(exc, Conflict) and exc.references:
        extra["references"] = exc.references
    if isinstance(exc, PermissionDenied):
        extra["permission"] = exc.permission
    if isinstance(exc, AuthenticationFailed):
        headers["WWW-Authenticate"] = BASIC_CHALLENGE
    if isinstance(exc, TooManyAttempts):
        headers["Retry-After"] = str(exc.retry_after)
    return error_response(status, exc.message, headers or None, **extra)


def validation_error(_: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    details = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            details.append({"field": str(item.get("key") or ""), "message": str(item.get("message", ""))})
    return error_response(400, "validation failed", details=details or [{"field": "", "message": exc.detail}])


def http_error(_: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    headers = dict(exc.headers or {})
    if exc.status_code == 401:
        headers.setdefault("WWW-Authenticate", BASIC_CHALLENGE)
    return error_response(exc.status_code, exc.detail, headers or None)


def unexpected_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(HTTP_500_INTERNAL_SERVER_ERROR, "internal server error")


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    DomainError: domain_error,
    ValidationException: validation_error,
    HTTPException: http_error,
    Exception: unexpected_error,
}
