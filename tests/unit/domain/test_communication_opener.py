"""Communication.opener: many communications sharing a send's fields, each the one ``open`` makes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.communications import Communication, CommunicationKind, Direction
from domain.errors import ValidationFailed

AT = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
SHARED: dict[str, Any] = {
    "direction": Direction.OUTBOUND,
    "type_id": 1,
    "at": AT,
    "actor": "employee:7",
    "employee_id": 7,
    "department_id": 2,
    "document_id": None,
}


@given(
    kind=st.sampled_from(CommunicationKind),
    uuid=st.uuids().map(str),
    channel_id=st.integers(1, 9),
    client_id=st.none() | st.integers(1, 10**6),
    subject=st.none() | st.text(max_size=20),
    content=st.none() | st.text(max_size=40),
    later=st.none() | st.integers(0, 10**6),
)
def test_each_opened_communication_equals_the_one_open_makes(
    kind: CommunicationKind,
    uuid: str,
    channel_id: int,
    client_id: int | None,
    subject: str | None,
    content: str | None,
    later: int | None,
) -> None:
    own = {
        "uuid": uuid,
        "channel_id": channel_id,
        "client_id": client_id,
        "subject": subject,
        "content": content,
        "scheduled_at": None if later is None else AT + timedelta(seconds=later),
    }
    made = Communication.opener(kind=kind, **SHARED)(**own)
    expected = Communication.open(kind=kind, **SHARED, **own)
    assert vars(made) == vars(expected)


def test_copies_share_nothing_mutable_and_a_bad_uuid_is_refused() -> None:
    open_one = Communication.opener(kind=CommunicationKind.PLANNED, **SHARED)
    first = open_one(uuid="6f1c2f9e-8a4b-4c1d-9e2f-0a1b2c3d4e5f", channel_id=3)
    second = open_one(uuid="7f1c2f9e-8a4b-4c1d-9e2f-0a1b2c3d4e5f", channel_id=3)
    first.start(at=AT, actor="x")
    assert len(first.history) == 2 and len(second.history) == 1
    assert second.status is not first.status
    with pytest.raises(ValidationFailed):
        open_one(uuid="not-a-uuid", channel_id=3)
