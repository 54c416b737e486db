"""Mailings: create, change, list and steer them (start, pause, resume, cancel), and read progress.

A mailing only stores what each run will ask for; the runs themselves are send requests made by
the scheduler (``application/mailings/scheduler.py``) through ``SendMessages``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from application.mailings.ports import MailingRepository, MailingRunRepository
from application.ports import Clock, UnitOfWork, UnitOfWorkFactory
from application.searches import CommunicationTypeFields, ProjectFields
from application.sending.auto import channels_left_out
from application.sending.store import NO_COUNTS
from domain.access import Permission, Principal
from domain.errors import NotFound, ValidationFailed
from domain.mailings import (
    CronCalendar,
    Mailing,
    MailingRun,
    MailingStatus,
    RunState,
    Schedule,
    validate_schedule,
)

MASS_TYPE_CODE = "mass"
"""The communication type of a seed 001 mailing, which names none: the default "mass" type."""


@dataclass(frozen=True, kw_only=True)
class MailingCommand:
    """Everything a mailing is made of; ``department_id`` defaults to the creator's."""

    name: str
    type_id: int | None = None
    """None: the default mass-communication type (seed 001 names no type)."""
    department_id: int | None = None
    channel_ids: tuple[int, ...] = ()
    auto_channels: bool = False
    """``"channels": "auto"``; channels left out are auto too when a rule has autoSelect on."""
    auto_time: bool = False
    """``"at": "auto"``: each run's send lets the decisions choose the time per client."""
    document_id: int | None = None
    subject: str | None = None
    text: str | None = None
    html: str | None = None
    variables: Mapping[str, object] = field(default_factory=dict)
    project_id: int | None = None
    project_code: str | None = None
    """Seed 001 may name the project by its code (digits included); a code wins over an id."""
    group_id: int | None = None
    client_ids: tuple[int, ...] = ()
    at: datetime | None = None
    cron: str | None = None
    time_zone: str = "UTC"
    start: bool = False
    """Start at once (seed 001's ``status: 1``); otherwise the mailing stays a draft."""


@dataclass(frozen=True)
class RunProgress:
    run: MailingRun
    lifecycle: Mapping[str, int]
    delivery: Mapping[str, int]


@dataclass(frozen=True)
class MailingProgress:
    mailing: Mailing
    lifecycle: Mapping[str, int]
    delivery: Mapping[str, int]
    runs: tuple[RunProgress, ...]


def _mailings(uow: UnitOfWork) -> MailingRepository:
    return uow.mailings


def _runs(uow: UnitOfWork) -> MailingRunRepository:
    return uow.mailing_runs


