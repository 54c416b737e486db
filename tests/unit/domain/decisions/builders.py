"""Plain inputs for the decision functions, shared by the example and property tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from domain.clients import ChannelBlock, Client
from domain.decisions import ChannelOption
from domain.dictionaries import ChannelKind
from domain.rules import Rule

STAMP = datetime(2026, 1, 1, tzinfo=UTC)

SMS, EMAIL, MESSENGER, CALL, PUSH, VISIT = 1, 2, 3, 4, 5, 6
CATALOGUE = (
    ChannelOption(SMS, ChannelKind.SMS),
    ChannelOption(EMAIL, ChannelKind.EMAIL),
    ChannelOption(MESSENGER, ChannelKind.MESSENGER),
    ChannelOption(CALL, ChannelKind.CALL),
    ChannelOption(PUSH, ChannelKind.PUSH),
    ChannelOption(VISIT, ChannelKind.VISIT),
)


def a_rule(**values: Any) -> Rule:
    return Rule(
        **{"department_id": 1, "name": "Default", "create_time": STAMP, "update_time": STAMP, **values}
    )


def a_client(**values: Any) -> Client:
    reachable = {
        "phones": ["+79990000001"],
        "email": "ivan@example.com",
        "social_media": {"telegram": "@ivan"},
    }
    return Client(**{"id": 1, "create_time": STAMP, "update_time": STAMP, **reachable, **values})


def a_block(channel_id: int, until: datetime | None = None) -> ChannelBlock:
    return ChannelBlock(client_id=1, channel_id=channel_id, until=until, create_time=STAMP, update_time=STAMP)
