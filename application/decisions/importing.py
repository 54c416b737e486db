"""History import: years of CRM communications, so that decisions learn from them on day one.

One unit of work for the whole request: the valid rows and their statistics counters are stored
together; invalid rows are reported by index and left out. A row's uuid makes a re-import
idempotent: a uuid already stored is counted as imported and not written again.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from application.decisions.ports import ImportReferences, StoredReferences
from application.ports import Clock, UnitOfWorkFactory
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

_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


def random_uuid4() -> str:
    """``str(uuid.uuid4())`` without the UUID object in between (half the time: an import makes
    one per row that brings none): 122 random bits, the version and the RFC 4122 variant set."""
    digits = os.urandom(16).hex()
    return f"{digits[:8]}-{digits[8:12]}-4{digits[13:16]}-{_VARIANT[digits[16]]}{digits[17:20]}-{digits[20:]}"


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


class ImportHistory:
    """Stores past communications in bulk, with their statistics, in one transaction."""

    def __init__(
        self, uow_factory: UnitOfWorkFactory, clock: Clock, new_uuid: Callable[[], str] | None = None
    ) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self._new_uuid = new_uuid or random_uuid4

    async def __call__(self, rows: Sequence[ImportedCommunication], actor: Principal) -> ImportReport:
        """Imports the valid rows; every other row comes back with the reason it was left out."""
        rejected: list[Rejection] = []
        already: list[int] = []
        async with self._uow_factory() as uow:
            refs = await uow.history_import.stored(_asked(rows))
            accepted = self._accepted(rows, refs, actor, rejected, already)
            # Built as the store takes them: the database copies the first rows while the next
            # ones are validated.
            stored = await uow.history_import.write(accepted, actor.actor, at_most=len(rows))
            await uow.commit()
        return ImportReport(stored + len(already), sorted(rejected, key=lambda r: r.index))

    def _accepted(
        self,
        rows: Sequence[ImportedCommunication],
        refs: StoredReferences,
        actor: Principal,
        rejected: list[Rejection],
        already: list[int],
    ) -> Iterator[Communication]:
        """The communications of the valid rows not stored yet; the others go to ``rejected`` (with
        their reason) or ``already`` (stored under their uuid: counted as imported)."""
        refused = _refused_sends(rows, actor)
        kept = self._kept_of_repeated_uuids(rows, refs, refused)
        # In time order: the store's indexes on when communications began (most of them) then
        # take the rows together rather than scattered over years (a fifth less COPY work).
        for row in sorted(rows, key=_began):
            try:
                built = self._checked(row, refs, refused)
            except (DomainError, ValueError) as error:
                rejected.append(Rejection(row.index, str(error)))
                continue
            if built.uuid in refs.uuids:
                already.append(row.index)
            elif kept.get(built.uuid, row.index) != row.index:
                rejected.append(Rejection(row.index, f"uuid {built.uuid} appears twice in the request"))
            else:
                yield built

    def _kept_of_repeated_uuids(
        self,
        rows: Sequence[ImportedCommunication],
        refs: StoredReferences,
        refused: dict[tuple[int, int], str],
    ) -> dict[str, int]:
        """For each uuid that several rows give, the index of the first valid one: the one kept."""
        given = Counter(r.uuid for r in rows if r.uuid is not None)
        kept: dict[str, int] = {}
        for row in rows:
            if row.uuid is None or given[row.uuid] < 2 or row.uuid in kept:
                continue
            try:
                self._checked(row, refs, refused)
            except (DomainError, ValueError):
                continue
            kept[row.uuid] = row.index
        return kept

    def _checked(
        self, row: ImportedCommunication, refs: StoredReferences, refused: dict[tuple[int, int], str]
    ) -> Communication:
        reason = refused.get((row.type_id, row.channel_id))
        if reason is not None:
            raise ValueError(reason)
        return self._build(row, refs)

    def _build(self, row: ImportedCommunication, refs: StoredReferences) -> Communication:
        client_id = self._client_of(row, refs)
        for name, value, known in (
            ("communication type", row.type_id, refs.type_ids),
            ("channel", row.channel_id, refs.channel_ids),
            ("employee", row.employee_id, refs.employee_ids),
            ("department", row.department_id, refs.department_ids),
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
    def _client_of(row: ImportedCommunication, refs: StoredReferences) -> int:
        if row.client_id is not None:
            if row.client_id not in refs.client_ids:
                raise ValueError(f"unknown client {row.client_id}")
            return row.client_id
        if row.project_code is None or row.guid is None:
            raise ValueError("name the client: clientId, or project and guid")
        found = refs.client_by_key.get((row.project_code, row.guid))
        if found is None:
            raise ValueError(f"no client with guid {row.guid!r} in project {row.project_code!r}")
        return found


def _began(row: ImportedCommunication) -> datetime:
    return row.started_at


def _asked(rows: Sequence[ImportedCommunication]) -> ImportReferences:
    return ImportReferences(
        type_ids=frozenset(r.type_id for r in rows),
        channel_ids=frozenset(r.channel_id for r in rows),
        employee_ids=frozenset(r.employee_id for r in rows if r.employee_id is not None),
        department_ids=frozenset(r.department_id for r in rows if r.department_id is not None),
        client_ids=frozenset(r.client_id for r in rows if r.client_id is not None),
        client_keys=frozenset(
            (r.project_code, r.guid) for r in rows if r.project_code is not None and r.guid is not None
        ),
        uuids=frozenset(r.uuid for r in rows if r.uuid is not None),
    )


def _refused_sends(rows: Sequence[ImportedCommunication], actor: Principal) -> dict[tuple[int, int], str]:
    """Why the actor may not record each (type, channel) pair it may not: asked once per pair."""
    refused = {}
    for type_id, channel_id in {(r.type_id, r.channel_id) for r in rows}:
        try:
            actor.require_send(type_id, channel_id)
        except DomainError as error:
            refused[type_id, channel_id] = str(error)
    return refused
