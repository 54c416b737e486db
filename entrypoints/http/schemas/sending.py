"""The send request (POST /api/v1/sends) and its answers, as JSON."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import UNSET, UnsetType

from application.sending.commands import (
    AcceptedItem,
    Audience,
    Content,
    RefusedItem,
    ScheduledRecipient,
    SendAnswer,
    SendCommand,
    SendProgress,
)
from entrypoints.http.schemas.common import Id, In, Out, iso
from entrypoints.http.schemas.send_request import SendRequest

AwareTime = Annotated[datetime, msgspec.Meta(tz=True, examples=["2026-12-01T10:00:00+03:00"])]
IdempotencyKey = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]


class RecipientIn(In):
    client_id: Id
    at: AwareTime | None = None


class SendIn(SendRequest):
    client_ids: list[Id] | None = None
    recipients: list[RecipientIn] | None = None
    """Each client with its own time: seed 000's "a schedule for every client"."""
    idempotency_key: IdempotencyKey | None = None

    def to_command(self, header_key: str | None) -> SendCommand:
        return SendCommand(
            type_id=self.communication_type_id,
            department_id=self.department_id,
            content=Content(
                document_id=self.document_id,
                subject=self.subject,
                text=self.text,
                html=self.html,
                variables=dict(self.variables),
            ),
            audience=Audience(
                client_ids=tuple(self.client_ids or ()),
                group_id=self.group_id,
                project_id=self.project_id,
                recipients=tuple(
                    ScheduledRecipient(client_id=r.client_id, at=r.at) for r in self.recipients or ()
                ),
            ),
            channel_ids=self.channel_ids,
            at=self.moment,
            idempotency_key=header_key or self.idempotency_key,
            auto_channels=self.auto_channels,
            auto_time=self.auto_time,
        )


class AcceptedOut(Out):
    client_id: int
    uuid: str
    channel_id: int
    scheduled_at: str


class RefusedOut(Out):
    client_id: int
    reason: str
    message: str


class SendOut(Out, omit_defaults=True):
    send_id: int
    accepted_count: int
    refused_count: int
    accepted: list[AcceptedOut] | UnsetType = UNSET
    """Absent above 1,000 clients: page them under GET /api/v1/sends/{sendId}."""
    refused: list[RefusedOut] | UnsetType = UNSET


class AcceptedPage(Out):
    items: list[AcceptedOut]
    total: int


class RefusedPage(Out):
    items: list[RefusedOut]
    total: int


class SendProgressOut(Out):
    send_id: int
    create_time: str
    accepted_count: int
    refused_count: int
    lifecycle: dict[str, int]
    delivery: dict[str, int]
    accepted: AcceptedPage
    refused: RefusedPage


def accepted_out(item: AcceptedItem) -> AcceptedOut:
    return AcceptedOut(
        client_id=item.client_id,
        uuid=item.uuid,
        channel_id=item.channel_id,
        scheduled_at=iso(item.scheduled_at) or "",
    )


def refused_out(item: RefusedItem) -> RefusedOut:
    return RefusedOut(client_id=item.client_id, reason=item.reason.value, message=item.message)


def send_out(answer: SendAnswer) -> SendOut:
    return SendOut(
        send_id=answer.send_id,
        accepted_count=answer.accepted_count,
        refused_count=answer.refused_count,
        accepted=UNSET if answer.accepted is None else [accepted_out(a) for a in answer.accepted],
        refused=UNSET if answer.refused is None else [refused_out(r) for r in answer.refused],
    )


def progress_out(progress: SendProgress) -> SendProgressOut:
    return SendProgressOut(
        send_id=progress.send_id,
        create_time=iso(progress.create_time) or "",
        accepted_count=progress.accepted_count,
        refused_count=progress.refused_count,
        lifecycle=dict(progress.lifecycle),
        delivery=dict(progress.delivery),
        accepted=AcceptedPage(
            items=[accepted_out(a) for a in progress.accepted], total=progress.accepted_count
        ),
        refused=RefusedPage(items=[refused_out(r) for r in progress.refused], total=progress.refused_count),
    )
