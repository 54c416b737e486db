"""History import: years of CRM communications, so that decisions learn from them on day one.

One unit of work for the whole request: the valid rows and their statistics counters are stored
together; invalid rows are reported by index and left out. A row's uuid makes a re-import
idempotent: a uuid already stored is counted as imported and not written again.
"""

from __future__ import annotations

import uuid as uuid_module
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from application.ports import Clock, UnitOfWork, UnitOfWorkFactory
from application.queries import Query
from application.searches import ClientFields, CommunicationFields, ProjectFields
from domain.access import Principal
from domain.communications import (
    IMPORTED_ENDINGS,
    SUCCESSFUL_DELIVERY,
    Communication,
    DeliveryStatus,
    Direction,
    LifecycleStatus,
)
from domain.errors import DomainError

MAX_ROWS = 10_000


@dataclass(frozen=True)
class ImportedCommunication:
    """One past communication as a CRM exports it."""

    index: int
    type_id: int
    channel_id: int
    direction: Direction
    started_at: datetime
    status: LifecycleStatus
    uuid: str | None = None
    client_id: int | None = None
    project_code: str | None = None
    guid: str | None = None
    finished_at: datetime | None = None
    delivery_status: DeliveryStatus | None = None
    responded: bool | None = None
    employee_id: int | None = None
    department_id: int | None = None
    result: str | None = None


@dataclass(frozen=True)
class Rejection:
    index: int
    reason: str


@dataclass(frozen=True)
class ImportReport:
    imported: int
    rejected: list[Rejection]


@dataclass
class _References:
    types: set[int]
    channels: set[int]
    employees: set[int]
    departments: set[int]
    clients: set[int]
    by_guid: dict[tuple[str, str], int]
    stored_uuids: set[str]


class ImportHistory:
    """Stores past communications in bulk, with their statistics, in one transaction."""

    def __init__(
        self, uow_factory: UnitOfWorkFactory, clock: Clock, new_uuid: Callable[[], str] | None = None
    ) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self._new_uuid = new_uuid or (lambda: str(uuid_module.uuid4()))

    async def __call__(self, rows: Sequence[ImportedCommunication], actor: Principal) -> ImportReport:
        """Imports the valid rows; every other row comes back with the reason it was left out."""
        rejected: list[Rejection] = []
        async with self._uow_factory() as uow:
            refs = await self._references(uow, rows)
            fresh: list[Communication] = []
            seen: set[str] = set()
            already = 0
            for row in rows:
                try:
                    built = self._build(row, refs, actor)
                except (DomainError, ValueError) as error:
                    rejected.append(Rejection(row.index, str(error)))
                    continue
                if built.uuid in refs.stored_uuids:
                    already += 1
                elif built.uuid in seen:
                    rejected.append(Rejection(row.index, f"uuid {built.uuid} appears twice in the request"))
                else:
                    seen.add(built.uuid)
                    fresh.append(built)
            await uow.history_import.write(fresh, actor.actor)
            await uow.commit()
        return ImportReport(len(fresh) + already, sorted(rejected, key=lambda r: r.index))

    async def _references(self, uow: UnitOfWork, rows: Sequence[ImportedCommunication]) -> _References:
        """One query per kind of reference for the whole request."""

        async def existing(repository: object, ids: set[int]) -> set[int]:
            return set(await repository.get_many(ids)) if ids else set()  # type: ignore[attr-defined]

        codes = sorted({r.project_code for r in rows if r.project_code is not None})
        guids = sorted({r.guid for r in rows if r.guid is not None})
        by_guid: dict[tuple[str, str], int] = {}
        if codes and guids:
            projects = await uow.projects.find(Query((ProjectFields.code.in_(codes),), limit=len(codes)))
            code_of = {p.id: p.code for p in projects}
            members = await uow.clients.find(Query((ClientFields.guid.in_(guids),), limit=len(guids) * 4))
            by_guid = {
                (code_of[c.project_id], c.guid): c.id
                for c in members
                if c.project_id in code_of and c.guid is not None and c.id is not None
            }
        uuids = sorted({r.uuid for r in rows if r.uuid is not None})
        stored = (
            await uow.communications.find(Query((CommunicationFields.uuid.in_(uuids),), limit=len(uuids)))
            if uuids
            else []
        )
        return _References(
            types=await existing(uow.communication_types, {r.type_id for r in rows}),
            channels=await existing(uow.channels, {r.channel_id for r in rows}),
            employees=await existing(
                uow.employees, {r.employee_id for r in rows if r.employee_id is not None}
            ),
            departments=await existing(
                uow.departments, {r.department_id for r in rows if r.department_id is not None}
            ),
            clients=await existing(uow.clients, {r.client_id for r in rows if r.client_id is not None}),
            by_guid=by_guid,
            stored_uuids={c.uuid for c in stored},
        )

    def _build(self, row: ImportedCommunication, refs: _References, actor: Principal) -> Communication:
        actor.require_send(row.type_id, row.channel_id)
        client_id = self._client_of(row, refs)
        for name, value, known in (
            ("communication type", row.type_id, refs.types),
            ("channel", row.channel_id, refs.channels),
            ("employee", row.employee_id, refs.employees),
            ("department", row.department_id, refs.departments),
        ):
            if value is not None and value not in known:
                raise ValueError(f"unknown {name} {value}")
        if row.status not in IMPORTED_ENDINGS:
            raise ValueError(f"status must be done, failed or cancelled, not {row.status.value}")
        ended = row.finished_at or row.started_at
        if ended < row.started_at:
            raise ValueError("finishedAt is before startedAt")
        delivery = row.delivery_status
        if row.responded:
            if delivery is not None and delivery not in SUCCESSFUL_DELIVERY:
                raise ValueError(f"responded contradicts deliveryStatus {delivery.value}")
            delivery = DeliveryStatus.RESPONDED
        # One step, not the entity's transitions one by one: the same row (tests hold them equal).
        return Communication.imported(
            uuid=row.uuid or self._new_uuid(),
            direction=row.direction,
            type_id=row.type_id,
            channel_id=row.channel_id,
            started_at=row.started_at,
            ended_at=ended,
            status=row.status,
            delivery_status=delivery,
            client_id=client_id,
            employee_id=row.employee_id,
            department_id=row.department_id,
            result=row.result,
        )

    @staticmethod
    def _client_of(row: ImportedCommunication, refs: _References) -> int:
        if row.client_id is not None:
            if row.client_id not in refs.clients:
                raise ValueError(f"unknown client {row.client_id}")
            return row.client_id
        if row.project_code is None or row.guid is None:
            raise ValueError("name the client: clientId, or project and guid")
        found = refs.by_guid.get((row.project_code, row.guid))
        if found is None:
            raise ValueError(f"no client with guid {row.guid!r} in project {row.project_code!r}")
        return found