class Mailings:
    """The mailings API: every route needs the send permission (a mailing is a send repeated)."""

    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock, calendar: CronCalendar) -> None:
        self._uow = uow_factory
        self._clock = clock
        self._calendar = calendar

    async def create(self, principal: Principal, command: MailingCommand) -> Mailing:
        """Store a new mailing (a draft, or scheduled at once when ``command.start``)."""
        principal.require(Permission.SEND_COMMUNICATIONS)
        now = self._clock.now()
        async with self._uow() as uow:
            mailing = _mailing(command, await self._check(uow, principal, command), now, principal.actor)
            if command.start:
                mailing.start(now, self._calendar)
            await _mailings(uow).add(mailing)
            await uow.commit()
        return mailing

    async def change(self, principal: Principal, mailing_id: int, command: MailingCommand) -> Mailing:
        """Replace a mailing's content, audience and schedule (not while a run is being started)."""
        principal.require(Permission.SEND_COMMUNICATIONS)
        now = self._clock.now()
        async with self._uow() as uow:
            current = await self._get(uow, mailing_id)
            current.require_editable()
            checked = await self._check(uow, principal, command, current.department_id)
            changed = _mailing(command, checked, now, current.created_by)
            changed.id = current.id
            changed.create_time = current.create_time
            changed.status = current.status
            changed.run_count = current.run_count
            changed.last_run_at = current.last_run_at
            if changed.status is MailingStatus.SCHEDULED:
                # A new schedule takes effect now: the next run is recomputed from it.
                changed.next_run_at = (
                    changed.schedule.first_run(now, self._calendar)
                    if current.run_count == 0
                    else changed.schedule.catch_up(now, self._calendar)
                )
            else:
                changed.next_run_at = current.next_run_at
            await _mailings(uow).update(changed)
            await uow.commit()
        return changed

    async def get(self, principal: Principal, mailing_id: int) -> Mailing:
        principal.require(Permission.SEND_COMMUNICATIONS)
        async with self._uow(read_only=True) as uow:
            return await self._get(uow, mailing_id)

    async def page(self, principal: Principal, *, limit: int, offset: int) -> tuple[list[Mailing], int]:
        """One page of mailings, by id, and how many there are."""
        principal.require(Permission.SEND_COMMUNICATIONS)
        async with self._uow(read_only=True) as uow:
            return await _mailings(uow).page(limit, offset), await _mailings(uow).total()

    async def delete(self, principal: Principal, mailing_id: int) -> None:
        """Delete a mailing and its runs; the communications its runs sent stay."""
        principal.require(Permission.SEND_COMMUNICATIONS)
        async with self._uow() as uow:
            await self._get(uow, mailing_id)
            await _mailings(uow).delete(mailing_id)
            await uow.commit()

    async def start(self, principal: Principal, mailing_id: int) -> Mailing:
        """Draft -> scheduled."""
        return await self._act(principal, mailing_id, lambda m, now: m.start(now, self._calendar))

    async def pause(self, principal: Principal, mailing_id: int) -> Mailing:
        """Scheduled or running -> paused: no further run starts."""
        return await self._act(principal, mailing_id, lambda m, now: m.pause(now))

    async def resume(self, principal: Principal, mailing_id: int) -> Mailing:
        """Paused -> scheduled, from now on."""
        return await self._act(principal, mailing_id, lambda m, now: m.resume(now, self._calendar))

    async def cancel(self, principal: Principal, mailing_id: int) -> Mailing:
        """Any status but completed or cancelled -> cancelled, for good."""
        return await self._act(principal, mailing_id, lambda m, now: m.cancel(now))

    async def progress(self, principal: Principal, mailing_id: int) -> MailingProgress:
        """Counts by lifecycle and delivery status of the communications of each run, and in all."""
        principal.require(Permission.SEND_COMMUNICATIONS)
        async with self._uow(read_only=True) as uow:
            mailing = await self._get(uow, mailing_id)
            runs: list[RunProgress] = []
            lifecycle: dict[str, int] = {}
            delivery: dict[str, int] = {}
            of_mailing = await _runs(uow).of_mailing(mailing_id)
            # One query for every run, however many a recurring mailing has made.
            by_send = await uow.sends.counts_of_sends(
                [r.send_id for r in of_mailing if r.send_id is not None]
            )
            for run in of_mailing:
                counts = by_send.get(run.send_id, NO_COUNTS) if run.send_id is not None else NO_COUNTS
                runs.append(RunProgress(run, dict(counts.lifecycle), dict(counts.delivery)))
                for status, n in counts.lifecycle.items():
                    lifecycle[status] = lifecycle.get(status, 0) + n
                for status, n in counts.delivery.items():
                    delivery[status] = delivery.get(status, 0) + n
            return MailingProgress(mailing, lifecycle, delivery, tuple(runs))

    async def mailing_of_send(self, send_id: int) -> int | None:
        """The mailing a send belongs to, if a mailing run made it."""
        async with self._uow(read_only=True) as uow:
            return (await _runs(uow).mailings_of_sends([send_id])).get(send_id)

    # -- internals ---------------------------------------------------------------------------

    async def _act(self, principal: Principal, mailing_id: int, move: _Move) -> Mailing:
        principal.require(Permission.SEND_COMMUNICATIONS)
        now = self._clock.now()
        async with self._uow() as uow:
            mailing = await self._get(uow, mailing_id)
            move(mailing, now)
            await _mailings(uow).update(mailing)
            await uow.commit()
        return mailing

    @staticmethod
    async def _get(uow: UnitOfWork, mailing_id: int) -> Mailing:
        mailing = await _mailings(uow).get(mailing_id)
        if mailing is None:
            raise NotFound("mailing", mailing_id)
        return mailing

    async def _check(
        self, uow: UnitOfWork, principal: Principal, command: MailingCommand, current: int | None = None
    ) -> _Checked:
        """Checks every reference now, so that a run does not fail on it later; the department and type."""
        validate_schedule(
            Schedule(at=command.at, cron=command.cron, time_zone=command.time_zone), self._calendar
        )
        audiences = [
            command.project_id is not None or command.project_code is not None,
            command.group_id is not None,
            bool(command.client_ids),
        ]
        if sum(audiences) != 1:
            raise ValidationFailed.field("audience", "give exactly one of project_id, group_id or client_ids")
        # A new mailing is the creator's department's; a changed one stays in its own.
        department_id = command.department_id or current or principal.department_id
        if department_id is None:
            raise ValidationFailed.field(
                "department_id", "the creator belongs to no department: name the department"
            )
        if await uow.departments.get(department_id) is None:
            raise NotFound("department", department_id)
        type_id = command.type_id
        if type_id is None:
            mass = await uow.communication_types.first(CommunicationTypeFields.code.eq(MASS_TYPE_CODE))
            if mass is None or mass.id is None:
                raise ValidationFailed.field("type_id", "no default mass-communication type: name a type")
            type_id = mass.id
        elif await uow.communication_types.get(type_id) is None:
            raise NotFound("communication type", type_id)
        auto_channels = command.auto_channels
        if not command.channel_ids and not auto_channels:
            # Decided now, as a send decides it: the mailing then shows (and keeps) "auto".
            auto_channels = channels_left_out(type_id, await uow.sends.active_rules(department_id))
        found = await uow.channels.get_many(command.channel_ids)
        missing = [i for i in command.channel_ids if i not in found]
        if missing:
            raise ValidationFailed.field("channels", f"no such channel: {', '.join(map(str, missing))}")
        if command.document_id is not None and await uow.documents.get(command.document_id) is None:
            raise NotFound("document", command.document_id)
        if command.document_id is None and not (command.text or command.html):
            raise ValidationFailed.field("text", "give the content: a document, text or html")
        if command.project_id is not None and await uow.projects.get(command.project_id) is None:
            raise NotFound("project", command.project_id)
        project_id = command.project_id
        if command.project_code is not None:
            project_id = await _project_by_code(uow, command.project_code)
        if command.group_id is not None and await uow.client_groups.get(command.group_id) is None:
            raise NotFound("client group", command.group_id)
        if command.client_ids:
            known = await uow.clients.get_many(command.client_ids)
            unknown = [i for i in command.client_ids if i not in known]
            if unknown:
                shown = ", ".join(str(i) for i in unknown[:10])
                raise ValidationFailed.field("client_ids", f"no such clients: {shown}")
        return _Checked(department_id, type_id, project_id, auto_channels)


