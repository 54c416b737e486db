"""The mailing scheduler, a worker job: start every due run as a send request.

Claim, commit, send, record, as the dispatcher does:

1. one short transaction claims the due mailings (``running``, with a lease; atomic, so two
   workers never take the same one) and opens a run record for each;
2. each run is a ``SendMessages`` call by the scheduler process, keyed by the run
   (``mailing-run:<mailing>:<run>``), in the send use case's own transaction;
3. a second short transaction records the send on the run and schedules the next run.

A worker that dies after step 1 leaves a claimed mailing whose lease runs out; the next claim
finds the unfinished run and repeats its send request with the same idempotency key, which
answers the first send if there was one. A run therefore sends at most once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from application.mailings.ports import MailingRepository, MailingRunRepository
from application.ports import Clock, UnitOfWork, UnitOfWorkFactory
from application.sending.commands import Audience, Content, SendAnswer, SendCommand
from domain.access import Permission, Principal, Process
from domain.errors import DomainError
from domain.mailings import CronCalendar, Mailing, MailingRun

log = logging.getLogger("switchboard.mailings")

SCHEDULER = Principal.process(Process.SCHEDULER, Permission.SEND_COMMUNICATIONS)
"""Runs act as the scheduler process; history names them ``process:scheduler``."""


class SendUseCase(Protocol):
    """The send request (``application/sending/send.py: SendMessages``), as the scheduler calls it."""

    async def __call__(self, principal: Principal, command: SendCommand) -> SendAnswer: ...


def send_command(mailing: Mailing, run: MailingRun) -> SendCommand:
    """The send request one run of the mailing makes."""
    return SendCommand(
        type_id=mailing.type_id,
        department_id=mailing.department_id,
        content=Content(
            document_id=mailing.document_id,
            subject=mailing.subject,
            text=mailing.text,
            html=mailing.html,
            variables=dict(mailing.variables),
        ),
        audience=Audience(
            client_ids=tuple(mailing.client_ids), group_id=mailing.group_id, project_id=mailing.project_id
        ),
        channel_ids=tuple(mailing.channel_ids),
        idempotency_key=run.idempotency_key,
        auto_channels=mailing.auto_channels,
        auto_time=mailing.auto_time,
    )


@dataclass(frozen=True)
class _Claimed:
    mailing: Mailing
    run: MailingRun


def _mailings(uow: UnitOfWork) -> MailingRepository:
    return uow.mailings


def _runs(uow: UnitOfWork) -> MailingRunRepository:
    return uow.mailing_runs


class MailingScheduler:
    """Worker job: start the due runs of mailings; ``run_once`` answers how many it started."""

    name = "mailings"

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        calendar: CronCalendar,
        send: SendUseCase,
        *,
        batch: int = 10,
    ) -> None:
        self._uow = uow_factory
        self._clock = clock
        self._calendar = calendar
        self._send = send
        self._batch = batch

    async def run_once(self) -> int:
        claimed = await self._claim()
        for item in claimed:
            await self._run(item)
        return len(claimed)

    async def _claim(self) -> list[_Claimed]:
        now = self._clock.now()
        async with self._uow() as uow:
            mailings = await _mailings(uow).claim_due(now, self._batch)
            claimed: list[_Claimed] = []
            for mailing in mailings:
                run = await _runs(uow).open_run(mailing.id or 0)
                if run is None:
                    run = await _runs(uow).add(
                        MailingRun(
                            create_time=now,
                            update_time=now,
                            mailing_id=mailing.id or 0,
                            due_at=mailing.next_run_at or now,
                        )
                    )
                claimed.append(_Claimed(mailing, run))
            await uow.commit()
        return claimed

    async def _run(self, item: _Claimed) -> None:
        answer: SendAnswer | None = None
        error: str | None = None
        try:
            answer = await self._send(SCHEDULER, send_command(item.mailing, item.run))
        except DomainError as refused:
            # The whole request was refused (a template error, a deleted project): the run says
            # why and the mailing moves on, instead of retrying the same refusal forever.
            error = refused.message
            log.warning("mailing %s run %s refused: %s", item.mailing.id, item.run.id, error)
        now = self._clock.now()
        async with self._uow() as uow:
            run = await _runs(uow).get(item.run.id or 0)
            mailing = await _mailings(uow).get(item.mailing.id or 0)
            if run is None or mailing is None:  # deleted meanwhile: nothing left to record
                return
            if answer is not None:
                run.sent(answer.send_id, answer.accepted_count, answer.refused_count, now)
            else:
                run.failed(error or "refused", now)
            mailing.run_finished(run.due_at, now, self._calendar)
            await _runs(uow).update(run)
            await _mailings(uow).update(mailing)
            await uow.commit()
