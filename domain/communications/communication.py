"""The Communication entity: one interaction with a client, and its two state machines.

No method reads a clock or makes up an id: the caller passes `at` (when it happened),
`actor` (who did it, e.g. "employee:5", "provider:twilio") and the uuid.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final, Literal

from domain.communications.statuses import (
    FAILED_DELIVERY,
    SUCCESSFUL_DELIVERY,
    TERMINAL_LIFECYCLE,
    CommunicationKind,
    DeliveryStatus,
    Direction,
    LifecycleStatus,
    delivery_accepts,
    initial_status,
    lifecycle_allows,
)
from domain.errors import Conflict, InvalidTransition, ValidationFailed
from domain.unset import UNSET, Unset

MACHINE: Final = "communication"
_SHAPE_UUID: Final = "00000000-0000-0000-0000-000000000000"
"""The placeholder uuid of the shared part ``opener`` makes; every copy gets its own."""
IMPORTED_AS_FAILED: Final = "imported as failed"
"""The failure reason (and history note) of a communication imported as failed."""
IMPORTED_ENDINGS: Final = frozenset({LifecycleStatus.DONE, LifecycleStatus.FAILED, LifecycleStatus.CANCELLED})
"""The statuses a past communication may be imported in: it ended."""


# Fields `edit` may change. Everything else moves only through the state machines
# (status, times, failure reason) or belongs to dispatch (provider, attempts, mailing).
EDITABLE_FIELDS: Final = frozenset(
    {
        "type_id",
        "channel_id",
        "client_id",
        "employee_id",
        "department_id",
        "project_id",
        "document_id",
        "subject",
        "content",
        "scheduled_at",
        "result",
    }
)
# The outcome of a finished communication may still be written up afterwards.
EDITABLE_WHEN_TERMINAL: Final = frozenset({"result"})


# Exactly the strings str(UUID(...)) gives: lower-case hex, 8-4-4-4-12. A pattern, not a parse and
# a print: the history import checks 10,000 of them per request.
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _check_uuid(value: str) -> None:
    # Only the canonical spelling, so that one communication has one key to be found by.
    if not isinstance(value, str) or _CANONICAL_UUID.fullmatch(value) is None:
        raise ValidationFailed.field("uuid", f"not a canonical UUID string: {value!r}")


@dataclass(frozen=True, kw_only=True)
class StatusChange:
    """One accepted move of either machine, kept in the communication's history."""

    field: Literal["status", "delivery_status", "edit"]
    """Which machine moved; ``edit`` notes changed fields (named in ``note``), status unchanged."""
    from_status: str | None
    to_status: str
    at: datetime
    actor: str | None
    note: str | None = None


