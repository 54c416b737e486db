"""The worker's CPU per message, in this process: one send to N clients, then the worker's runner
(every job ``switchboard worker`` runs) until nothing is pending and every sandbox report is applied.

    .venv/bin/python -m bench.dispatch_cpu [--clients 5000] [--sqlite] [--profile 30]

Prints the CPU seconds of this process per message (the database server's are not counted),
the SQL statements per message and per kind, and with ``--profile N`` the N costliest functions by
own time. On a shared machine CPU time and counted statements move far less than the wall clock.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import time
from collections import Counter
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from adapters.sqlalchemy.engine import create_engine
from adapters.sqlalchemy.unit_of_work import SqlUnitOfWorkFactory
from bench.dispatch import WORKER_ENV, accept, postgres_url, seed, sqlite_url
from bench.dispatch import Round as Accepted


def statement_kind(sql: str) -> str:
    words = sql.split()
    head = words[0].upper() if words else "?"
    table = next((w for w in words[1:8] if w.isidentifier() and w.upper() not in _NOISE), "?")
    return f"{head} {table}"


_NOISE = {"INTO", "FROM", "DISTINCT", "ONLY", "SET", "WITH", "RECURSIVE", "AS", "SELECT"}


async def drain(
    url: str, statements: Counter[str], reports: bool, profile: cProfile.Profile | None
) -> tuple[float, float]:
    """Runs the worker until done; returns its wall and CPU seconds (start-up not counted)."""
    from entrypoints.container import build_container
    from entrypoints.settings import Settings
    from entrypoints.worker import run_until_terminated, runner_for

    os.environ.update({**WORKER_ENV, "DATABASE_URL": url})
    container = build_container(Settings.from_env())
    engine = container.storage.engine()

    @sa.event.listens_for(engine.sync_engine, "before_cursor_execute")
    def count(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        statements[statement_kind(sql)] += 1

    runner = runner_for(container)
    probe = SqlUnitOfWorkFactory(create_engine(url))
    sandbox = container.core.sandbox()
    wall, cpu = time.perf_counter(), time.process_time()
    if profile is not None:
        profile.enable()
    task = asyncio.create_task(run_until_terminated(runner))  # as `switchboard worker` runs it
    while True:
        await asyncio.sleep(0.2)
        async with probe(read_only=True) as uow:
            left = await uow.dispatch.pending_count()
        if left == 0 and (not reports or not sandbox._pending):  # a bench's peek at the sandbox
            break
    runner.stop()
    await task
    if profile is not None:
        profile.disable()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    await engine.dispose()
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=5000)
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--profile", type=int, default=0, help="print the N costliest functions")
    parser.add_argument("--no-reports", action="store_true", help="stop once all are sent")
    args = parser.parse_args()
    url = sqlite_url() if args.sqlite else postgres_url()
    department_id, ids = asyncio.run(seed(url, args.clients))
    accepted = Accepted("accept")
    asyncio.run(accept(url, department_id, ids, accepted))
    statements: Counter[str] = Counter()
    # CPU time, not the wall clock: a neighbour's load must not show up as our functions' cost.
    profile = cProfile.Profile(time.process_time) if args.profile else None
    load = Path("/proc/loadavg").read_text().split()[0]
    wall, cpu = asyncio.run(drain(url, statements, not args.no_reports, profile))
    n = accepted.messages
    print(f"{n} messages: CPU {cpu * 1e6 / n:.0f} us/message, wall {wall:.1f} s, load {load}")
    print(f"statements: {sum(statements.values()) / n * 1000:.1f} per 1,000 messages")
    for kind, seen in statements.most_common(25):
        print(f"  {seen:7d}  {kind}")
    if profile is not None:
        profile.dump_stats("/tmp/dispatch_cpu.prof")
        pstats.Stats(profile).sort_stats("tottime").print_stats(args.profile)


if __name__ == "__main__":
    main()
