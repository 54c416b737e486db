"""The communication methods dictionary (``GET /v2/dicts/communications-methods``)."""

from __future__ import annotations

from domain.dictionaries import ChannelKind
from entrypoints.http.schemas.common import Out


class MethodOut(Out):
    id: int
    code: str
    name: str
    description: str | None
    kind: ChannelKind
    dispatchable: bool
    """Sent through a provider (SMS, email…); calls and visits are only recorded."""
    active: bool


class MethodsOut(Out):
    items: list[MethodOut]
    total: int
