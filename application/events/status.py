"""Turning status changes into events, in the transaction that makes them.

A use case notes the statuses of the communications it loaded (``StatusWatch``) and, after
changing them and before its commit, calls ``record`` once: the communications that moved get a
``communication.status_changed`` event in the same transaction; the unit of work rings the
doorbell after the commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from application.events.ports import StatusChanged
from application.ports import UnitOfWork
from domain.communications import Communication, DeliveryStatus, LifecycleStatus


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

    async def record(
        self,
        uow: UnitOfWork,
        communications: Iterable[Communication],
        sends: Mapping[int, int] | None = None,
    ) -> int:
        """Append an event for each communication that moved since it was noted; returns how many.

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
        await uow.events.append(events, max(c.update_time for c in moved))
        for c in moved:
            self._before[c.uuid] = (c.status, c.delivery_status)
        return len(events)
