"""The history import's reference: a past communication replayed through the entity's transitions,
as the import built them before `Communication.imported`. Tests hold the one-step build and the
stored rows (COPY and SQL on PostgreSQL) equal to it."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import Any

from domain.communications import (
    IMPORTED_AS_FAILED,
    Communication,
    CommunicationKind,
    DeliveryStatus,
    Direction,
    LifecycleStatus,
    StatusChange,
)


def replayed(
    *,
    uuid: str,
    direction: Direction,
    type_id: int,
    channel_id: int,
    started_at: datetime,
    ended_at: datetime,
    status: LifecycleStatus,
    delivery_status: DeliveryStatus | None,
    client_id: int | None,
    actor: str | None,
    employee_id: int | None = None,
    department_id: int | None = None,
    result: str | None = None,
) -> Communication:
    """Opened, started unless cancelled, its delivery reported, ended: transition by transition."""
    communication = Communication.open(
        uuid=uuid,
        kind=CommunicationKind.PLANNED,
        direction=direction,
        type_id=type_id,
        channel_id=channel_id,
        at=started_at,
        actor=actor,
        client_id=client_id,
        employee_id=employee_id,
        department_id=department_id,
    )
    if status is not LifecycleStatus.CANCELLED:
        communication.start(at=started_at, actor=actor)
    if delivery_status is not None:
        communication.history.append(
            StatusChange(
                field="delivery_status",
                from_status=None,
                to_status=delivery_status.value,
                at=ended_at,
                actor=actor,
            )
        )
        communication.delivery_status = delivery_status
    reason = IMPORTED_AS_FAILED if status is LifecycleStatus.FAILED else None
    communication.set_status(status, at=ended_at, actor=actor, reason=reason, result=result)
    return communication


def stored_fields(communication: Communication) -> dict[str, Any]:
    """Every column of the row (not the id, not the history)."""
    return {
        f.name: getattr(communication, f.name)
        for f in fields(Communication)
        if f.name not in ("id", "history")
    }


def history_entries(history: list[StatusChange]) -> list[tuple[Any, ...]]:
    return [(h.field, h.from_status, h.to_status, h.at, h.actor, h.note) for h in history]
