"""What storage and the use cases add to the communication: edit notes and ids in other systems."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.communications import (
    Communication,
    CommunicationKind,
    Direction,
    IdTranslation,
    StatusChange,
)
from domain.errors import ValidationFailed

T0 = datetime(2025, 3, 3, 9, 30, tzinfo=UTC)
UUID = "3f2b8c1e-5d4a-4e6b-9a7c-1d2e3f4a5b6c"


def planned() -> Communication:
    return Communication.open(
        uuid=UUID,
        kind=CommunicationKind.PLANNED,
        direction=Direction.OUTBOUND,
        type_id=1,
        channel_id=2,
        at=T0,
        actor="employee:1",
    )


def test_record_edit_notes_who_changed_which_fields_and_leaves_the_status() -> None:
    c = planned()
    later = T0 + timedelta(minutes=3)
    changed = c.edit(at=later, actor="employee:2", subject="ТО", result="ok")
    c.record_edit(changed, at=later, actor="employee:2")
    assert c.history[-1] == StatusChange(
        field="edit",
        from_status="created",
        to_status="created",
        at=later,
        actor="employee:2",
        note="result, subject",
    )


def test_record_edit_of_nothing_notes_nothing() -> None:
    c = planned()
    c.record_edit(c.edit(at=T0, actor="a", subject=None), at=T0, actor="a")
    assert len(c.history) == 1


def test_an_id_translation_needs_a_system_and_an_external_id() -> None:
    with pytest.raises(ValidationFailed) as refused:
        IdTranslation(communication_id=1, communication_uuid=UUID, system="", external_id=" ", create_time=T0)
    assert {e.field for e in refused.value.errors} == {"system", "external_id"}


@pytest.mark.parametrize(
    ("system", "external_id", "field"),
    [
        ("x" * 65, "1", "system"),
        ("oracle", "1" * 256, "external_id"),
        (" oracle", "1", "system"),
        ("s", "1 ", "external_id"),
    ],
)
def test_an_id_translation_refuses_overlong_or_padded_names(
    system: str, external_id: str, field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        IdTranslation(
            communication_id=1,
            communication_uuid=UUID,
            system=system,
            external_id=external_id,
            create_time=T0,
        )
    assert [e.field for e in refused.value.errors] == [field]


def test_an_id_translation_keeps_names_exactly() -> None:
    link = IdTranslation(
        communication_id=1, communication_uuid=UUID, system="Oracle", external_id="1-AbC", create_time=T0
    )
    assert (link.system, link.external_id) == ("Oracle", "1-AbC")
