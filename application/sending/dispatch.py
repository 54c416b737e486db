"""The dispatcher: claim due messages, send them outside any transaction, record the outcomes.

Three short steps per batch, so that a provider call never holds a row lock or the SQLite writer:

1. claim a batch of due rows with a lease, and commit;
2. send them through their channel's provider, with bounded concurrency and a token bucket per
   provider;
3. record every outcome, with the communications' delivery statuses, in a second transaction.

A worker that dies between 1 and 3 loses nothing: its lease expires and another worker claims the
rows again. Only messages that were in flight at that moment can go out twice.

With ``DispatchPolicy.pipeline`` the steps overlap, so that the database and the providers work at
the same time instead of in turn. ``concurrency`` lanes pull messages from one continuous feed;
``run_once`` claims a batch, puts it on the feed and returns as soon as the feed runs low, so the
next batch is claimed while the lanes still send this one and no connection waits at a batch
boundary for the slowest lane. A batch is recorded once its last message is answered, one record at
a time (two would contend for the same statistics rows). A batch is claimed only while at most one
other is claimed and not yet recorded, so a crash still finds at most two batches sent and
unrecorded. An empty claim or ``finish`` waits for everything in flight. The next claim skips the
rows this worker claimed and has not recorded yet, whatever their lease says.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from application.events.status import StatusWatch
from application.ports import Clock, UnitOfWork, UnitOfWorkFactory
from application.providers.router import ProviderRouter
from application.queries import Query
from application.searches import CommunicationFields
from application.sending.conflicts import ATTEMPTS, on_fresh_state
from application.sending.fallback import ChannelFallback, follow_up
from application.sending.feed import FedBatch, SendFeed
from application.sending.ports import ChannelSender, SendOutcome, SendResult
from application.sending.queue import Claimed, Settled
from application.sending.ratelimit import TokenBucket
from application.webhooks.outbox import publish_many, status_events
from domain.access import Permission, Principal, Process
from domain.communications import Communication, DeliveryStatus, LifecycleStatus
from domain.communications.statuses import TERMINAL_LIFECYCLE
from domain.dictionaries import ChannelKind

DISPATCHER = Principal.process(Process.DISPATCHER, Permission.SEND_COMMUNICATIONS)
_UNSENT = SendResult.retry("not sent", attempted=False)


@dataclass(frozen=True, kw_only=True)
class DispatchPolicy:
    batch: int = 200
    concurrency: int = 50
    lease: timedelta = timedelta(seconds=60)
    """Longer than a batch can take to send; an expired lease lets another worker take the rows."""
    max_attempts: int = 5
    backoff_base: timedelta = timedelta(seconds=2)
    backoff_cap: timedelta = timedelta(minutes=10)
    send_timeout: float = 30.0
    pipeline: bool = False
    """Lanes fed across batches, and a batch recorded while the next ones are sent (the worker's way)."""


def backoff(attempts: int, policy: DispatchPolicy, rng: random.Random) -> timedelta:
    """Exponential in the attempts made, capped, with "equal jitter" so retries do not march together."""
    base = policy.backoff_base.total_seconds() * 2 ** max(0, attempts - 1)
    ceiling = min(policy.backoff_cap.total_seconds(), base)
    return timedelta(seconds=ceiling / 2 + ceiling / 2 * rng.random())


class Dispatcher:
    """Sends the due communications of the dispatch queue; ``run_once`` handles one batch."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        senders: Mapping[ChannelKind, ChannelSender],
        buckets: Mapping[str, TokenBucket],
        policy: DispatchPolicy,
        owner: str,
        rng: random.Random | None = None,
        *,
        router: ProviderRouter | None = None,
        fallback: ChannelFallback | None = None,
        record_attempts: int = ATTEMPTS,
    ) -> None:
        self._fallback = fallback
        self._uow = uow_factory
        self._clock = clock
        self._policy = policy
        self._owner = owner
        self._rng = rng or random.Random()
        self._record_attempts = record_attempts
        # Pipelined: the next batch is claimed once no more than ``_low`` messages wait on the feed,
        # enough to keep the lanes busy while a claim commits. The sent batches wait for their
        # record in order; one task records them; ``_moved`` wakes ``run_once`` when any of it moves.
        self._low = max(policy.concurrency, policy.batch // 2)
        self._feed = SendFeed(self._send, policy.concurrency, self._sent, self._wake, low=self._low)
        self._unrecorded: deque[FedBatch] = deque()
        self._unsettled: set[int] = set()
        self._open = 0  # batches claimed and not recorded yet (on the feed or waiting for the record)
        self._recorder: asyncio.Task[None] | None = None
        self._record_failure: BaseException | None = None
        self._moved = asyncio.Event()
        self._router = router or ProviderRouter.single(
            senders, buckets, time.monotonic, attempt_timeout=policy.send_timeout
        )

    @property
    def name(self) -> str:
        return "dispatch"

    async def run_once(self) -> int:
        """Claim one batch and send it; returns how many messages it claimed (0: nothing due).

        In turn, the batch is sent and recorded on return. Pipelined, it is put on the feed and
        ``run_once`` returns once the feed runs low (the lanes still sending) and at most this batch is
        not recorded yet; the next call claims the next batch meanwhile. ``finish`` waits for all.
        """
        if not self._policy.pipeline:
            return await self._run_in_turn()
        self._raise_failure()
        # Every row this worker claimed and has not recorded yet, on the feed or waiting for its
        # record: its lease may have run out meanwhile, and it must not be sent twice at once.
        claimed, withdrawn = await self._claim(frozenset(self._unsettled))
        if not claimed:
            await self.finish()
            return 0
        self._unsettled.update(c.message.communication_id for c in claimed)
        self._open += 1
        self._feed.put(claimed, withdrawn)
        await self._until(lambda: self._feed.waiting <= self._low and self._open <= 1)
        return len(claimed)

    async def finish(self) -> None:
        """Wait until every claimed message is sent and recorded (the runner calls it before stopping)."""
        await self._until(lambda: self._feed.idle and self._recorder is None)
        self._raise_failure()

    async def _run_in_turn(self) -> int:
        claimed, withdrawn = await self._claim(frozenset())
        if not claimed:
            return 0
        results = await self._send_all(claimed, withdrawn)
        await self._record(claimed, results)
        return len(claimed)

    async def _claim(self, skip: frozenset[int]) -> tuple[list[Claimed], frozenset[int]]:
        now = self._clock.now()
        async with self._uow() as uow:
            claimed = await uow.dispatch.claim(
                now=now,
                lease_until=now + self._policy.lease,
                owner=self._owner,
                limit=self._policy.batch,
                skip=skip,
            )
            withdrawn = await _withdrawn(uow, claimed)
            await uow.commit()
        return claimed, withdrawn

    def _sent(self, batch: FedBatch) -> None:
        """A batch's last message was answered: record it after the ones before it, one at a time."""
        self._unrecorded.append(batch)
        if self._recorder is None:
            self._recorder = asyncio.create_task(self._record_in_order())

    async def _record_in_order(self) -> None:
        try:
            while self._unrecorded:
                batch = self._unrecorded[0]
                try:
                    await self._record(batch.claimed, batch.results)
                except Exception as error:  # raised by the next run_once; the rows' lease brings them back
                    self._record_failure = self._record_failure or error
                finally:
                    self._unrecorded.popleft()
                    self._unsettled.difference_update(batch.ids)
                    self._open -= 1
                    self._wake()
        finally:
            self._recorder = None
            self._wake()

    def _raise_failure(self) -> None:
        failure = self._record_failure or self._feed.failure
        self._record_failure = self._feed.failure = None
        if failure is not None:
            raise failure

    def _wake(self) -> None:
        self._moved.set()

    async def _until(self, done: Callable[[], bool]) -> None:
        while not done():
            self._moved.clear()
            await self._moved.wait()

    async def _send_all(
        self, claimed: Sequence[Claimed], withdrawn: frozenset[int]
    ) -> list[tuple[str | None, SendResult]]:
        """Every message's provider and result, in order, at most ``concurrency`` at a time.

        ``concurrency`` lanes take the next message as they finish one: a task per lane, not per
        message, so a batch of 500 costs a few dozen tasks (a fast provider answers without
        suspending, and its lane runs through the batch on its own).
        """
        results: list[tuple[str | None, SendResult]] = [(None, _UNSENT)] * len(claimed)
        turns = iter(range(len(claimed)))

        async def lane() -> None:
            for i in turns:
                results[i] = await self._send(claimed[i], withdrawn)

        await asyncio.gather(*(lane() for _ in range(min(self._policy.concurrency, len(claimed)))))
        return results

    async def _send(self, claimed: Claimed, withdrawn: frozenset[int]) -> tuple[str | None, SendResult]:
        if claimed.message.communication_id in withdrawn:
            # Never handed to a provider; the record settles its row and leaves the communication.
            return None, SendResult.retry("cancelled while queued", attempted=False)
        # The router picks the provider, fails over on transient errors and keeps the circuits.
        return await self._router.send(claimed.message.outgoing())

    async def _record(
        self, claimed: Sequence[Claimed], results: Sequence[tuple[str | None, SendResult]]
    ) -> None:
        # A provider's report can beat the record of the send (a fast sandbox, a record waiting its
        # turn): that communication changed since it was loaded, so the whole batch is loaded and
        # recorded again on the new state rather than left to be sent twice when the lease expires.
        await on_fresh_state(lambda: self._record_once(claimed, results), self._record_attempts)

    async def _record_once(
        self, claimed: Sequence[Claimed], results: Sequence[tuple[str | None, SendResult]]
    ) -> None:
        now = self._clock.now()
        actor = DISPATCHER.actor
        async with self._uow() as uow:
            # By primary key: the planner reads exactly these rows, whatever the table's size.
            ids = [c.message.communication_id for c in claimed]
            found = await uow.communications.find(Query((CommunicationFields.id.in_(ids),), limit=len(ids)))
            by_uuid = {c.uuid: c for c in found}
            watch = StatusWatch(found)
            settled: list[Settled] = []
            changed: dict[int, Communication] = {}
            moved: set[int] = set()
            for item, (provider, result) in zip(claimed, results, strict=True):
                message = item.message
                attempts = message.attempts + 1
                communication = by_uuid.get(message.uuid)
                if communication is None or communication.is_terminal:
                    # Cancelled (or deleted) while queued: nothing more to do for it.
                    settled.append(Settled(communication_id=message.communication_id, attempts=attempts))
                    continue
                if not result.attempted:
                    # Every provider of the channel is paused: wait for the first to reopen, uncounted.
                    pause = timedelta(seconds=max(1.0, result.retry_after or 0))
                    settled.append(
                        Settled(
                            communication_id=message.communication_id,
                            attempts=message.attempts,
                            retry_at=now + pause,
                            error=result.reason,
                        )
                    )
                    continue
                communication.record_attempt(
                    at=now, provider=provider, provider_message_id=result.provider_message_id
                )
                changed[message.communication_id] = communication
                if result.outcome is SendOutcome.SENT:
                    if communication.status is LifecycleStatus.CREATED:
                        communication.start(at=now, actor=actor)
                    communication.record_delivery(DeliveryStatus.SENT, at=now, actor=actor)
                elif result.outcome is SendOutcome.REJECTED:
                    status = result.delivery_status or DeliveryStatus.FAILED
                    communication.record_delivery(status, at=now, actor=actor, reason=result.reason)
                elif attempts >= self._policy.max_attempts:
                    reason = f"{result.reason} (gave up after {attempts} attempts)"
                    communication.record_delivery(DeliveryStatus.FAILED, at=now, actor=actor, reason=reason)
                else:
                    wait = backoff(attempts, self._policy, self._rng)
                    # A provider that said when to come back (Retry-After) is not asked sooner.
                    wait = max(wait, timedelta(seconds=result.retry_after or 0))
                    retry_at = now + wait
                    settled.append(
                        Settled(
                            communication_id=message.communication_id,
                            attempts=attempts,
                            retry_at=retry_at,
                            error=result.reason,
                        )
                    )
                    continue
                settled.append(Settled(communication_id=message.communication_id, attempts=attempts))
                moved.add(message.communication_id)
            held = set(await uow.dispatch.settle(self._owner, settled))
            recorded = [c for i, c in changed.items() if i in held]
            # Before storing them: the failed ones' history notes their follow-ups.
            await follow_up(self._fallback, uow, [changed[i] for i in moved if i in held], now)
            await uow.communications.update_many(recorded)
            # The webhook outbox, in this transaction: only the communications whose status moved.
            await publish_many(uow, status_events([changed[i] for i in moved if i in held]), now)
            # Published by the unit of work after this commit (application/events).
            sends = {c.message.communication_id: c.send_id for c in claimed if c.send_id is not None}
            await watch.record(uow, recorded, sends)
            await uow.commit()


async def _withdrawn(uow: UnitOfWork, claimed: Sequence[Claimed]) -> frozenset[int]:
    """The claimed messages whose communication ended while queued (cancelled, closed by hand)."""
    if not claimed:
        return frozenset()
    ids = [c.message.communication_id for c in claimed]
    ended = await uow.communications.find(
        Query(
            (CommunicationFields.id.in_(ids), CommunicationFields.status.in_(sorted(TERMINAL_LIFECYCLE))),
            limit=len(ids),
        )
    )
    return frozenset(c.id for c in ended if c.id is not None)
