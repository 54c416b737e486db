"""SIGTERM mid-run on PostgreSQL: the worker records what it sent, exits 0, and nothing goes out twice.

Unlike ``kill -9`` (test_worker_crash), a terminated worker finishes its in-flight claims: every
message the sink received is settled in the queue when the process has exited, so the next worker
sends only the rest and no message arrives twice.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter

import pytest
import sqlalchemy as sa

from adapters.sqlalchemy.engine import create_engine
from adapters.sqlalchemy.sending import dispatch_queue
from tests.integration.test_worker_crash import MESSAGES, SINK_BOUND, seed, worker
from tests.support.databases import migrated, temporary_postgres_database
from tests.support.smtp_server import Sink, smtp_server

pytestmark = [pytest.mark.postgres, pytest.mark.concurrency]


async def queue_state(url: str) -> tuple[int, int]:
    """Rows still pending, and rows some worker holds a lease on."""
    engine = create_engine(url)
    try:
        q = dispatch_queue.c
        async with engine.connect() as connection:
            pending = (
                await connection.execute(sa.select(sa.func.count()).where(q.pending.is_(True)))
            ).scalar_one()
            leased = (
                await connection.execute(sa.select(sa.func.count()).where(q.lease_owner.is_not(None)))
            ).scalar_one()
        return int(pending), int(leased)
    finally:
        await engine.dispose()


def test_sigterm_mid_run_records_the_claimed_messages_and_exits_0(hasher: object) -> None:
    sink = Sink()
    with temporary_postgres_database() as url, smtp_server(sink) as port:
        migrated(url)
        uuids = asyncio.run(seed(url, hasher))
        first = worker(url, port, "first")
        deadline = time.monotonic() + 60 + MESSAGES / 100
        while len(sink.received) < MESSAGES // 4 and time.monotonic() < deadline and first.poll() is None:
            time.sleep(0.05)
        assert first.poll() is None, first.stderr.read().decode() if first.stderr else ""
        first.send_signal(signal.SIGTERM)
        assert first.wait(SINK_BOUND) == 0, first.stderr.read().decode() if first.stderr else ""
        pending, leased = asyncio.run(queue_state(url))
        received = len(sink.received)
        # Nothing was left to the lease: the settled rows are exactly the messages received.
        assert leased == 0
        assert MESSAGES - pending == received
        assert 0 < received < MESSAGES, "stopped mid-run"
        second = worker(url, port, "second")
        try:
            until = time.monotonic() + SINK_BOUND
            while asyncio.run(queue_state(url))[0] and time.monotonic() < until:
                time.sleep(0.2)
        finally:
            second.send_signal(signal.SIGTERM)
            assert second.wait(SINK_BOUND) == 0
    counts = Counter(m["Message-ID"].strip("<>").split("@")[0] for m in sink.received)
    assert set(counts) == set(uuids), "every message sent"
    assert max(counts.values()) == 1, "none twice"
