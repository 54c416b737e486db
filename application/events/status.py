"""Turning status changes into events, in the transaction that makes them.

A use case notes the statuses of the communications it loaded (``StatusWatch``) and, after
changing them and storing them (and after queueing any channel fallback), calls ``record`` once:
the communications that moved get a ``communication.status_changed`` event in the same
transaction; the unit of work rings the doorbell after the commit.

The same call completes sends: each communication that reached a final state counts down its
send's open count, and a send whose count reaches zero gets ``send.completed`` in the events log
and the webhook outbox. The count lives on the send's row, so two transactions that finish a
send's last two communications queue on it and exactly one of them sees zero; nothing scans sends.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime

from application.events.ports import SendCompleted, StatusChanged
from application.ports import UnitOfWork
from application.sending.store import NO_COUNTS
from application.webhooks.outbox import publish_many, send_completed_data
from domain.communications import Communication, DeliveryStatus, LifecycleStatus
from domain.communications.statuses import TERMINAL_LIFECYCLE
from domain.webhooks import EventType


class StatusWatch:
    """The statuses of communications as loaded, to tell later which of them moved."""

    def __init__(self, communications: Iterable[Communication] = ()) -> None:
        self._before: dict[str, tuple[LifecycleStatus, DeliveryStatus | None]] = {}
        self.note(communications)

    def note(self, communications: Iterable[Communication]) -> None:
        for c in communications:
            self._before.setdefault(c.uuid, (c.status, c.delivery_status))

    def moved(self, communications: Iterable[Communication]) -> list[Communication]:
        return [c for c in communications if self._before.get(c.uuid) != (c.status, c.delivery_status)]

    def _finished(self, c: Communication) -> bool:
        """Reached a final state now: a final lifecycle is never left, so this happens once."""
        before = self._before.get(c.uuid)
        return c.is_terminal and (before is None or before[0] not in TERMINAL_LIFECYCLE)

    async def record(
        self,
        uow: UnitOfWork,
        communications: Iterable[Communication],
        sends: Mapping[int, int] | None = None,
    ) -> int:
        """Append an event for each communication that moved since it was noted, and complete the
        sends whose last open communication finished; returns how many status events.

        ``sends`` (communication id to send id), when the caller read them already, saves the lookup.
        """
        moved = self.moved(communications)
        if not moved:
            return 0
        if sends is None:
            sends = await uow.sends.send_ids([c.id for c in moved if c.id is not None])
        # A mailing's communications are its runs' sends: the run names the mailing.
        mailings = await uow.mailing_runs.mailings_of_sends(set(sends.values()))
        events = [
            StatusChanged(
                uuid=c.uuid,
                send_id=sends.get(c.id or 0),
                mailing_id=c.mailing_id or mailings.get(sends.get(c.id or 0, 0)),
                client_id=c.client_id,
                channel_id=c.channel_id,
                status=c.status.value,
                delivery_status=None if c.delivery_status is None else c.delivery_status.value,
                at=c.update_time,
            )
            for c in moved
        ]
        at = max(c.update_time for c in moved)
        await uow.events.append(events, at)
        finished = Counter(
            sends[c.id] for c in moved if c.id is not None and c.id in sends and self._finished(c)
        )
        await complete_sends(uow, finished, mailings, at)
        for c in moved:
            self._before[c.uuid] = (c.status, c.delivery_status)
        return len(events)


async def complete_sends(
    uow: UnitOfWork, finished: Mapping[int, int], mailings: Mapping[int, int], at: datetime
) -> list[SendCompleted]:
    """Count ``finished[send_id]`` communications of each send as final; the sends left with none
    open get ``send.completed`` (events log and webhook outbox). Returns those events."""
    if not finished:
        return []
    return await announce_completed(uow, await uow.sends.finish(finished), mailings, at)


async def announce_completed(
    uow: UnitOfWork, send_ids: Iterable[int], mailings: Mapping[int, int], at: datetime
) -> list[SendCompleted]:
    """``send.completed`` for sends with nothing left open (events log and webhook outbox)."""
    ended = list(send_ids)
    if not ended:
        return []
    of_sends = await uow.sends.counts_of_sends(ended)  # one query, however many sends ended
    completed: list[SendCompleted] = []
    for send_id in ended:
        counts = of_sends.get(send_id, NO_COUNTS)
        completed.append(
            SendCompleted(
                send_id=send_id,
                mailing_id=mailings.get(send_id),
                counts={s.value: counts.lifecycle.get(s.value, 0) for s in sorted(TERMINAL_LIFECYCLE)},
                delivery=dict(counts.delivery),
                at=at,
            )
        )
    await uow.events.append(completed, at)
    await publish_many(uow, [(EventType.SEND_COMPLETED, send_completed_data(e)) for e in completed], at)
    return completed
