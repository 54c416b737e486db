"""The events ports: an append-only log kept with the changes, and a doorbell that says it grew.

The log (``uow.events``) is the truth: a status change and its event are written in one
transaction, so a reader never sees one without the other, and a reader that was away resumes
from the id it saw last. The doorbell (``EventBus``) only tells readers to look again; a missed
ring costs latency (the readers also look on a timer), never an event.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar, Protocol

STATUS_CHANGED = "communication.status_changed"
SEND_COMPLETED = "send.completed"
MISSED_CALL_CREATED = "missed_call.created"


@dataclass(frozen=True, kw_only=True)
class StatusChanged:
    """A communication moved on its lifecycle or its delivery machine."""

    type: ClassVar[str] = STATUS_CHANGED
    uuid: str
    send_id: int | None
    mailing_id: int | None
    client_id: int | None
    channel_id: int
    status: str
    delivery_status: str | None
    at: datetime


@dataclass(frozen=True, kw_only=True)
class SendCompleted:
    """Every communication of a send reached a final state, its channel fallbacks included."""

    type: ClassVar[str] = SEND_COMPLETED
    client_id: ClassVar[None] = None
    send_id: int
    mailing_id: int | None
    counts: Mapping[str, int] = field(default_factory=dict)
    """By final lifecycle status: done, failed, cancelled."""
    delivery: Mapping[str, int] = field(default_factory=dict)
    """By the provider's last delivery status (``queued`` for those never reported)."""
    at: datetime


@dataclass(frozen=True, kw_only=True)
class MissedCallCreated:
    """The telephony inbox opened a new missed-call card (not a further call on an open one)."""

    type: ClassVar[str] = MISSED_CALL_CREATED
    send_id: ClassVar[None] = None
    mailing_id: ClassVar[None] = None
    missed_call_id: int
    client_id: int | None
    phone: str
    line: str | None
    """The PBX line (user or hunt group) the call came in on, when known."""
    employee_id: int | None
    department_id: int | None
    at: datetime


Event = StatusChanged | SendCompleted | MissedCallCreated
EVENT_TYPES: Mapping[str, type[Event]] = {
    kind.type: kind for kind in (StatusChanged, SendCompleted, MissedCallCreated)
}
"""Each stored event's class by its ``type``."""


@dataclass(frozen=True, kw_only=True)
class StoredEvent:
    id: int
    """Increasing in commit order: a reader that saw ``id`` has seen every event before it."""
    event: Event
    created_at: datetime


@dataclass(frozen=True, kw_only=True)
class EventFilter:
    """The events a reader wants; None means any."""

    send_id: int | None = None
    mailing_id: int | None = None
    client_id: int | None = None


class EventLog(Protocol):
    """The append-only events table of the unit of work."""

    async def append(self, events: Sequence[Event], at: datetime) -> None:
        """Add events in this transaction; their ids follow commit order across processes."""

    async def after(self, last_id: int, where: EventFilter, limit: int) -> list[StoredEvent]:
        """Events with an id above ``last_id`` that ``where`` selects, oldest first."""

    async def last_id(self) -> int:
        """The id of the newest event (0 when there is none): where "from now on" starts."""

    async def delete_before(self, cutoff: datetime) -> int:
        """Forget events created before ``cutoff``; returns how many."""

    @property
    def appended(self) -> bool:
        """Whether this unit of work added events (its commit rings the doorbell)."""


class Subscription(Protocol):
    async def wait(self, seconds: float) -> bool:
        """True once the log grew since the last call (or the subscription began); False on timeout."""


class EventBus(Protocol):
    """The doorbell: rung after a commit that added events, heard by every subscribed reader."""

    async def publish(self) -> None:
        """Ring, after the commit. Never raises: readers also look on a timer."""

    def subscribe(self) -> AbstractAsyncContextManager[Subscription]:
        """Hear rings from now until the context ends."""
