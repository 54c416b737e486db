"""Read-only views of one communication: what a front end shows at a glance, and its history."""

from __future__ import annotations

import msgspec

from application.communications.recording import PrimaryInfo
from domain.communications import Communication, CommunicationKind, Direction, LifecycleStatus, StatusChange
from entrypoints.http.schemas.common import Out
from entrypoints.http.schemas.times import SeedTime, Timestamp, answer, seed_time

# Seed 002's names of the lifecycle statuses, for front ends.
STATUS_NAMES: dict[LifecycleStatus, str] = {
    LifecycleStatus.CREATED: "Создана",
    LifecycleStatus.IN_PROGRESS: "В работе",
    LifecycleStatus.DONE: "Выполнена",
    LifecycleStatus.CANCELLED: "Отменена",
    LifecycleStatus.FAILED: "Аут",
}


class NamedRef(Out):
    id: int
    code: str | None
    name: str


class PrimaryInfoOut(Out):
    """What a front end shows at a glance."""

    uuid: str
    id: int
    kind: CommunicationKind
    direction: Direction
    status: LifecycleStatus
    status_name: str
    type: NamedRef | None
    method: NamedRef | None
    client: NamedRef | None
    employee: NamedRef | None
    subject: str | None
    scheduled_at: Timestamp | None
    date_start: Timestamp | None
    date_finish: Timestamp | None
    result: str | None
    create_time: Timestamp


def primary_info_out(info: PrimaryInfo) -> PrimaryInfoOut:
    # By hand: it gathers the communication and the names of what it refers to into one view.
    c = info.communication
    return PrimaryInfoOut(
        uuid=c.uuid,
        id=c.id or 0,
        kind=c.kind,
        direction=c.direction,
        status=c.status,
        status_name=STATUS_NAMES[c.status],
        type=None
        if info.type is None
        else NamedRef(id=info.type.id or 0, code=info.type.code, name=info.type.name),
        method=None
        if info.channel is None
        else NamedRef(id=info.channel.id or 0, code=info.channel.code, name=info.channel.name),
        client=None
        if info.client is None
        else NamedRef(id=info.client.id or 0, code=info.client.guid, name=info.client.full_name),
        employee=None
        if info.employee is None
        else NamedRef(id=info.employee.id or 0, code=info.employee.login, name=info.employee.full_name),
        subject=c.subject,
        scheduled_at=seed_time(c.scheduled_at),
        date_start=seed_time(c.started_at),
        date_finish=seed_time(c.finished_at),
        result=c.result,
        create_time=SeedTime(c.create_time),
    )


class HistoryEntryOut(Out):
    field: str
    """status (lifecycle), delivery_status, or edit (the changed fields are in note)."""
    from_status: str | None = msgspec.field(name="from")
    to_status: str = msgspec.field(name="to")
    at: Timestamp
    actor: str | None
    """Who: employee:5, service_account:2, provider:twilio…"""
    note: str | None


class HistoryOut(Out):
    uuid: str
    items: list[HistoryEntryOut]


def history_out(c: Communication, entries: list[StatusChange]) -> HistoryOut:
    return HistoryOut(uuid=c.uuid, items=[answer(h, HistoryEntryOut) for h in entries])
