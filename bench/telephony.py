"""Issue 11's webhook benchmark: BroadWorks XSI events into POST /webhooks/beeline/{token}.

    .venv/bin/python -m bench.telephony [--database sqlite|postgres] [--seconds 10] [--connections 32]
                                        [--worker in-process|separate] [--record]

Starts Switchboard (one process, core 1) on a fresh database and drives the webhook from a closed-loop
load generator on loopback (core 0). Every call is a real XSI sequence with its own extTrackingId and
caller: CallReceivedEvent, HookStatusEvent, CallReleasedEvent without answerTime (a missed call).
The webhook answers once the event is kept in the inbox; the worker applies the inbox. With
``--worker in-process`` (the default, as under ``switchboard serve``) the worker shares the server's
process and core; with ``separate`` it is a ``switchboard worker`` process on core 0; with ``after`` that
process starts only once the webhook and /health have been measured on the idle server, and the
events/s applied are its own rate draining the inbox. The bench waits
until the inbox is empty, reports how fast events were applied (sent events over the time from the
first request to the empty inbox), counts the missed-call cards stored, which must equal the missed
calls sent, and measures GET /health on the same server for comparison. Prints a Markdown table;
--record appends it to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from adapters.sqlalchemy.engine import create_engine
from adapters.sqlalchemy.migrate import upgrade
from bench import loadgen
from bench.api import _recreate_postgres_database
from bench.communications import machine
from bench.servers import ROOT, pin, uvicorn
from tests.support.xsi_events import START_MS, xsi_event

TOKEN = "bench-webhook-token"
XML = {"Content-Type": "application/xml; charset=UTF-8"}


WORKER_PLACES = {
    "in-process": "in it (as under `switchboard serve`)",
    "separate": "a separate `switchboard worker` process on core 0 running during the load",
    "after": "started only once the load and /health are measured (a `switchboard worker` on core 0), "
    "so the webhook and /health are measured alike and the worker's rate on its own",
}


class MissedCalls:
    """An endless stream of webhook requests, three per missed call; counts the calls it handed out."""

    def __init__(self, host: str) -> None:
        self._host = host
        self.calls_sent = 0
        self.events_sent = 0

    def __iter__(self) -> Iterator[bytes]:
        for n in itertools.count():
            track = f"bench-{n:08d}-0000-4000-8000-000000000000"
            remote = f"tel:+7495{n % 10_000_000:07d}"
            start = START_MS + n * 1000
            bodies = (
                xsi_event("CallReceivedEvent", track=track, remote=remote, start=start),
                xsi_event("HookStatusEvent"),
                xsi_event(
                    "CallReleasedEvent", track=track, remote=remote, start=start, release=start + 20_000
                ),
            )
            for index, body in enumerate(bodies):
                self.events_sent += 1
                if index == 2:
                    self.calls_sent += 1
                yield loadgen.request_bytes("POST", f"/webhooks/beeline/{TOKEN}", self._host, XML, body)


def database(kind: str) -> str:
    if kind == "sqlite":
        path = ROOT / "bench" / "data" / "telephony.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        server = os.environ.get("BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
        _recreate_postgres_database(server, "switchboard_bench_telephony")
        url = f"{server}/switchboard_bench_telephony"
    upgrade(url)
    return url


async def waiting(url: str) -> int:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(sa.text("SELECT count(*) FROM pbx_event_inbox"))).scalar_one())
    finally:
        await engine.dispose()


def drain(url: str, timeout: float = 600) -> float:
    """Waits until the worker has applied every kept event; answers when that was (monotonic)."""
    deadline = time.monotonic() + timeout
    while asyncio.run(waiting(url)) > 0:
        if time.monotonic() > deadline:
            raise SystemExit("the worker did not empty the inbox in time")
        time.sleep(0.05)
    return time.monotonic()


async def stored(url: str) -> tuple[int, int, int]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            cards = (
                await conn.execute(sa.text("SELECT count(*), coalesce(sum(calls), 0) FROM missed_calls"))
            ).one()
            calls = (await conn.execute(sa.text("SELECT count(*) FROM communications"))).scalar_one()
        return int(cards[0]), int(cards[1]), int(calls)
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--worker", choices=["in-process", "separate", "after"], default="in-process")
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()

    url = database(args.database)
    env = {
        "DATABASE_URL": url,
        "BEELINE_WEBHOOK_TOKEN": TOKEN,
        "IN_PROCESS_WORKER": "1" if args.worker == "in-process" else "0",
        "LOG_LEVEL": "WARNING",
    }
    worker = None

    def start_worker() -> subprocess.Popen[bytes]:
        command = [*pin(0), sys.executable, "-m", "entrypoints.cli", "worker"]
        return subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env})

    def measure_health(host: str, port: int) -> loadgen.Result:
        request = loadgen.request_bytes("GET", "/health", host, {})
        return asyncio.run(
            loadgen.run("127.0.0.1", port, loadgen.cycle([request]), connections=args.connections, seconds=5)
        )

    if args.worker == "separate":
        worker = start_worker()
    try:
        with uvicorn("entrypoints.asgi:app", env, core=1) as port:
            host = f"127.0.0.1:{port}"
            calls = MissedCalls(host)
            started = time.monotonic()
            events = asyncio.run(
                loadgen.run(
                    "127.0.0.1", port, iter(calls), connections=args.connections, seconds=args.seconds
                )
            )
            load_ended = time.monotonic()
            if args.worker == "after":  # /health first, on the same idle server the webhook had
                health = measure_health(host, port)
                started = load_ended = time.monotonic()
                worker = start_worker()
            drained = drain(url)
            if args.worker != "after":
                health = measure_health(host, port)
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=30)
    applied_rate = calls.events_sent / (drained - started)
    cards, card_calls, communications = asyncio.run(stored(url))
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"### Telephony webhook ({args.database}), {now}",
        "",
        f"`.venv/bin/python -m bench.telephony --database {args.database} --seconds {args.seconds:g} "
        f"--connections {args.connections} --worker {args.worker}`; {machine()}; "
        "one server process (core 1), "
        f"the worker {WORKER_PLACES[args.worker]}, "
        "the load generator on core 0, loopback. The machine is shared with other engineers' work: figures "
        "vary between runs.",
        "",
        "| route | requests/s | p50 ms | p99 ms | errors |",
        "|---|---:|---:|---:|---:|",
        f"| POST /webhooks/beeline/{{token}} (XSI events) | {events.rps:,.0f} | {events.p50:.1f} | "
        f"{events.p99:.1f} | {events.errors} |",
        f"| GET /health | {health.rps:,.0f} | {health.p50:.1f} | {health.p99:.1f} | {health.errors} |",
        "",
        f"Events applied by the worker: {calls.events_sent:,} in {drained - started:.1f} s from "
        f"{'the worker start' if args.worker == 'after' else 'the first request'} to the empty inbox "
        f"({drained - load_ended:.1f} s after the load stopped): **{applied_rate:,.0f} events/s**; "
        f"webhook/health ratio {events.rps / health.rps:.2f}.",
        "",
        f"Missed calls sent: {calls.calls_sent:,} ({calls.events_sent:,} events, warm-up included); "
        f"missed calls registered: {card_calls:,} on {cards:,} cards; "
        f"Call communications: {communications:,}. "
        f"{'Equal.' if card_calls == calls.calls_sent else 'NOT EQUAL.'}",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.record:
        with (ROOT / "bench" / "RESULTS.md").open("a", encoding="utf-8") as results:
            results.write("\n" + text)
    if card_calls != calls.calls_sent:
        raise SystemExit("missed calls registered differ from those sent")


if __name__ == "__main__":
    main()