@dataclass(frozen=True)
class _Checked:
    department_id: int
    type_id: int
    project_id: int | None
    auto_channels: bool


async def _project_by_code(uow: UnitOfWork, code: str) -> int:
    project = await uow.projects.first(ProjectFields.code.eq(code))
    if project is None and code.isascii() and code.isdigit():
        project = await uow.projects.get(int(code))
    if project is None or project.id is None:
        raise NotFound("project", code)
    return project.id


def _mailing(command: MailingCommand, checked: _Checked, now: datetime, created_by: str) -> Mailing:
    return Mailing(
        create_time=now,
        update_time=now,
        created_by=created_by,
        name=command.name,
        department_id=checked.department_id,
        type_id=checked.type_id,
        channel_ids=list(command.channel_ids),
        auto_channels=checked.auto_channels,
        auto_time=command.auto_time,
        document_id=command.document_id,
        subject=command.subject,
        text=command.text,
        html=command.html,
        variables=dict(command.variables),
        project_id=checked.project_id,
        group_id=command.group_id,
        client_ids=list(dict.fromkeys(command.client_ids)),
        at=command.at,
        cron=command.cron,
        time_zone=command.time_zone,
    )


_Move = Callable[[Mailing, datetime], None]
__all__ = ["MailingCommand", "MailingProgress", "Mailings", "RunProgress", "RunState"]
