"""The pipelined dispatcher's continuous feed: lanes that send the messages of successive batches.

A batch sent by its own ``concurrency`` lanes ends with its slowest message: near the end most
connections wait while the last few answer, and the next batch starts only then. Here the lanes
outlive a batch. Claimed batches are put on one feed, the lanes take its messages in order across
batch boundaries, and each batch is handed on (to be recorded) as soon as its last message is
answered. A lane ends when the feed is empty and is started again by the next ``put``, so an idle
worker keeps no task.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from application.sending.ports import SendResult
from application.sending.queue import Claimed

Answer = tuple[str | None, SendResult]
_UNSENT = SendResult.retry("not sent", attempted=False)


@dataclass(eq=False)
class FedBatch:
    """A claimed batch on the feed, and the answers of its messages so far (in claim order)."""

    claimed: Sequence[Claimed]
    withdrawn: frozenset[int]
    results: list[Answer] = field(init=False)
    left: int = field(init=False)

    def __post_init__(self) -> None:
        self.results = [(None, _UNSENT)] * len(self.claimed)
        self.left = len(self.claimed)

    @property
    def ids(self) -> frozenset[int]:
        return frozenset(c.message.communication_id for c in self.claimed)


class SendFeed:
    def __init__(
        self,
        send: Callable[[Claimed, frozenset[int]], Awaitable[Answer]],
        concurrency: int,
        sent: Callable[[FedBatch], None],
        changed: Callable[[], None],
        *,
        low: int,
    ) -> None:
        self._send = send
        self._concurrency = max(1, concurrency)
        self._sent = sent
        self._changed = changed
        self._low = low
        self._queue: deque[tuple[FedBatch, int]] = deque()
        self._lanes: set[asyncio.Task[None]] = set()  # kept referenced while they run
        self._running = 0  # lanes still taking messages (a finished task may not be discarded yet)
        self.failure: BaseException | None = None
        """The first error a lane hit outside the provider call (its message is left unsent)."""

    @property
    def waiting(self) -> int:
        """Messages on the feed that no lane has taken yet."""
        return len(self._queue)

    @property
    def idle(self) -> bool:
        return not self._queue and not self._running

    def put(self, claimed: Sequence[Claimed], withdrawn: frozenset[int]) -> None:
        batch = FedBatch(claimed, withdrawn)
        self._queue.extend((batch, i) for i in range(len(claimed)))
        for _ in range(min(self._concurrency - self._running, len(self._queue))):
            self._running += 1
            lane = asyncio.create_task(self._lane())
            self._lanes.add(lane)
            lane.add_done_callback(self._lanes.discard)

    async def _lane(self) -> None:
        try:
            await self._take()
        finally:
            self._running -= 1
            self._changed()

    async def _take(self) -> None:
        queue = self._queue
        while queue:
            batch, i = queue.popleft()
            if len(queue) == self._low:
                self._changed()  # the dispatcher claims the next batch once the feed runs low
            try:
                batch.results[i] = await self._send(batch.claimed[i], batch.withdrawn)
            except Exception as error:  # a bug, not a provider's answer: left unsent, retried uncounted
                self.failure = self.failure or error
            batch.left -= 1
            if batch.left == 0:
                self._sent(batch)
                self._changed()
