"""The mailing-service contract's bodies (seed 001): snake_case, answered with a status envelope."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import UNSET, UnsetType

from entrypoints.http.schemas.clients import Guid
from entrypoints.http.schemas.common import Code, In, Name


class Seed001ProjectIn(In, rename=None):
    name: Name
    code: Code


class Seed001ProjectUpdate(In, rename=None, kw_only=True):
    primary_key: (
        Annotated[int | str, msgspec.Meta(description="the project's id; must match the path")] | UnsetType
    ) = msgspec.field(default=UNSET, name="primary key")
    name: Name
    code: Code | UnsetType = UNSET


class Seed001ClientIn(In, rename=None):
    project: Annotated[str, msgspec.Meta(min_length=1, max_length=64, description="the project's code")]
    guid: Guid
    first_name: Name
    last_name: Name
    middle_name: Name


class Seed001Ok(msgspec.Struct, kw_only=True):
    status: int = 201
    message: str = "Ok"
