"""Gathers PBX events that arrive together into one transaction each, so commits do not limit ingest.

Each delivery still waits for the commit that stores it: a 200 means the event is kept. While one
batch commits, the next deliveries queue up and go in the next batch.
"""

from __future__ import annotations

import asyncio
import logging

from application.telephony.pbx_events import Ingested, PbxEvents
from domain.telephony.call_events import XsiEvent

log = logging.getLogger("switchboard.telephony")


class EventBatcher:
    """Gathers PBX events into batches written in one transaction."""

    def __init__(self, events: PbxEvents, max_batch: int = 200) -> None:
        self._events = events
        self._max_batch = max_batch
        self._pending: list[tuple[XsiEvent, asyncio.Future[Ingested]]] = []
        self._flushing = False

    async def ingest(self, event: XsiEvent) -> Ingested:
        """Applies the event in the next batch and returns once that batch is committed."""
        future: asyncio.Future[Ingested] = asyncio.get_running_loop().create_future()
        self._pending.append((event, future))
        if not self._flushing:
            self._flushing = True
            asyncio.get_running_loop().create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending[: self._max_batch], self._pending[self._max_batch :]
                try:
                    results = await self._events.ingest_many([event for event, _ in batch])
                except Exception:
                    # One bad event must not fail its neighbours: retry them one by one.
                    log.warning("a batch of %d PBX events failed; applying them one by one", len(batch))
                    for event, future in batch:
                        try:
                            result = await self._events.ingest(event)
                        except Exception as error:
                            if not future.done():
                                future.set_exception(error)
                        else:
                            if not future.done():
                                future.set_result(result)
                    continue
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
        finally:
            self._flushing = False
