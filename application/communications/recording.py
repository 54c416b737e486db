"""Recording communications and moving them through their lifecycle (SPEC §1, §2; seed 002).

Every change names its actor (the Principal) and lands in the communication's history in the
same transaction. Writing needs the ``send_communications`` grant for the communication's
type and channel (before and after a change of either); reading needs only a login.
"""

from __future__ import annotations

import dataclasses
import uuid as uuid_module
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from application.communications.listing import (
    CommunicationFilter,
    CommunicationPage,
    PageRequest,
    canonical_uuid,
)
from application.communications.ports import UuidGenerator
from application.events.status import StatusWatch, complete_sends
from application.managed_entities import (
    Command,
    MustExist,
    changes_of,
    check_references,
    command_for,
    patch_for,
    require_command,
)
from application.ports import Clock, UnitOfWork, UnitOfWorkFactory
from application.queries import Query
from application.searches import ChannelFields, IdTranslationFields
from domain.access import Principal, PrincipalKind
from domain.clients import Client
from domain.communications import (
    Communication,
    IdTranslation,
    StatusChange,
)
from domain.dictionaries import Channel, CommunicationType
from domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from domain.organisation import Employee

CommunicationKey = int | str
"""A communication's id, or its uuid in any common spelling."""

REFERENCES: tuple[MustExist, ...] = (
    MustExist("type_id", lambda uow: uow.communication_types, "communication type"),
    MustExist("channel_id", lambda uow: uow.channels, "channel"),
    MustExist("client_id", lambda uow: uow.clients, "client"),
    MustExist("employee_id", lambda uow: uow.employees, "employee"),
    MustExist("department_id", lambda uow: uow.departments, "department"),
    MustExist("project_id", lambda uow: uow.projects, "project"),
    MustExist("document_id", lambda uow: uow.documents, "document"),
)


def random_uuid() -> str:
    """A new random (version 4) uuid."""
    return str(uuid_module.uuid4())


NewCommunication = command_for(
    Communication,
    "NewCommunication",
    # What the lifecycle, dispatch and delivery set later; the uuid is the caller's choice, below.
    without=(
        "uuid",
        "status",
        "delivery_status",
        "mailing_id",
        "started_at",
        "finished_at",
        "result",
        "failure_reason",
        "provider",
        "provider_message_id",
        "attempts",
        "fallback_of",
        "history",
    ),
    extra=(("uuid", str | None, None),),
)
"""The command to record a communication, fact or planned; ``uuid`` is the caller's own (an
integrator's idempotency), a new one when not given."""

CommunicationChange = patch_for(
    NewCommunication,
    "CommunicationChange",
    without=("kind", "direction", "uuid"),
    extra=(("result", str | None),),
)
"""The command to edit a communication: the fields to change (``UNSET`` stays, None clears)."""


@dataclass(frozen=True)
class CommunicationDetails:
    """A communication with its ids in other systems."""

    communication: Communication
    external_ids: list[IdTranslation]


@dataclass(frozen=True)
class CommunicationHistory:
    """A communication with every recorded change."""

    communication: Communication
    entries: list[StatusChange]
    """Oldest first."""


@dataclass(frozen=True)
class PrimaryInfo:
    """What a front end shows at a glance: the record with the names of what it points at."""

    communication: Communication
    type: CommunicationType | None
    channel: Channel | None
    client: Client | None
    employee: Employee | None


async def load(uow: UnitOfWork, key: CommunicationKey) -> Communication:
    """By id, or by uuid when the key is text (400 when it is not a UUID, 404 when unknown)."""
    if isinstance(key, int):
        # Beyond the 64-bit ids storage hands out nothing can be found (nor asked of SQL).
        found = await uow.communications.get(key) if 0 < key < 2**63 else None
    else:
        found = await uow.communications.get_by_uuid(canonical_uuid(key))
    if found is None:
        raise NotFound("communication", key)
    return found


async def ensure_references_exist(uow: UnitOfWork, values: Mapping[str, Any]) -> None:
    """Each referenced id names a stored entity; types and channels must also be active."""
    found = await check_references(uow, REFERENCES, values)
    problems = [
        FieldError(ref.field, f"the {ref.kind} {entity.id} is inactive")
        for ref in REFERENCES
        if ref.field in ("type_id", "channel_id")
        for entity in found.get(ref.field, {}).values()
        if not entity.active
    ]
    if problems:
        raise ValidationFailed(problems)


