"""Live events inside one process: the feed behind SSE lists, and the worker's doorbell.

Enough for the embedded default (one process serves and works); several processes would put
PostgreSQL LISTEN/NOTIFY or Redis behind the same two methods.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

QUEUE_SIZE = 1000


class InProcessFeed:
    def __init__(self) -> None:
        self._subscribers: dict[str, set[asyncio.Queue[dict[str, object]]]] = {}

    def publish(self, topic: str, payload: dict[str, object]) -> None:
        for queue in self._subscribers.get(topic, ()):
            # A listener that stopped reading misses updates rather than holding memory.
            if queue.qsize() < QUEUE_SIZE:
                queue.put_nowait(payload)

    @asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[asyncio.Queue[dict[str, object]]]:
        queue: asyncio.Queue[dict[str, object]] = asyncio.Queue()
        self._subscribers.setdefault(topic, set()).add(queue)
        try:
            yield queue
        finally:
            self._subscribers[topic].discard(queue)

    def listeners(self, topic: str) -> int:
        return len(self._subscribers.get(topic, ()))


class Doorbell:
    """``ring()`` from anywhere in the loop; the worker's ``wait()`` returns at once or on timeout."""

    def __init__(self) -> None:
        self._rung = False
        self._event: asyncio.Event | None = None

    def ring(self) -> None:
        self._rung = True
        if self._event is not None:
            self._event.set()

    async def wait(self, seconds: float) -> bool:
        """True when rung (and resets it); False when ``seconds`` passed first."""
        if not self._rung:
            self._event = asyncio.Event()
            try:
                async with asyncio.timeout(seconds):
                    await self._event.wait()
            except TimeoutError:
                return False
            finally:
                self._event = None
        self._rung = False
        return True
