"""Mailings (seed 001): a send repeated on a schedule, with its own state machine.

A mailing names what to send (a document or inline content), to whom (a project, a group or a
client list), on which channels, and when: once (``at``, or as soon as it is started) or
recurring (a cron expression read in an IANA time zone). Each run is one send request, made by
the scheduler process through the ordinary send use case, so every rule of a send applies.

The status table is data, as in ``domain/communications/statuses.py``: one test enumerates
every (from, to) pair and the entity only consults it.

* ``draft``: being prepared; nothing runs.
* ``scheduled``: started, waiting for ``next_run_at``.
* ``running``: the scheduler has claimed a due run and is handing it to the send use case.
* ``paused``: no run starts; ``resume`` schedules again (a run already claimed still finishes).
* ``completed``: a once mailing has run (final).
* ``cancelled``: stopped for good (final).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.entity import Entity, Problems
from domain.errors import InvalidTransition, ValidationFailed

MACHINE: Final = "mailing"


class MailingStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


_M = MailingStatus

FINAL_STATUSES: frozenset[MailingStatus] = frozenset({_M.COMPLETED, _M.CANCELLED})

MAILING_TRANSITIONS: Mapping[MailingStatus, frozenset[MailingStatus]] = MappingProxyType(
    {
        _M.DRAFT: frozenset({_M.SCHEDULED, _M.CANCELLED}),
        _M.SCHEDULED: frozenset({_M.RUNNING, _M.PAUSED, _M.CANCELLED}),
        # A run ends in `scheduled` (a recurring mailing's next run) or `completed` (a once one).
        _M.RUNNING: frozenset({_M.SCHEDULED, _M.COMPLETED, _M.PAUSED, _M.CANCELLED}),
        # Resuming a once mailing whose run already happened (it was paused mid-run) completes it.
        _M.PAUSED: frozenset({_M.SCHEDULED, _M.COMPLETED, _M.CANCELLED}),
        _M.COMPLETED: frozenset(),
        _M.CANCELLED: frozenset(),
    }
)


def mailing_allows(current: MailingStatus, target: MailingStatus) -> bool:
    """Whether the mailing table has the move current -> target."""
    return target in MAILING_TRANSITIONS[current]


class CronCalendar(Protocol):
    """Reads cron expressions (a port: the adapter uses croniter)."""

    def problem(self, expression: str) -> str | None:
        """Why the expression is not a valid cron expression, or None."""

    def next_after(self, expression: str, zone: ZoneInfo, after: datetime) -> datetime:
        """The first time strictly after ``after`` that the expression names, read in ``zone``."""


@dataclass(frozen=True, kw_only=True)
class Schedule:
    """Once (at ``at``, or at once when ``at`` is absent), or recurring by ``cron`` in ``time_zone``."""

    at: datetime | None = None
    cron: str | None = None
    time_zone: str = "UTC"

    @property
    def recurring(self) -> bool:
        return self.cron is not None

    def problems(self, calendar: CronCalendar) -> Problems:
        problems = Problems()
        if self.at is not None and self.cron is not None:
            problems.add("cron", "give either at (once) or cron (recurring), not both")
        if self.at is not None and self.at.tzinfo is None:
            problems.add("at", "must carry a time zone offset")
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            problems.add("time_zone", f"unknown IANA time zone {self.time_zone!r}")
            return problems
        if self.cron is not None:
            reason = calendar.problem(self.cron)
            if reason:
                problems.add("cron", reason)
        return problems

    def first_run(self, now: datetime, calendar: CronCalendar) -> datetime:
        """When a mailing started at ``now`` first runs."""
        if self.cron is not None:
            return calendar.next_after(self.cron, ZoneInfo(self.time_zone), now)
        return self.at or now

    def run_after(self, ran_at: datetime, calendar: CronCalendar) -> datetime | None:
        """The run that follows one due at ``ran_at``; None for a once mailing."""
        if self.cron is None:
            return None
        return calendar.next_after(self.cron, ZoneInfo(self.time_zone), ran_at)

    def catch_up(self, now: datetime, calendar: CronCalendar) -> datetime:
        """The next run after ``now``, skipping the runs missed while paused or down."""
        if self.cron is None:
            return self.at if self.at is not None and self.at > now else now
        return calendar.next_after(self.cron, ZoneInfo(self.time_zone), now)


RUN_LEASE: Final = timedelta(minutes=5)
"""How long a claimed run is the claimer's; after that another worker may take it over."""


