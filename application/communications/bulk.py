"""Bulk status update (seed 000): one communication, a department's, a client's, a group's, or all.

Each communication goes through its own state machine: those it refuses are reported with
the reason, never skipped in silence. The work is bounded (``MAX_BULK`` matches per call) and
committed in batches of ``BATCH_SIZE``, each batch one transaction: a failure part way keeps
the batches before it, and a second call then finds those already in the target status.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from application.communications.ports import Keyset
from application.communications.records import CommunicationKey, load
from application.events.status import StatusWatch
from application.ports import Clock, Repository, UnitOfWork, UnitOfWorkFactory
from application.queries import Criterion, Field, Query
from application.searches import CommunicationFields
from domain.access import Principal
from domain.communications import Communication, LifecycleStatus
from domain.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed

MAX_BULK = 10_000
BATCH_SIZE = 500


@dataclass(frozen=True, kw_only=True)
class BulkStatusChange:
    """Move every communication of exactly one scope to ``status``."""

    status: LifecycleStatus
    communication: CommunicationKey | None = None
    department_id: int | None = None
    client_id: int | None = None
    client_group_id: int | None = None
    everything: bool = False
    only_statuses: tuple[LifecycleStatus, ...] = ()
    """Touch only communications now in one of these statuses (narrows a large scope)."""
    reason: str | None = None
    """Required to fail; noted when cancelling."""
    result: str | None = None
    """Written when closing (done)."""


@dataclass(frozen=True)
class Refusal:
    """A communication the bulk change left as it was, and why."""

    communication_id: int
    uuid: str
    status: LifecycleStatus
    reason: str


@dataclass(frozen=True)
class BulkOutcome:
    """What a bulk status change did: matched, changed, unchanged, refused."""

    matched: int
    changed: int
    unchanged: int
    """Already in the requested status."""
    refused: list[Refusal]


class BulkStatusUpdate:
    """Moves every communication of one scope to a status, in bounded batches."""

    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow_factory = uow_factory
        self._clock = clock

    async def __call__(self, principal: Principal, command: BulkStatusChange) -> BulkOutcome:
        if command.status is LifecycleStatus.CREATED:
            raise ValidationFailed.field("status", "nothing moves back to created")
        async with self._uow_factory(read_only=True) as uow:
            criteria = await self._scope(uow, command)
            matched = await uow.communications.count(*criteria)
        if matched > MAX_BULK:
            raise ValidationFailed.field(
                "scope",
                f"{matched} communications match; at most {MAX_BULK} per call: narrow it with only_statuses",
            )
        changed = unchanged = 0
        refused: list[Refusal] = []
        after: Keyset | None = None
        while True:
            async with self._uow_factory() as uow:
                batch = await uow.communications.find(
                    Query(criteria, order_by=("id",), limit=BATCH_SIZE), after
                )
                moved: list[Communication] = []
                watch = StatusWatch(batch)
                for communication in batch:
                    if communication.status is command.status:
                        unchanged += 1
                        continue
                    refusal = self._move(principal, communication, command)
                    if refusal is None:
                        moved.append(communication)
                    else:
                        refused.append(refusal)
                await uow.communications.update_many(moved)
                await watch.record(uow, moved)
                await uow.commit()
            changed += len(moved)
            if len(batch) < BATCH_SIZE:
                break
            last = batch[-1].id
            assert last is not None
            after = Keyset(value=last, id=last)
        return BulkOutcome(
            matched=changed + unchanged + len(refused), changed=changed, unchanged=unchanged, refused=refused
        )

    def _move(self, principal: Principal, c: Communication, command: BulkStatusChange) -> Refusal | None:
        try:
            principal.require_send(c.type_id, c.channel_id)
            c.set_status(
                command.status,
                at=self._clock.now(),
                actor=principal.actor,
                reason=command.reason,
                result=command.result,
            )
        except (InvalidTransition, ValidationFailed, PermissionDenied) as refusal:
            assert c.id is not None
            return Refusal(communication_id=c.id, uuid=c.uuid, status=c.status, reason=refusal.message)
        return None

    async def _scope(self, uow: UnitOfWork, command: BulkStatusChange) -> tuple[Criterion, ...]:
        scopes = {
            "communication": command.communication,
            "department_id": command.department_id,
            "client_id": command.client_id,
            "client_group_id": command.client_group_id,
            "all": command.everything or None,
        }
        given = [name for name, value in scopes.items() if value is not None]
        if len(given) != 1:
            raise ValidationFailed.field(
                "scope", f"name exactly one of {', '.join(scopes)}; got {', '.join(given) or 'none'}"
            )
        criteria: list[Criterion] = []
        if command.communication is not None:
            found = await load(uow, command.communication)
            assert found.id is not None
            criteria.append(CommunicationFields.id.eq(found.id))
        scoped: tuple[tuple[int | None, Repository[Any], str, Field[int]], ...] = (
            (command.department_id, uow.departments, "department", CommunicationFields.department_id),
            (command.client_id, uow.clients, "client", CommunicationFields.client_id),
            (command.client_group_id, uow.client_groups, "client group", CommunicationFields.client_group_id),
        )
        for value, repository, kind, field in scoped:
            if value is not None:
                if await repository.get(value) is None:
                    raise NotFound(kind, value)
                criteria.append(field.eq(value))
        if command.only_statuses:
            criteria.append(CommunicationFields.status.in_(command.only_statuses))
        return tuple(criteria)
