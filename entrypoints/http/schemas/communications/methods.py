"""The communication methods dictionary (``GET /v2/dicts/communications-methods``)."""

from __future__ import annotations

from domain.dictionaries import Channel, ChannelKind
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


def method_out(c: Channel) -> MethodOut:
    return MethodOut(
        id=c.id or 0,
        code=c.code,
        name=c.name,
        description=c.description,
        kind=c.kind,
        dispatchable=c.dispatchable,
        active=c.active,
    )


class MethodsOut(Out):
    items: list[MethodOut]
    total: int
