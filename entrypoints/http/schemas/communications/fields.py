"""The constrained values communication bodies share, and how their times are read."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from entrypoints.http.schemas.common import aware

# Ids of rows a communication points at are 32-bit in storage; larger ones can name nothing.
MAX_REF_ID = 2_147_483_647
MAX_COMMUNICATION_ID = 2**63 - 1

RefId = Annotated[int, msgspec.Meta(ge=1, le=MAX_REF_ID)]
CommunicationId = Annotated[int, msgspec.Meta(ge=1, le=MAX_COMMUNICATION_ID)]
Text = Annotated[str, msgspec.Meta(max_length=100_000)]
Subject = Annotated[str, msgspec.Meta(max_length=1000)]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=10_000)]
Uuid = Annotated[
    str, msgspec.Meta(min_length=32, max_length=38, examples=["0d7c3f6e-2b1a-4c5d-9e8f-7a6b5c4d3e2f"])
]
System = Annotated[str, msgspec.Meta(min_length=1, max_length=64, examples=["oracle"])]
ExternalId = Annotated[str, msgspec.Meta(min_length=1, max_length=255, examples=["1-2F3K9"])]


def moment(value: datetime | None) -> datetime | None:
    """Like ``aware`` for times a body may leave out."""
    return None if value is None else aware(value)
