"""Live events inside one process: the feed behind SSE lists, the events doorbell, the worker's doorbell.

Enough for the embedded default (one process serves and works). Across processes the events
doorbell is PostgreSQL LISTEN/NOTIFY (``adapters/sqlalchemy/events.py``), which rings this one
for the readers of its own process.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from application.events.ports import Subscription

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


EVENTS_TOPIC = "events"


class _FeedSubscription:
    def __init__(self, queue: asyncio.Queue[dict[str, object]]) -> None:
        self._queue = queue

    async def wait(self, seconds: float) -> bool:
        try:
            async with asyncio.timeout(seconds):
                await self._queue.get()
        except TimeoutError:
            return False
        # Many rings while the reader was busy mean one more look, not many.
        while not self._queue.empty():
            self._queue.get_nowait()
        return True


class InProcessEventBus:
    """The events doorbell inside one process: a topic of the feed, its messages carrying nothing."""

    def __init__(self, feed: InProcessFeed | None = None) -> None:
        self._feed = feed or InProcessFeed()

    async def publish(self) -> None:
        self.ring()

    def ring(self) -> None:
        self._feed.publish(EVENTS_TOPIC, {})

    @asynccontextmanager
    async def subscribe(self) -> AsyncIterator[Subscription]:
        async with self._feed.subscribe(EVENTS_TOPIC) as queue:
            yield _FeedSubscription(queue)

    def listeners(self) -> int:
        return self._feed.listeners(EVENTS_TOPIC)


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
