"""Liveness and readiness: is the process up, and can it reach its database."""

from __future__ import annotations

from typing import Any

from litestar import MediaType, Request, get
from litestar.datastructures import State

from entrypoints.http.schemas.common import Out


class Health(Out):
    status: str
    storage: str


@get("/health", tags=["operations"], summary="Health: the process answers and its storage works")
async def health(state: State) -> Health:
    uow_factory: Any = state.container.storage.uow_factory()
    # Read-only: a probe must not queue behind writers (on SQLite, the one writer at a time).
    async with uow_factory(read_only=True) as uow:
        await uow.communication_types.count()
    return Health(status="ok", storage="ok")


@get("/openapi.json", include_in_schema=False, media_type=MediaType.JSON)
async def openapi_document(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The OpenAPI 3.1 document at the root, where tools look first (also under /swagger-ui)."""
    return request.app.openapi_schema.to_schema()
