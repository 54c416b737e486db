"""One row of a history import, as a CRM exports it (JSON array item or NDJSON line)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from application.decisions.importing import ImportedCommunication, ImportReport
from domain.communications import DeliveryStatus, Direction, LifecycleStatus
from entrypoints.http.schemas.common import Out, aware


class ImportRowIn(
    msgspec.Struct, forbid_unknown_fields=True, kw_only=True, frozen=True, rename="camel", gc=False
):
    # gc=False: its fields are never containers, so it can be in no cycle; 10,000 rows a request
    # then give the collector 10,000 objects fewer to walk.
    uuid: Annotated[str, msgspec.Meta(max_length=36)] | None = None
    client_id: Annotated[int, msgspec.Meta(ge=1)] | None = None
    project: Annotated[str, msgspec.Meta(max_length=64, description="project code, with guid")] | None = None
    guid: Annotated[str, msgspec.Meta(max_length=255)] | None = None
    communication_type_id: Annotated[int, msgspec.Meta(ge=1)]
    channel_id: Annotated[int, msgspec.Meta(ge=1)]
    direction: Literal["inbound", "outbound"]
    started_at: datetime
    finished_at: datetime | None = None
    status: Literal["done", "failed", "cancelled"]
    delivery_status: Literal["sent", "delivered", "read", "responded", "undelivered", "failed"] | None = None
    responded: bool | None = None
    employee_id: Annotated[int, msgspec.Meta(ge=1)] | None = None
    department_id: Annotated[int, msgspec.Meta(ge=1)] | None = None
    result: Annotated[str, msgspec.Meta(max_length=10_000)] | None = None

    def to_command(self, index: int) -> ImportedCommunication:
        return ImportedCommunication(
            index=index,
            uuid=None if self.uuid is None else self.uuid.lower(),
            client_id=self.client_id,
            project_code=self.project,
            guid=self.guid,
            type_id=self.communication_type_id,
            channel_id=self.channel_id,
            direction=_DIRECTIONS[self.direction],
            started_at=aware(self.started_at),
            finished_at=None if self.finished_at is None else aware(self.finished_at),
            status=_STATUSES[self.status],
            delivery_status=None if self.delivery_status is None else _DELIVERIES[self.delivery_status],
            responded=self.responded,
            employee_id=self.employee_id,
            department_id=self.department_id,
            result=self.result,
        )


# The enum members by value, looked up rather than called: 10,000 rows a request, three each.
_DIRECTIONS = {member.value: member for member in Direction}
_STATUSES = {member.value: member for member in LifecycleStatus}
_DELIVERIES = {member.value: member for member in DeliveryStatus}


class RejectedRowOut(Out):
    index: int
    reason: str


class ImportOut(Out):
    imported: Annotated[int, msgspec.Meta(description="rows stored now or already stored under their uuid")]
    rejected: list[RejectedRowOut]


def import_out(report: ImportReport, rejected_at_edge: list[tuple[int, str]]) -> ImportOut:
    # By hand: rows the edge refused join those the use case refused, in row order.
    rejected = [RejectedRowOut(index=i, reason=r) for i, r in rejected_at_edge]
    rejected += [RejectedRowOut(index=r.index, reason=r.reason) for r in report.rejected]
    return ImportOut(imported=report.imported, rejected=sorted(rejected, key=lambda r: r.index))