class Communications:
    """Create, read, edit, delete and move one communication through its lifecycle."""

    def __init__(
        self, uow_factory: UnitOfWorkFactory, clock: Clock, new_uuid: UuidGenerator = random_uuid
    ) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self._new_uuid = new_uuid

    # -- reading -------------------------------------------------------------------------------

    async def get(self, key: CommunicationKey) -> Communication:
        """One communication by id or uuid (404 when unknown)."""
        async with self._uow_factory(read_only=True) as uow:
            return await load(uow, key)

    async def details(self, key: CommunicationKey) -> CommunicationDetails:
        """The communication with its ids in other systems."""
        async with self._uow_factory(read_only=True) as uow:
            communication = await load(uow, key)
            assert communication.id is not None
            links = await uow.communications.find_translations(
                Query(
                    criteria=(IdTranslationFields.communication_id.eq(communication.id),),
                    order_by=(IdTranslationFields.system.asc(),),
                    limit=1000,
                )
            )
            return CommunicationDetails(communication, links)

    async def primary_info(self, key: CommunicationKey) -> PrimaryInfo:
        """The communication with the names of its type, channel, client and employee."""
        async with self._uow_factory(read_only=True) as uow:
            c = await load(uow, key)
            return PrimaryInfo(
                communication=c,
                type=await uow.communication_types.get(c.type_id),
                channel=await uow.channels.get(c.channel_id),
                client=None if c.client_id is None else await uow.clients.get(c.client_id),
                employee=None if c.employee_id is None else await uow.employees.get(c.employee_id),
            )

    async def history(self, key: CommunicationKey) -> CommunicationHistory:
        """The communication with every recorded change."""
        async with self._uow_factory(read_only=True) as uow:
            communication = await load(uow, key)
            assert communication.id is not None
            return CommunicationHistory(communication, await uow.communications.history(communication.id))

    async def find(self, filters: CommunicationFilter, page: PageRequest) -> CommunicationPage:
        """One page of the communications that meet every filter."""
        page = page.checked()
        criteria = filters.criteria()
        after = page.after()
        query = Query(criteria=criteria, order_by=page.order, limit=page.limit, offset=page.offset)
        async with self._uow_factory(read_only=True) as uow:
            items = await uow.communications.find(query, after)
            total = await uow.communications.count(*criteria) if page.with_total else None
        return CommunicationPage(
            items=items,
            total=total,
            limit=page.limit,
            offset=page.offset,
            next_cursor=page.next_cursor(items),
        )

    async def methods(self) -> list[Channel]:
        """The communication methods (channels) dictionary of seed 002, active and not."""
        async with self._uow_factory(read_only=True) as uow:
            return await uow.channels.find(Query(order_by=(ChannelFields.id.asc(),), limit=10_000))

    # -- writing -------------------------------------------------------------------------------

    async def create(self, principal: Principal, command: Any) -> Communication:
        """Records a communication (a ``NewCommunication``): the caller must hold the send grant for
        its type and channel."""
        require_command(self, command, NewCommunication)
        principal.require_send(command.type_id, command.channel_id)
        async with self._uow_factory() as uow:
            command = await _with_sender(uow, principal, command)
            await ensure_references_exist(uow, {ref.field: getattr(command, ref.field) for ref in REFERENCES})
            uuid = canonical_uuid(command.uuid) if command.uuid else self._new_uuid()
            if await uow.communications.get_by_uuid(uuid) is not None:
                raise Conflict(f"a communication with uuid {uuid} already exists")
            communication = Communication.open(
                uuid=uuid,
                at=self._clock.now(),
                actor=principal.actor,
                kind=command.kind,
                direction=command.direction,
                type_id=command.type_id,
                channel_id=command.channel_id,
                client_id=command.client_id,
                employee_id=command.employee_id,
                department_id=command.department_id,
                project_id=command.project_id,
                document_id=command.document_id,
                subject=command.subject,
                content=command.content,
                scheduled_at=command.scheduled_at,
            )
            await uow.communications.add(communication)
            await uow.commit()
        return communication

    async def edit(self, principal: Principal, key: CommunicationKey, patch: Command) -> Communication:
        """Changes the given fields (a ``CommunicationChange``); type and channel are checked against
        the send grant again."""
        require_command(self, patch, CommunicationChange)
        changes = changes_of(patch)
        cleared = [name for name in ("type_id", "channel_id") if name in changes and changes[name] is None]
        if cleared:
            raise ValidationFailed([FieldError(name, "must not be null") for name in cleared])

        changed: set[str] = set()

        def apply(c: Communication, at: datetime, actor: str) -> None:
            changed.update(c.edit(at=at, actor=actor, **changes))
            c.record_edit(changed, at=at, actor=actor)

        async def check(uow: UnitOfWork, c: Communication) -> None:
            # Only what changed: a PATCH repeating the whole record must not trip over a type
            # made inactive since.
            await ensure_references_exist(uow, {k: getattr(c, k) for k in changed & _REF_FIELDS})
            principal.require_send(c.type_id, c.channel_id)  # the type and channel it now has

        return await self._change(principal, key, apply, check)

    async def start(self, principal: Principal, key: CommunicationKey) -> Communication:
        """created -> in_progress."""
        return await self._change(principal, key, lambda c, at, actor: c.start(at=at, actor=actor))

    async def close(
        self, principal: Principal, key: CommunicationKey, result: str | None = None
    ) -> Communication:
        """-> done, with an optional result."""
        return await self._change(
            principal, key, lambda c, at, actor: c.close(at=at, actor=actor, result=result)
        )

    async def fail(self, principal: Principal, key: CommunicationKey, reason: str) -> Communication:
        """-> failed ("out"), with the reason."""
        return await self._change(
            principal, key, lambda c, at, actor: c.fail(at=at, actor=actor, reason=reason)
        )

    async def cancel(
        self, principal: Principal, key: CommunicationKey, reason: str | None = None
    ) -> Communication:
        """-> cancelled (a planned communication only)."""
        return await self._change(
            principal, key, lambda c, at, actor: c.cancel(at=at, actor=actor, reason=reason)
        )

    async def delete(self, principal: Principal, key: CommunicationKey) -> None:
        """Removes the communication with its history."""
        async with self._uow_factory() as uow:
            communication = await load(uow, key)
            principal.require_send(communication.type_id, communication.channel_id)
            assert communication.id is not None
            # A send waits for each of its communications to end: one deleted first ends for it.
            sends = {} if communication.is_terminal else await uow.sends.send_ids([communication.id])
            await uow.communications.delete(communication.id)
            if sends:
                finished = Counter(sends.values())
                mailings = await uow.mailing_runs.mailings_of_sends(set(finished))
                await complete_sends(uow, finished, mailings, self._clock.now())
            await uow.commit()

    async def _change(
        self,
        principal: Principal,
        key: CommunicationKey,
        apply: Callable[[Communication, datetime, str], None],
        check: Callable[[UnitOfWork, Communication], Any] | None = None,
    ) -> Communication:
        async with self._uow_factory() as uow:
            communication = await load(uow, key)
            watch = StatusWatch([communication])
            principal.require_send(communication.type_id, communication.channel_id)
            apply(communication, self._clock.now(), principal.actor)
            if check is not None:
                await check(uow, communication)
            await uow.communications.update(communication)
            await watch.record(uow, [communication])
            await uow.commit()
        return communication


_REF_FIELDS = frozenset(ref.field for ref in REFERENCES)


async def _with_sender(uow: UnitOfWork, principal: Principal, command: Any) -> Any:
    """The command with its sender: an employee who names none is the sender, and the sender's
    department is the communication's unless the command names one."""
    employee_id, department_id = command.employee_id, command.department_id
    if employee_id is None and principal.kind is PrincipalKind.EMPLOYEE:
        employee_id = principal.id
        department_id = principal.department_id if department_id is None else department_id
    if employee_id is not None and department_id is None:
        employee = await uow.employees.get(employee_id)
        department_id = employee.department_id if employee else None
    return dataclasses.replace(command, employee_id=employee_id, department_id=department_id)