@dataclass(eq=False, kw_only=True)
class Mailing(Entity):
    """A send repeated on a schedule; each run is one send request (seed 001's "рассылка")."""

    name: str
    department_id: int
    type_id: int
    channel_ids: list[int]
    auto_channels: bool = False
    """``"channels": "auto"``: each run's send lets the decisions choose the channel per client."""
    auto_time: bool = False
    """``"at": "auto"``: each run's send lets the decisions choose the time per client (the run
    itself starts as soon as the mailing is started, or by its cron)."""
    # content: a document (template) or inline text
    document_id: int | None = None
    subject: str | None = None
    text: str | None = None
    html: str | None = None
    variables: dict[str, Any] = field(default_factory=dict)
    # audience: exactly one of project, group or client list
    project_id: int | None = None
    group_id: int | None = None
    client_ids: list[int] = field(default_factory=list)
    # schedule
    at: datetime | None = None
    cron: str | None = None
    time_zone: str = "UTC"
    status: MailingStatus = MailingStatus.DRAFT
    next_run_at: datetime | None = None
    run_count: int = 0
    last_run_at: datetime | None = None
    lease_until: datetime | None = None
    """Set while a run is claimed; a run whose lease expired may be claimed again."""
    created_by: str = ""

    def __post_init__(self) -> None:
        problems = Problems()
        problems.text("name", self.name)
        if not self.channel_ids and not self.auto_channels:
            problems.add("channel_ids", "give at least one channel id, or auto")
        given = [self.project_id is not None, self.group_id is not None, bool(self.client_ids)]
        if sum(given) != 1:
            problems.add("audience", "give exactly one of project_id, group_id or client_ids")
        problems.raise_if_any()

    @property
    def schedule(self) -> Schedule:
        return Schedule(at=self.at, cron=self.cron, time_zone=self.time_zone)

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    def _move(self, target: MailingStatus, at: datetime) -> None:
        if not mailing_allows(self.status, target):
            raise InvalidTransition(MACHINE, self.status.value, target.value)
        self.status = target
        self.touch(at)

    def start(self, now: datetime, calendar: CronCalendar) -> None:
        """Draft -> scheduled: the first run is due at ``at``, the cron's next time, or now."""
        # Only a draft starts: the table's running -> scheduled is a run ending, not a restart.
        if self.status is not MailingStatus.DRAFT:
            raise InvalidTransition(MACHINE, self.status.value, MailingStatus.SCHEDULED.value)
        self._move(MailingStatus.SCHEDULED, now)
        self.next_run_at = self.schedule.first_run(now, calendar)

    def pause(self, now: datetime) -> None:
        self._move(MailingStatus.PAUSED, now)

    def resume(self, now: datetime, calendar: CronCalendar) -> None:
        """Paused -> scheduled from now on (missed runs are skipped); completed if nothing is left."""
        if self.status is not MailingStatus.PAUSED:
            raise InvalidTransition(MACHINE, self.status.value, MailingStatus.SCHEDULED.value)
        if self.run_count > 0 and not self.schedule.recurring:
            self._move(MailingStatus.COMPLETED, now)
            self.next_run_at = None
            return
        self._move(MailingStatus.SCHEDULED, now)
        self.next_run_at = self.schedule.catch_up(now, calendar)

    def cancel(self, now: datetime) -> None:
        self._move(MailingStatus.CANCELLED, now)
        self.next_run_at = None

    def is_due(self, now: datetime) -> bool:
        """A scheduled run whose time has come, or a claimed run whose claimer's lease ran out."""
        if self.status is MailingStatus.SCHEDULED:
            return self.next_run_at is not None and self.next_run_at <= now
        if self.status is MailingStatus.RUNNING:
            return self.lease_until is not None and self.lease_until <= now
        return False

    def claim(self, now: datetime) -> None:
        """The scheduler takes a due run: scheduled -> running, with a lease."""
        if not self.is_due(now):
            raise InvalidTransition(MACHINE, self.status.value, MailingStatus.RUNNING.value)
        if self.status is MailingStatus.SCHEDULED:
            self._move(MailingStatus.RUNNING, now)
        self.lease_until = now + RUN_LEASE
        self.touch(now)

    def run_finished(self, due_at: datetime, now: datetime, calendar: CronCalendar) -> None:
        """The claimed run was handed to the send use case: schedule the next or complete.

        A mailing paused or cancelled while its run was in flight keeps that status.
        """
        self.run_count += 1
        self.last_run_at = now
        self.lease_until = None
        following = self.schedule.run_after(due_at, calendar)
        # Never schedule into the past: a worker that was down skips the runs it missed.
        if following is not None and following <= now:
            following = self.schedule.catch_up(now, calendar)
        if self.status is MailingStatus.RUNNING:
            self._move(MailingStatus.SCHEDULED if following else MailingStatus.COMPLETED, now)
            self.next_run_at = following
        elif self.status is MailingStatus.PAUSED:
            self.next_run_at = following
            self.touch(now)

    def require_editable(self) -> None:
        if self.status not in (MailingStatus.DRAFT, MailingStatus.SCHEDULED, MailingStatus.PAUSED):
            raise InvalidTransition(MACHINE, self.status.value, "edited")


def validate_schedule(schedule: Schedule, calendar: CronCalendar) -> None:
    """Raises ValidationFailed naming ``at``, ``cron`` or ``time_zone`` when the schedule is wrong."""
    problems = schedule.problems(calendar)
    if problems.errors:
        raise ValidationFailed(problems.errors)


class RunState(StrEnum):
    STARTING = "starting"  # claimed; the send request is being made
    SENT = "sent"  # the send request was accepted: ``send_id`` names it
    FAILED = "failed"  # the send request was refused as a whole (``error`` says why)


@dataclass(eq=False, kw_only=True)
class MailingRun(Entity):
    """One run of a mailing: the send it made. ``send_id`` -> ``mailing_id`` is the lookup events use."""

    mailing_id: int
    due_at: datetime
    state: RunState = RunState.STARTING
    send_id: int | None = None
    accepted_count: int = 0
    refused_count: int = 0
    error: str | None = None

    @property
    def idempotency_key(self) -> str:
        """The send request's key: a run retried after a crash answers its first send, never a second."""
        return f"mailing-run:{self.mailing_id}:{self.id}"

    def sent(self, send_id: int, accepted: int, refused: int, now: datetime) -> None:
        self.state = RunState.SENT
        self.send_id = send_id
        self.accepted_count = accepted
        self.refused_count = refused
        self.error = None
        self.touch(now)

    def failed(self, error: str, now: datetime) -> None:
        self.state = RunState.FAILED
        self.error = error
        self.touch(now)
