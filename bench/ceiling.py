"""The framework's own ceiling: bare Litestar answering the same JSON from memory.

No database, no authentication, no container: what Litestar + msgspec + uvicorn can do on this
machine for the same payload. The benchmark reports Switchboard as a fraction of this.
"""

from __future__ import annotations

import json
import os
from typing import Any

import msgspec
from litestar import Litestar, get, post
from litestar.params import FromPath, JSONBody

PAYLOAD: dict[str, Any] = json.loads(os.environ.get("CEILING_PAYLOAD", "{}"))


class ClientBody(msgspec.Struct, kw_only=True, rename="camel"):
    first_name: str | None = None
    last_name: str | None = None
    phones: list[str] = msgspec.field(default_factory=list)
    email: str | None = None


@get("/api/v1/clients/{key:str}")
async def read_client(key: FromPath[str]) -> dict[str, Any]:
    return {**PAYLOAD, "id": int(key)}


@post("/api/v1/clients")
async def create_client(data: JSONBody[ClientBody]) -> dict[str, Any]:
    return {**PAYLOAD, "firstName": data.first_name, "lastName": data.last_name}


app = Litestar([read_client, create_client], openapi_config=None)