@dataclass(eq=False, kw_only=True)
class Communication:
    id: int | None = None
    uuid: str
    type_id: int
    channel_id: int
    direction: Direction
    kind: CommunicationKind
    status: LifecycleStatus
    delivery_status: DeliveryStatus | None = None
    client_id: int | None = None
    employee_id: int | None = None
    department_id: int | None = None
    project_id: int | None = None
    mailing_id: int | None = None
    document_id: int | None = None
    subject: str | None = None
    content: str | None = None  # the rendered content, as sent or recorded
    scheduled_at: datetime | None = None
    started_at: datetime | None = None
    # Set only by `done`: seed 002 defines "Выполнена" as `date_finish is not null`, so a
    # failed or cancelled communication keeps it empty; when those happened is in history.
    finished_at: datetime | None = None
    result: str | None = None
    failure_reason: str | None = None
    provider: str | None = None
    provider_message_id: str | None = None
    attempts: int = 0
    fallback_of: int | None = None
    """The communication whose final failure on another channel this one follows up (channel fallback)."""
    create_time: datetime
    update_time: datetime
    history: list[StatusChange] = field(default_factory=list)

    # Identity: two objects are the same communication when they carry the same stored
    # id; before it is stored, only the object itself. The hash uses the uuid, which never
    # changes, so an entity stays findable in a set after storage assigns its id.
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Communication):
            return NotImplemented
        if self.id is None or other.id is None:
            return self is other
        return self.id == other.id

    def __hash__(self) -> int:
        return hash(self.uuid)

    @classmethod
    def open(
        cls,
        *,
        uuid: str,
        kind: CommunicationKind,
        direction: Direction,
        type_id: int,
        channel_id: int,
        at: datetime,
        actor: str | None,
        client_id: int | None = None,
        employee_id: int | None = None,
        department_id: int | None = None,
        project_id: int | None = None,
        mailing_id: int | None = None,
        document_id: int | None = None,
        subject: str | None = None,
        content: str | None = None,
        scheduled_at: datetime | None = None,
    ) -> Communication:
        """A new communication in its kind's start state, with that start in history."""
        _check_uuid(uuid)
        status = initial_status(kind)
        communication = cls(
            uuid=uuid,
            type_id=type_id,
            channel_id=channel_id,
            direction=direction,
            kind=kind,
            status=status,
            client_id=client_id,
            employee_id=employee_id,
            department_id=department_id,
            project_id=project_id,
            mailing_id=mailing_id,
            document_id=document_id,
            subject=subject,
            content=content,
            scheduled_at=scheduled_at,
            # A fact is happening as it is recorded.
            started_at=at if status is LifecycleStatus.IN_PROGRESS else None,
            create_time=at,
            update_time=at,
        )
        communication.history.append(
            StatusChange(field="status", from_status=None, to_status=status.value, at=at, actor=actor)
        )
        return communication

    @classmethod
    def opener(
        cls,
        *,
        kind: CommunicationKind,
        direction: Direction,
        type_id: int,
        at: datetime,
        actor: str | None,
        employee_id: int | None = None,
        department_id: int | None = None,
        project_id: int | None = None,
        mailing_id: int | None = None,
        document_id: int | None = None,
    ) -> Callable[..., Communication]:
        """``open`` for many communications that share everything but their uuid, channel, client,
        content and schedule (a send's): the shared part is made once, by ``open`` itself, and each
        call gives the rest; every communication is the one ``open`` would have made."""
        shared = cls.open(
            uuid=_SHAPE_UUID,
            kind=kind,
            direction=direction,
            type_id=type_id,
            channel_id=0,
            at=at,
            actor=actor,
            employee_id=employee_id,
            department_id=department_id,
            project_id=project_id,
            mailing_id=mailing_id,
            document_id=document_id,
        )
        base = dict(vars(shared))
        [start] = base.pop("history")  # a frozen StatusChange: the same one serves every copy

        def open_one(
            *,
            uuid: str,
            channel_id: int,
            client_id: int | None = None,
            subject: str | None = None,
            content: str | None = None,
            scheduled_at: datetime | None = None,
        ) -> Communication:
            _check_uuid(uuid)
            made = object.__new__(cls)
            made.__dict__.update(base)
            made.__dict__.update(
                uuid=uuid,
                channel_id=channel_id,
                client_id=client_id,
                subject=subject,
                content=content,
                scheduled_at=scheduled_at,
                history=[start],
            )
            return made

        return open_one

    @classmethod
    def imported(
        cls,
        *,
        uuid: str,
        direction: Direction,
        type_id: int,
        channel_id: int,
        started_at: datetime,
        ended_at: datetime,
        status: LifecycleStatus,
        delivery_status: DeliveryStatus | None,
        client_id: int | None,
        employee_id: int | None = None,
        department_id: int | None = None,
        result: str | None = None,
    ) -> Communication:
        """A past communication as the history import stores it, built in one step (an import is
        10,000 rows): the fields that opening it planned at ``started_at``, starting it (unless
        cancelled), reporting ``delivery_status`` and ending it in ``status`` at ``ended_at``
        would leave. Its history is ``imported_history``; tests hold the two paths equal."""
        _check_uuid(uuid)
        if status not in IMPORTED_ENDINGS:
            raise InvalidTransition(MACHINE, LifecycleStatus.IN_PROGRESS.value, status.value)
        done = status is LifecycleStatus.DONE
        return cls(
            uuid=uuid,
            type_id=type_id,
            channel_id=channel_id,
            direction=direction,
            kind=CommunicationKind.PLANNED,
            status=status,
            delivery_status=delivery_status,
            client_id=client_id,
            employee_id=employee_id,
            department_id=department_id,
            started_at=None if status is LifecycleStatus.CANCELLED else started_at,
            finished_at=ended_at if done else None,
            result=result if done else None,
            failure_reason=IMPORTED_AS_FAILED if status is LifecycleStatus.FAILED else None,
            create_time=started_at,
            update_time=ended_at,
        )

    def imported_history(self, actor: str | None) -> list[StatusChange]:
        """The history of a communication built by ``imported``: see ``imported_changes``."""
        return imported_changes(
            began=self.create_time,
            ended=self.update_time,
            status=self.status,
            delivery_status=self.delivery_status,
            actor=actor,
        )

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_LIFECYCLE

    # --- lifecycle ------------------------------------------------------------------

    def start(self, *, at: datetime, actor: str | None) -> None:
        self._move(LifecycleStatus.IN_PROGRESS, at=at, actor=actor)
        if self.started_at is None:
            self.started_at = at

    def close(self, *, at: datetime, actor: str | None, result: str | None = None) -> None:
        self._move(LifecycleStatus.DONE, at=at, actor=actor)
        self.finished_at = at
        if result is not None:
            self.result = result

    def fail(self, *, at: datetime, actor: str | None, reason: str) -> None:
        self._check(LifecycleStatus.FAILED)
        if not reason or not reason.strip():
            raise ValidationFailed.field("reason", "a failed communication needs a reason")
        self._move(LifecycleStatus.FAILED, at=at, actor=actor, note=reason)
        self.failure_reason = reason

    def cancel(self, *, at: datetime, actor: str | None, reason: str | None = None) -> None:
        # The table refuses cancellation of a fact; the reason is kept in history only,
        # since `failure_reason` is about attempts that did not work.
        self._move(LifecycleStatus.CANCELLED, at=at, actor=actor, note=reason)

    def set_status(
        self,
        target: LifecycleStatus,
        *,
        at: datetime,
        actor: str | None,
        reason: str | None = None,
        result: str | None = None,
    ) -> None:
        """Move to `target` through the method that owns that move (bulk status updates).

        `reason` is required for `failed` and noted for `cancelled`; `result` for `done`.
        """
        self._check(target)
        if target is LifecycleStatus.IN_PROGRESS:
            self.start(at=at, actor=actor)
        elif target is LifecycleStatus.DONE:
            self.close(at=at, actor=actor, result=result)
        elif target is LifecycleStatus.CANCELLED:
            self.cancel(at=at, actor=actor, reason=reason)
        elif target is LifecycleStatus.FAILED:
            self.fail(at=at, actor=actor, reason=reason or "")
        else:  # pragma: no cover - `_check` refuses every move into `created`
            raise InvalidTransition(MACHINE, self.status.value, target.value)

    def _check(self, target: LifecycleStatus) -> None:
        if not lifecycle_allows(self.kind, self.status, target):
            raise InvalidTransition(MACHINE, self.status.value, target.value)

    def _move(
        self, target: LifecycleStatus, *, at: datetime, actor: str | None, note: str | None = None
    ) -> None:
        self._check(target)
        self.history.append(
            StatusChange(
                field="status",
                from_status=self.status.value,
                to_status=target.value,
                at=at,
                actor=actor,
                note=note,
            )
        )
        self.status = target
        self.update_time = at

    # --- delivery -------------------------------------------------------------------

    def record_delivery(
        self, status: DeliveryStatus, *, at: datetime, actor: str | None, reason: str | None = None
    ) -> bool:
        """Apply a provider's report; returns False when it was late or contradictory.

        Never raises for a report the delivery table does not accept: callbacks arrive
        late and out of order, and refusing them would only make the provider retry.
        Delivery drives the lifecycle while it is still open: a success closes it
        (through `in_progress`, so that a planned one gets its start time), a final
        failure fails it with the provider's reason. A terminal lifecycle is never
        reopened, not even by a late success after `undelivered` (see statuses.py).
        """
        if not delivery_accepts(self.delivery_status, status):
            return False
        self.history.append(
            StatusChange(
                field="delivery_status",
                from_status=None if self.delivery_status is None else self.delivery_status.value,
                to_status=status.value,
                at=at,
                actor=actor,
                note=reason,
            )
        )
        self.delivery_status = status
        self.update_time = at
        if self.is_terminal:
            return True
        if status in SUCCESSFUL_DELIVERY:
            if self.status is LifecycleStatus.CREATED:
                self.start(at=at, actor=actor)
            self.close(at=at, actor=actor)
        elif status in FAILED_DELIVERY:
            # A blank reason would make `fail` refuse after the delivery change was applied.
            stated = reason if reason and reason.strip() else f"delivery {status}"
            self.fail(at=at, actor=actor, reason=stated)
        return True

    def record_attempt(
        self,
        *,
        at: datetime,
        provider: str | None = None,
        provider_message_id: str | None = None,
    ) -> None:
        """Count one dispatch attempt and remember which provider (and message) it made."""
        if self.is_terminal:
            raise Conflict(f"communication {self.uuid} is {self.status}; it cannot be sent again")
        self.attempts += 1
        if provider is not None:
            self.provider = provider
        if provider_message_id is not None:
            self.provider_message_id = provider_message_id
        self.update_time = at

    # --- editing --------------------------------------------------------------------

    def edit(
        self,
        *,
        at: datetime,
        actor: str | None,
        type_id: int | Unset = UNSET,
        channel_id: int | Unset = UNSET,
        client_id: int | Unset | None = UNSET,
        employee_id: int | Unset | None = UNSET,
        department_id: int | Unset | None = UNSET,
        project_id: int | Unset | None = UNSET,
        document_id: int | Unset | None = UNSET,
        subject: str | Unset | None = UNSET,
        content: str | Unset | None = UNSET,
        scheduled_at: datetime | Unset | None = UNSET,
        result: str | Unset | None = UNSET,
    ) -> frozenset[str]:
        """Change the given fields; returns the names of those whose value changed.

        A terminal communication is a record of what happened: only its `result` may
        still change. Re-sending a field's current value is not a change (PATCH bodies
        often repeat the whole object), so it is never refused.
        """
        given: dict[str, object] = {
            "type_id": type_id,
            "channel_id": channel_id,
            "client_id": client_id,
            "employee_id": employee_id,
            "department_id": department_id,
            "project_id": project_id,
            "document_id": document_id,
            "subject": subject,
            "content": content,
            "scheduled_at": scheduled_at,
            "result": result,
        }
        changes = {
            name: value
            for name, value in given.items()
            if value is not UNSET and getattr(self, name) != value
        }
        if self.is_terminal:
            frozen = sorted(set(changes) - EDITABLE_WHEN_TERMINAL)
            if frozen:
                raise Conflict(
                    f"communication {self.uuid} is {self.status}; "
                    f"only result may change, not {', '.join(frozen)}"
                )
        for name, value in changes.items():
            setattr(self, name, value)
        if changes:
            self.update_time = at
        return frozenset(changes)

    def record_edit(self, changed: Iterable[str], *, at: datetime, actor: str | None) -> None:
        """Notes in history who changed which fields and when (the values live in the record).

        Kept apart from `edit`, which reports its changes, so that a caller decides whether
        an edit is worth a history entry (a user's PATCH is; a dispatcher's bookkeeping is not).
        """
        names = sorted(changed)
        if not names:
            return
        self.history.append(
            StatusChange(
                field="edit",
                from_status=self.status.value,
                to_status=self.status.value,
                at=at,
                actor=actor,
                note=", ".join(names),
            )
        )

    def record_note(self, note: str, *, at: datetime, actor: str | None) -> None:
        """Notes in history something done about the communication that changes none of its fields
        (a click-to-call placed from it)."""
        self.history.append(
            StatusChange(
                field="edit",
                from_status=self.status.value,
                to_status=self.status.value,
                at=at,
                actor=actor,
                note=note,
            )
        )


def imported_changes(
    *,
    began: datetime,
    ended: datetime,
    status: LifecycleStatus,
    delivery_status: DeliveryStatus | None,
    actor: str | None,
) -> list[StatusChange]:
    """The history of an imported communication: opened and started (unless cancelled) when it
    began, its delivery and its end when it ended. Everything in it follows from these five values,
    so a store may keep them once and give the entries back from them (see
    adapters/sqlalchemy/bulk_import.py)."""

    def change(
        field: Literal["status", "delivery_status"], was: str | None, now: str, at: datetime
    ) -> StatusChange:
        failed = field == "status" and now == LifecycleStatus.FAILED.value
        note = IMPORTED_AS_FAILED if failed else None
        return StatusChange(field=field, from_status=was, to_status=now, at=at, actor=actor, note=note)

    last = LifecycleStatus.CREATED.value
    history = [change("status", None, last, began)]
    if status is not LifecycleStatus.CANCELLED:
        history.append(change("status", last, LifecycleStatus.IN_PROGRESS.value, began))
        last = LifecycleStatus.IN_PROGRESS.value
    if delivery_status is not None:
        history.append(change("delivery_status", None, delivery_status.value, ended))
    history.append(change("status", last, status.value, ended))
    return history
