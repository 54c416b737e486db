"""`Communication.imported` builds in one step what the entity's transitions would have left."""

from __future__ import annotations

import uuid as uuid_module
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.communications import Communication, DeliveryStatus, Direction, LifecycleStatus
from domain.communications.communication import _check_uuid
from domain.errors import DomainError
from tests.support.imports import history_entries, replayed, stored_fields

T0 = datetime(2025, 3, 2, 21, 30, tzinfo=UTC)

rows = st.fixed_dictionaries(
    {
        "uuid": st.integers(1, 2**64).map(lambda n: str(uuid_module.UUID(int=n))),
        "direction": st.sampled_from(Direction),
        "type_id": st.integers(1, 5),
        "channel_id": st.integers(1, 5),
        "started_at": st.integers(0, 10**6).map(lambda m: T0 + timedelta(minutes=m)),
        "status": st.sampled_from([LifecycleStatus.DONE, LifecycleStatus.FAILED, LifecycleStatus.CANCELLED]),
        "delivery_status": st.none() | st.sampled_from(DeliveryStatus),
        "client_id": st.none() | st.integers(1, 9),
        "employee_id": st.none() | st.integers(1, 9),
        "department_id": st.none() | st.integers(1, 9),
        "result": st.none() | st.text(max_size=5),
    }
)


@given(row=rows, lasted=st.integers(0, 10**4), actor=st.none() | st.just("employee:7"))
def test_the_one_step_build_equals_the_transitions_replayed(
    row: dict, lasted: int, actor: str | None
) -> None:
    ended = row["started_at"] + timedelta(minutes=lasted)
    built = Communication.imported(**row, ended_at=ended)
    reference = replayed(**row, ended_at=ended, actor=actor)
    assert stored_fields(built) == stored_fields(reference)
    assert history_entries(built.imported_history(actor)) == history_entries(reference.history)


@pytest.mark.parametrize("status", [LifecycleStatus.CREATED, LifecycleStatus.IN_PROGRESS])
def test_only_an_ended_communication_is_imported(status: LifecycleStatus) -> None:
    with pytest.raises(DomainError):
        Communication.imported(
            uuid=str(uuid_module.UUID(int=1)),
            direction=Direction.OUTBOUND,
            type_id=1,
            channel_id=1,
            started_at=T0,
            ended_at=T0,
            status=status,
            delivery_status=None,
            client_id=1,
        )


def test_a_uuid_not_in_canonical_spelling_is_refused() -> None:
    with pytest.raises(DomainError):
        Communication.imported(
            uuid=str(uuid_module.UUID(int=0xABCDEF)).upper(),
            direction=Direction.OUTBOUND,
            type_id=1,
            channel_id=1,
            started_at=T0,
            ended_at=T0,
            status=LifecycleStatus.DONE,
            delivery_status=None,
            client_id=1,
        )


@given(
    value=st.uuids().map(str)
    | st.uuids().map(lambda u: str(u).upper())
    | st.uuids().map(lambda u: u.hex)
    | st.uuids().map(lambda u: f"{{{u}}}")
    | st.text(alphabet="0123456789abcdefABCDEF-{}", min_size=30, max_size=40)
)
def test_the_uuid_check_accepts_exactly_what_the_uuid_module_prints(value: str) -> None:
    try:
        canonical = str(uuid_module.UUID(value)) == value
    except ValueError:
        canonical = False
    try:
        _check_uuid(value)
        accepted = True
    except DomainError:
        accepted = False
    assert accepted is canonical
