"""The events stream's data (GET /api/v1/events) and delivery refresh, as JSON."""

from __future__ import annotations

import json

import msgspec

from application.events.ports import Event, MissedCallCreated, SendCompleted, StatusChanged
from application.sending.refresh import RefreshOutcome, RefreshScope
from application.webhooks.outbox import missed_call_data, send_completed_data
from entrypoints.http.schemas.common import Id, In, Out, iso


class StatusChangedOut(Out):
    """``data:`` of a ``communication.status_changed`` event."""

    uuid: str
    send_id: int | None
    mailing_id: int | None
    client_id: int | None
    channel_id: int
    status: str
    delivery_status: str | None
    at: str


def event_data(event: Event) -> str:
    """The ``data:`` line of a stored event, by its type."""
    if isinstance(event, SendCompleted):
        return json.dumps(send_completed_data(event), separators=(",", ":"))
    if isinstance(event, MissedCallCreated):
        return json.dumps(missed_call_data(event), separators=(",", ":"), ensure_ascii=False)
    return status_changed_data(event)


def status_changed_data(event: StatusChanged) -> str:
    out = StatusChangedOut(
        uuid=event.uuid,
        send_id=event.send_id,
        mailing_id=event.mailing_id,
        client_id=event.client_id,
        channel_id=event.channel_id,
        status=event.status,
        delivery_status=event.delivery_status,
        at=iso(event.at) or "",
    )
    return msgspec.json.encode(out).decode()


class DeliveryRefreshIn(In):
    """Exactly one of: ``uuid``, ``all: true``, ``departmentId``, ``clientId``, ``groupId``."""

    uuid: str | None = None
    all: bool = False
    department_id: Id | None = None
    client_id: Id | None = None
    group_id: Id | None = None

    def to_command(self) -> RefreshScope:
        return RefreshScope(
            uuid=self.uuid,
            all=self.all,
            department_id=self.department_id,
            client_id=self.client_id,
            group_id=self.group_id,
        )


class DeliveryRefreshOut(Out):
    asked: int
    """Communications whose provider was asked for their status."""
    changed: int
    """Of those, how many changed."""


def refresh_out(outcome: RefreshOutcome) -> DeliveryRefreshOut:
    return msgspec.convert(outcome, DeliveryRefreshOut, from_attributes=True)
