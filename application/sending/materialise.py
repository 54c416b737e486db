"""The materialiser of bulk sends: a bulk accept's pending recipients become communications.

A send above ``ANSWER_LIST_LIMIT`` clients is answered once its clients are decided and stored as
pending recipients (``SendMessages``); this makes each one's communication, history and queue
row, exactly the rows a synchronous accept writes (content rendered, unsubscribe link signed),
with the uuid and communication id the accept gave it. A batch is one short transaction that takes
(deletes) its pending rows and writes their rows: a crash anywhere rolls the batch back, whole,
and a batch made twice collides on the communications' ids instead of duplicating them. The
dispatcher sends a batch's messages as soon as it commits.

It runs in the accepting process right after the answer (``InBackground``) and as a job of every
worker, so a crash's leftovers are made by whoever runs next; on PostgreSQL several processes
share the work (``FOR UPDATE SKIP LOCKED``), on SQLite there is one writer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter, OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from application.events.status import StatusWatch, complete_sends
from application.ports import Clock, UnitOfWork, UnitOfWorkFactory
from application.sending.ports import TemplateProblem, TemplateRenderer
from application.sending.send import EmailIdentity, _Queueing, _Rendered, _Rendering, compile_templates
from application.sending.store import PendingRecipient, QueuedMessage, SendContent, SendRecord
from application.webhooks.outbox import publish_many, status_events
from domain.access import Permission, Principal, Process
from domain.clients import Client
from domain.communications import Communication, CommunicationKind, Direction
from domain.dictionaries import Channel

log = logging.getLogger("switchboard.materialiser")

BATCH = 2_000
"""Recipients per transaction: long enough to amortise its statements, short enough that the
dispatcher starts on the first messages within a fraction of a second."""
KEPT_SENDS = 32
"""Sends whose compiled templates a materialiser keeps between batches."""
MATERIALISER = Principal.process(Process.DISPATCHER, Permission.SEND_COMMUNICATIONS)
"""Who fails a communication whose templates break on its client: the process that sends."""


@dataclass
class _SendMaker:
    """What every communication of one send shares, prepared once per process."""

    open: Callable[..., Communication]
    rendering: _Rendering
    queueing: _Queueing


class Materialiser:
    """Makes pending recipients' communications, a batch a transaction (a worker job)."""

    name = "materialise"

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        renderer: TemplateRenderer,
        email: EmailIdentity,
        *,
        batch: int = BATCH,
    ) -> None:
        self._uow = uow_factory
        self._clock = clock
        self._renderer = renderer
        self._email = email
        self._batch = batch
        self._makers: OrderedDict[int, _SendMaker] = OrderedDict()
        # One batch at a time in this process: the accept's background run and the worker job
        # would only wait on each other's rows (SQLite's writer, PostgreSQL's skipped locks).
        self._lock = asyncio.Lock()

    async def run_once(self) -> int:
        """Make one batch; how many pending recipients it took (0: none left)."""
        async with self._lock, self._uow() as uow:
            taken = await uow.sends.take_pending(self._batch)
            if not taken:
                return 0
            await self._make(uow, taken)
            await uow.commit()
        return len(taken)

    async def drain(self) -> int:
        """Batches until none is left; how many recipients in all."""
        made = 0
        while done := await self.run_once():
            made += done
        return made

    async def _make(self, uow: UnitOfWork, taken: Sequence[PendingRecipient]) -> None:
        now = self._clock.now()
        makers = await self._makers_of(uow, {p.send_id for p in taken})
        clients = await uow.sends.clients(sorted({p.client_id for p in taken}))
        channels = await uow.channels.get_many({p.channel_id for p in taken})
        send_ids: list[int] = []
        made: list[Communication] = []
        queued: list[QueuedMessage] = []
        gone: Counter[int] = Counter()
        failed: list[Communication] = []
        watch = StatusWatch()
        for pending in taken:
            maker = makers.get(pending.send_id)
            client = clients.get(pending.client_id)
            channel = channels.get(pending.channel_id)
            if maker is None or client is None or channel is None:
                # Deleted since the accept: nobody to write to. The send stops waiting for it.
                gone[pending.send_id] += 1
                continue
            communication, message = self._one(maker, pending, client, channel, now, watch, failed)
            send_ids.append(pending.send_id)
            made.append(communication)
            queued.append(message)
        await uow.sends.materialise(send_ids, made, queued)
        if failed:
            failed_ids = {c.id for c in failed}
            sends = {c.id or 0: s for c, s in zip(made, send_ids, strict=True) if c.id in failed_ids}
            # As the dispatcher does for a status it moves: the webhook outbox and the events log.
            await publish_many(uow, status_events(failed), now)
            await watch.record(uow, failed, sends)
        if gone:
            mailings = await uow.mailing_runs.mailings_of_sends(set(gone))
            await complete_sends(uow, gone, mailings, now)

    def _one(
        self,
        maker: _SendMaker,
        pending: PendingRecipient,
        client: Client,
        channel: Channel,
        now: datetime,
        watch: StatusWatch,
        failed: list[Communication],
    ) -> tuple[Communication, QueuedMessage]:
        problem: TemplateProblem | None = None
        try:
            rendered = maker.rendering.of(client)
            subject, text = rendered.subject, rendered.text
        except TemplateProblem as error:
            # The accept checked the templates on its first client; this one's fields break them.
            problem, subject, text = error, None, None
        communication = maker.open(
            uuid=pending.uuid,
            channel_id=pending.channel_id,
            client_id=pending.client_id,
            subject=subject,
            content=text,
            scheduled_at=pending.scheduled_at,
        )
        communication.id = pending.communication_id
        if problem is None:
            return communication, maker.queueing.of(communication, client, channel, rendered)
        watch.note([communication])
        communication.fail(at=now, actor=MATERIALISER.actor, reason=f"template: {problem}")
        failed.append(communication)
        # Queued like the rest: the dispatcher finds it ended and never hands it to a provider.
        empty = _Rendered(None, None, None, {})
        return communication, maker.queueing.of(communication, client, channel, empty)

    async def _makers_of(self, uow: UnitOfWork, send_ids: set[int]) -> dict[int, _SendMaker]:
        missing = send_ids - set(self._makers)
        if missing:
            for send_id, (record, content) in (await uow.sends.contents(missing)).items():
                self._makers[send_id] = self._maker(record, content)
                while len(self._makers) > KEPT_SENDS:
                    self._makers.popitem(last=False)
        return {i: self._makers[i] for i in send_ids if i in self._makers}

    def _maker(self, record: SendRecord, content: SendContent) -> _SendMaker:
        templates = compile_templates(self._renderer, content.subject, content.text, content.html)
        return _SendMaker(
            open=Communication.opener(
                kind=CommunicationKind.PLANNED,
                direction=Direction.OUTBOUND,
                type_id=record.type_id,
                at=record.create_time,
                actor=record.actor,
                employee_id=content.employee_id,
                department_id=record.department_id,
                document_id=content.document_id,
            ),
            rendering=_Rendering(templates, content.variables),
            queueing=_Queueing(self._email),
        )


class InBackground:
    """The materialiser started in the accepting process as soon as a bulk send is stored: one
    drain at a time, run again when a send was stored meanwhile. A failure is logged and left to
    the next ring or to a worker: the pending rows stay until a batch commits."""

    def __init__(self, materialiser: Materialiser) -> None:
        self._materialiser = materialiser
        self._task: asyncio.Task[None] | None = None
        self._again = False

    def ring(self) -> None:
        self._again = True
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._drain(), name="switchboard-materialise")

    async def _drain(self) -> None:
        while self._again:
            self._again = False
            try:
                await self._materialiser.drain()
            except Exception:
                log.exception("materialising failed; a worker or the next send takes it up")

    async def stop(self) -> None:
        """At shutdown: the batch under way rolls back, and a worker makes it later."""
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
