"""One communication: recording it, changing it, moving its status, and its full and short answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from msgspec import UNSET, UnsetType

from application.communications.recording import NewCommunication
from domain.communications import (
    Communication,
    CommunicationKind,
    DeliveryStatus,
    Direction,
    IdTranslation,
    LifecycleStatus,
)
from entrypoints.http.schemas.common import In, Out, aware, patch_of
from entrypoints.http.schemas.communications.fields import Reason, RefId, Subject, Text, Uuid
from entrypoints.http.schemas.times import SeedTime, Timestamp, seed_time

# --- requests -------------------------------------------------------------------------------


class CommunicationIn(In):
    kind: CommunicationKind
    """fact: happening now (starts in_progress); planned: to happen later (starts created)."""
    direction: Direction
    communication_type_id: RefId
    channel_id: RefId
    """The communication method: any channel, calls and visits included."""
    uuid: Uuid | None = None
    """Your own uuid for it; one is generated when absent."""
    client_id: RefId | None = None
    employee_id: RefId | None = None
    """Defaults to the calling employee."""
    department_id: RefId | None = None
    """Defaults to the employee's department."""
    project_id: RefId | None = None
    document_id: RefId | None = None
    subject: Subject | None = None
    content: Text | None = None
    scheduled_at: datetime | None = None

    renames = {"communication_type_id": "type_id"}  # noqa: RUF012
    converters = {"scheduled_at": aware}  # noqa: RUF012

    def to_command(self) -> Any:
        return self.as_command(NewCommunication)


CommunicationPatch = patch_of(
    CommunicationIn, without=("kind", "direction", "uuid"), extra=(("result", Text | None),)
)
"""The fields to change; absent ones stay, null clears. Status moves through the actions."""


class CloseIn(In):
    result: Text | None = None


class FailIn(In):
    reason: Reason
    """What was attempted and why it did not happen (e.g. "no answer after 3 calls")."""


class CancelIn(In):
    reason: Reason | None = None


# --- answers --------------------------------------------------------------------------------


class ExternalIdOut(Out):
    system: str
    external_id: str


class CommunicationOut(Out):
    """The full info model of a communication."""

    id: int
    uuid: str
    kind: CommunicationKind
    direction: Direction
    status: LifecycleStatus
    delivery_status: DeliveryStatus | None
    communication_type_id: int
    channel_id: int
    client_id: int | None
    employee_id: int | None
    department_id: int | None
    project_id: int | None
    mailing_id: int | None
    document_id: int | None
    subject: str | None
    content: str | None
    scheduled_at: Timestamp | None
    date_start: Timestamp | None
    date_finish: Timestamp | None
    """Set when done (seed 002: "Выполнена" is `date_finish is not null`)."""
    is_cancelled: bool
    is_failed: bool
    result: str | None
    failure_reason: str | None
    provider: str | None
    provider_message_id: str | None
    attempts: int
    fallback_of: int | None
    """The communication this one follows up on the next channel of its send (channel fallback)."""
    create_time: Timestamp
    update_time: Timestamp
    external_ids: list[ExternalIdOut] | UnsetType = UNSET
    """Its ids in other systems (single-communication answers only)."""


def communication_out(c: Communication, external_ids: list[IdTranslation] | None = None) -> CommunicationOut:
    # By hand: the seeds' names differ from the entity's (dateStart is started_at) and some are derived.
    return CommunicationOut(
        id=c.id or 0,
        uuid=c.uuid,
        kind=c.kind,
        direction=c.direction,
        status=c.status,
        delivery_status=c.delivery_status,
        communication_type_id=c.type_id,
        channel_id=c.channel_id,
        client_id=c.client_id,
        employee_id=c.employee_id,
        department_id=c.department_id,
        project_id=c.project_id,
        mailing_id=c.mailing_id,
        document_id=c.document_id,
        subject=c.subject,
        content=c.content,
        scheduled_at=seed_time(c.scheduled_at),
        date_start=seed_time(c.started_at),
        date_finish=seed_time(c.finished_at),
        is_cancelled=c.status is LifecycleStatus.CANCELLED,
        is_failed=c.status is LifecycleStatus.FAILED,
        result=c.result,
        failure_reason=c.failure_reason,
        provider=c.provider,
        provider_message_id=c.provider_message_id,
        attempts=c.attempts,
        fallback_of=c.fallback_of,
        create_time=SeedTime(c.create_time),
        update_time=SeedTime(c.update_time),
        external_ids=UNSET
        if external_ids is None
        else [ExternalIdOut(system=t.system, external_id=t.external_id) for t in external_ids],
    )


class CommunicationShortOut(Out):
    """The short info model (``GET /v2/communications/{uuid}?model=short``)."""

    id: int
    uuid: str
    kind: CommunicationKind
    direction: Direction
    status: LifecycleStatus
    communication_type_id: int
    channel_id: int
    client_id: int | None
    create_time: Timestamp


def short_out(c: Communication) -> CommunicationShortOut:
    # By hand: the seeds name the type communicationTypeId, the entity type_id.
    return CommunicationShortOut(
        id=c.id or 0,
        uuid=c.uuid,
        kind=c.kind,
        direction=c.direction,
        status=c.status,
        communication_type_id=c.type_id,
        channel_id=c.channel_id,
        client_id=c.client_id,
        create_time=SeedTime(c.create_time),
    )
