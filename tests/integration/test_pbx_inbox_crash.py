"""Crash safety of the PBX webhook with real processes: every event answered 200 is applied exactly once.

The server answers the PBX and is killed with SIGKILL before any worker ran; a `switchboard worker`
started afterwards applies every kept event. The PBX then redelivers some of them to a new server
(with its in-process worker), which changes nothing.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from adapters.sqlalchemy.engine import create_engine
from tests.support.databases import migrated, temporary_postgres_database
from tests.support.xsi_events import missed_call

TOKEN = "crash-test-token"
CALLS = 40
SWITCHBOARD = Path(sys.executable).with_name("switchboard")
ROOT = Path(__file__).parents[2]


def environment(url: str, *, in_process_worker: bool) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "BEELINE_WEBHOOK_TOKEN": TOKEN,
        "IN_PROCESS_WORKER": "1" if in_process_worker else "0",
        "LOG_LEVEL": "WARNING",
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(url: str, *, in_process_worker: bool) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "entrypoints.asgi:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=environment(url, in_process_worker=in_process_worker),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, "the server exited"
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        yield base, process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=20)


async def counts(url: str) -> tuple[int, int, int]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            inbox = (await conn.execute(sa.text("SELECT count(*) FROM pbx_event_inbox"))).scalar_one()
            cards = (
                await conn.execute(sa.text("SELECT count(*), coalesce(sum(calls), 0) FROM missed_calls"))
            ).one()
        return int(inbox), int(cards[0]), int(cards[1])
    finally:
        await engine.dispose()


def wait_for_empty_inbox(url: str, timeout: float = 90) -> tuple[int, int, int]:
    deadline = time.monotonic() + timeout
    while True:
        found = asyncio.run(counts(url))
        if found[0] == 0:
            return found
        assert time.monotonic() < deadline, f"the inbox still holds {found[0]} events"
        time.sleep(0.2)


def deliver(base: str, bodies: list[bytes]) -> None:
    with httpx.Client(base_url=base, timeout=30) as client:
        for body in bodies:
            response = client.post(
                f"/webhooks/beeline/{TOKEN}", content=body, headers={"Content-Type": "application/xml"}
            )
            assert response.status_code == 200, response.text


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    if request.param == "sqlite":
        yield migrated(f"sqlite:///{tmp_path}/crash.db")
        return
    request.getfixturevalue("postgres_url")
    with temporary_postgres_database() as url:
        yield migrated(url)


def test_events_answered_200_survive_a_kill_9_and_are_applied_once(database: str) -> None:
    bodies = [body for n in range(CALLS) for body in missed_call(remote=f"tel:+7495{n:07d}")]
    with server(database, in_process_worker=False) as (base, process):
        deliver(base, bodies)
        os.kill(process.pid, signal.SIGKILL)  # no worker ran: every event is only in the inbox
        process.wait(timeout=20)
    assert asyncio.run(counts(database)) == (len(bodies), 0, 0)

    worker = subprocess.Popen(
        [str(SWITCHBOARD), "worker"], cwd=ROOT, env=environment(database, in_process_worker=False)
    )
    try:
        assert wait_for_empty_inbox(database) == (0, CALLS, CALLS)
    finally:
        worker.terminate()
        worker.wait(timeout=20)

    # The PBX redelivers the first calls' events to a new server, whose own worker applies them.
    with server(database, in_process_worker=True) as (base, _):
        deliver(base, bodies[:9])
        assert wait_for_empty_inbox(database) == (0, CALLS, CALLS)
