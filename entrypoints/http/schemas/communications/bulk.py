"""Setting the status of many communications at once: the scope asked for and what came of it."""

from __future__ import annotations

import msgspec

from application.communications.bulk import BulkOutcome, BulkStatusChange
from domain.communications import LifecycleStatus
from domain.errors import ValidationFailed
from entrypoints.http.schemas.common import In, Out
from entrypoints.http.schemas.communications.fields import CommunicationId, Reason, RefId, Text, Uuid


class BulkStatusIn(In):
    """Name exactly one scope: a communication (id or uuid), a department, a client, a group, or all."""

    status: LifecycleStatus
    communication_id: CommunicationId | None = None
    uuid: Uuid | None = None
    department_id: RefId | None = None
    client_id: RefId | None = None
    client_group_id: RefId | None = None
    all: bool = False
    only_statuses: list[LifecycleStatus] = msgspec.field(default_factory=list)
    """Touch only communications now in one of these statuses."""
    reason: Reason | None = None
    """Required to fail; noted when cancelling."""
    result: Text | None = None
    """Written when closing (done)."""

    def to_command(self) -> BulkStatusChange:
        if self.communication_id is not None and self.uuid is not None:
            raise ValidationFailed.field("uuid", "give communicationId or uuid, not both")
        return BulkStatusChange(
            status=self.status,
            communication=self.communication_id if self.communication_id is not None else self.uuid,
            department_id=self.department_id,
            client_id=self.client_id,
            client_group_id=self.client_group_id,
            everything=self.all,
            only_statuses=tuple(self.only_statuses),
            reason=self.reason,
            result=self.result,
        )


class RefusalOut(Out):
    id: int
    uuid: str
    status: LifecycleStatus
    """Its status, unchanged."""
    reason: str


class BulkOutcomeOut(Out):
    matched: int
    changed: int
    unchanged: int
    """Already in the requested status."""
    refused: list[RefusalOut]


def bulk_out(outcome: BulkOutcome) -> BulkOutcomeOut:
    # By hand: a refusal's id is the entity's communication_id.
    return BulkOutcomeOut(
        matched=outcome.matched,
        changed=outcome.changed,
        unchanged=outcome.unchanged,
        refused=[
            RefusalOut(id=r.communication_id, uuid=r.uuid, status=r.status, reason=r.reason)
            for r in outcome.refused
        ],
    )
