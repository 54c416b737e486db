"""Issue 9's sending benchmark: bulk accept, end-to-end dispatch, the SMTP ceiling, single sends.

    .venv/bin/python -m bench.dispatch                      # 10,000 clients, every scenario
    .venv/bin/python -m bench.dispatch --clients 100000     # the issue's size
    .venv/bin/python -m bench.dispatch --only pg-sandbox-1,ceiling --record

Scenarios, in one run so that their ratios mean something on a shared machine:

* ``pg-accept`` / ``sqlite-accept``: only the bulk accept of one send to N clients.
* ``pg-sandbox-1`` / ``pg-sandbox-2`` / ``sqlite-sandbox-1``: one send to N clients accepted by the
  use case in-process (timed: the bulk accept) while 1 or 2 ``switchboard worker`` processes,
  started beforehand, dispatch it through the sandbox; timed from the request until no queue row
  is pending (every communication ``sent``). Worker RSS is sampled every 0.25 s over the run; the
  CPU seconds of the workers and (PostgreSQL) of the database's server processes serving them are
  read from /proc, which the machine's other load hardly moves, unlike the wall clock.
* ``pg-smtp-1``: the same through SMTP to a local sink (aiosmtpd, ``bench/smtp_sink.py``, in its
  own process); ``ceiling``: that sink driven directly by aiosmtplib at the worker's SMTP
  concurrency, N messages of the same shape. The target is >= 0.7 of the ceiling. With both chosen,
  the ceiling is measured right before and right after the worker's run, N/2 messages each, and
  the two together make the ceiling: the machine's load moves under both alike.
* ``http``: ``POST /api/v1/sends`` to one client, against ``POST /api/v1/clients``, from one
  server on PostgreSQL (64 connections, closed loop, --seconds each).

PostgreSQL: BENCH_POSTGRES (default postgresql://postgres@127.0.0.1:5432); the database
BENCH_DATABASE (default ``switchboard_dispatch_bench``; name your own on a shared server) is dropped
and created for each scenario. SQLite: bench/data/.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from adapters.security import Argon2PasswordHasher
from adapters.sqlalchemy.engine import create_engine
from adapters.sqlalchemy.migrate import upgrade
from adapters.sqlalchemy.tables import clients
from adapters.sqlalchemy.unit_of_work import SqlUnitOfWorkFactory
from adapters.system import SystemClock
from bench.servers import ROOT, free_port
from tests.support.sending import SENDER, arrange, command, sending

DATABASE = os.environ.get("BENCH_DATABASE", "switchboard_dispatch_bench")
SWITCHBOARD = Path(sys.executable).with_name("switchboard")
SCENARIOS = (
    "pg-accept",
    "sqlite-accept",
    "pg-sandbox-1",
    "pg-sandbox-2",
    "sqlite-sandbox-1",
    "pg-smtp-1",
    "ceiling",
    "http",
)
WORKER_START_SECONDS = 5.0
WORKER_ENV = {
    "DISPATCH_BATCH": "500",
    "DISPATCH_CONCURRENCY": "64",
    "SMTP_CONNECTIONS": "32",
    "LOG_LEVEL": "WARNING",
    "IN_PROCESS_WORKER": "0",
}


@dataclass
class Round:
    name: str
    messages: int = 0
    accept_s: float = 0.0
    accept_cpu_s: float = 0.0
    dispatch_s: float = 0.0
    rss_mb: list[float] = field(default_factory=list)
    worker_cpu_s: float = 0.0
    database_cpu_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def per_second(self) -> float:
        return self.messages / self.dispatch_s if self.dispatch_s else 0.0

    @property
    def after_accept(self) -> float:
        """The dispatch rate once the send is committed: what the workers themselves sustain."""
        span = self.dispatch_s - self.accept_s
        return self.messages / span if span > 0 else 0.0


def postgres_url() -> str:
    from bench.api import _recreate_postgres_database

    server = os.environ.get("BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
    _recreate_postgres_database(server, DATABASE)
    url = f"{server}/{DATABASE}"
    upgrade(url)
    return url


def sqlite_url() -> str:
    path = ROOT / "bench" / "data" / "dispatch.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    upgrade(url)
    return url


async def seed(url: str, count: int) -> tuple[int, list[int]]:
    """The defaults, a department and ``count`` clients with an email address each."""
    engine = create_engine(url)
    factory = SqlUnitOfWorkFactory(engine)
    clock = SystemClock()
    hasher = Argon2PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    department_id, _ = await arrange(factory, clock, hasher, [])
    now = clock.now()
    ids: list[int] = []
    async with engine.begin() as connection:
        for start in range(0, count, 5000):
            rows = [
                {
                    "first_name": f"Client{i}",
                    "email": f"c{i}@example.com",
                    "available": True,
                    "phones": [],
                    "tags": [],
                    "create_time": now,
                    "update_time": now,
                }
                for i in range(start, min(count, start + 5000))
            ]
            result = await connection.execute(clients.insert().returning(clients.c.id), rows)
            ids += list(result.scalars())
    await engine.dispose()
    return department_id, ids


async def accept(url: str, department_id: int, ids: list[int], into: Round) -> None:
    engine = create_engine(url)
    factory = SqlUnitOfWorkFactory(engine)
    clock = SystemClock()
    use_case = sending(factory, clock)
    wall, cpu = time.perf_counter(), time.process_time()
    answer = await use_case(SENDER, command(department_id, ids))
    into.accept_s, into.accept_cpu_s = time.perf_counter() - wall, time.process_time() - cpu
    into.messages = answer.accepted_count
    await engine.dispose()


async def pending(url: str, backends: dict[int, float]) -> int:
    """Messages left; on PostgreSQL also notes the CPU seconds of the other server processes on it."""
    engine = create_engine(url)
    try:
        if engine.dialect.name == "postgresql":
            async with engine.connect() as connection:
                statement = sa.text(
                    "SELECT pid FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
                for pid in (await connection.execute(statement)).scalars():
                    backends[pid] = max(backends.get(pid, 0.0), cpu_seconds(pid))
        async with SqlUnitOfWorkFactory(engine)(read_only=True) as uow:
            return int(await uow.dispatch.pending_count())
    finally:
        await engine.dispose()


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return 0.0


@dataclass
class Profiling:
    """``--profile DIR``: each worker runs under cProfile and writes ``DIR/<scenario>-<n>.prof``."""

    directory: Path | None = None


PROFILING = Profiling()


def worker_command(name: str, n: int) -> list[str]:
    if PROFILING.directory is None:
        return [str(SWITCHBOARD), "worker"]
    out = PROFILING.directory / f"{name}-{n}.prof"
    return [sys.executable, "-m", "bench.profiled_worker", str(out)]


def start_workers(name: str, url: str, workers: int, env: dict[str, str]) -> list[subprocess.Popen[bytes]]:
    processes = [
        subprocess.Popen(
            worker_command(name, n),
            env={**os.environ, **WORKER_ENV, **env, "DATABASE_URL": url, "WORKER_ID": f"bench-{n}"},
            cwd=ROOT,
        )
        for n in range(workers)
    ]
    # Up and polling an empty queue before the send starts: the clock below is the issue's "from
    # the request until every communication is sent", not the workers' start-up.
    time.sleep(WORKER_START_SECONDS)
    return processes


def wait_until_sent(url: str, processes: list[subprocess.Popen[bytes]], into: Round, timeout: float) -> None:
    """Poll the queue until nothing is pending; worker RSS sampled meanwhile."""
    backends: dict[int, float] = {}
    try:
        left, last_check = into.messages, 0.0
        while left and time.perf_counter() - into.extra["started"] < timeout:
            time.sleep(0.25)
            into.rss_mb.append(sum(rss_mb(p.pid) for p in processes))
            if time.perf_counter() - last_check > 0.5:
                left = asyncio.run(pending(url, backends))
                last_check = time.perf_counter()
        into.dispatch_s = time.perf_counter() - into.extra.pop("started")
        into.extra["left"] = left
        into.worker_cpu_s = sum(cpu_seconds(p.pid) for p in processes)
        into.database_cpu_s = sum(backends.values())
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


def end_to_end(name: str, url: str, count: int, workers: int, env: dict[str, str]) -> Round:
    into = Round(name)
    department_id, ids = asyncio.run(seed(url, count))
    processes = start_workers(name, url, workers, env)
    into.extra["started"] = time.perf_counter()
    asyncio.run(accept(url, department_id, ids, into))
    wait_until_sent(url, processes, into, timeout=max(120.0, count / 50))
    return into


def accept_only(name: str, url: str, count: int) -> Round:
    into = Round(name)
    department_id, ids = asyncio.run(seed(url, count))
    asyncio.run(accept(url, department_id, ids, into))
    return into


def start_sink() -> tuple[subprocess.Popen[str], int]:
    port = free_port()
    sink = subprocess.Popen(
        [sys.executable, "-m", "bench.smtp_sink", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert sink.stdout is not None
    assert sink.stdout.readline().strip() == "ready"
    return sink, port


def stop_sink(sink: subprocess.Popen[str]) -> int:
    sink.send_signal(signal.SIGTERM)
    out, _ = sink.communicate(timeout=30)
    return int(out.strip().split()[-1])


def ceiling(port: int, count: int, connections: int) -> Round:
    """The sink's raw throughput: aiosmtplib in a loop on ``connections`` connections."""
    import aiosmtplib

    def message(i: int) -> EmailMessage:
        email = EmailMessage()
        email["From"] = "switchboard@localhost"
        email["To"] = f"c{i}@example.com"
        email["Subject"] = "Hi"
        email["Message-ID"] = f"<ceiling-{i}@bench.local>"
        email["List-Unsubscribe"] = "<http://localhost:8000/unsubscribe/1.3.abcdefghijklmnop>"
        email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        email.set_content(f"Hello Client{i}")
        email.add_alternative(
            f"<!doctype html><html><body><p>Hello Client{i}</p></body></html>", subtype="html"
        )
        return email

    # Written before the clock starts: the ceiling is what the sink takes, not what the client's
    # EmailMessage costs to build and flatten (about 3 ms of CPU each, which made the old ceiling a
    # measure of this loop's CPU rather than of the sink).
    prepared = [message(i).as_bytes() for i in range(count)]

    async def run() -> float:
        queue = list(range(count))

        async def one() -> None:
            client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port)
            await client.connect()
            while queue:
                i = queue.pop()
                await client.sendmail("switchboard@localhost", [f"c{i}@example.com"], prepared[i])
            await client.quit()

        started = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(connections)))
        return time.perf_counter() - started

    into = Round("ceiling", messages=count)
    into.dispatch_s = asyncio.run(run())
    return into


def interleaved(before: Round, after: Round) -> Round:
    """One ceiling from the halves measured before and after the worker's run."""
    into = Round("ceiling", messages=before.messages + after.messages)
    into.dispatch_s = before.dispatch_s + after.dispatch_s
    into.extra["halves"] = (before.per_second, after.per_second)
    return into


def http(url: str, seconds: float) -> Round:
    """Single-client sends/s and POST /api/v1/clients/s from the same server."""
    from bench import api, loadgen
    from bench.servers import uvicorn

    department_id, ids = asyncio.run(seed(url, 1000))
    env = {"DATABASE_URL": url, "ADMIN_PASSWORD": "admin", "LOG_LEVEL": "WARNING", "IN_PROCESS_WORKER": "0"}
    into = Round("http")
    with uvicorn("entrypoints.asgi:app", env, core=None) as port:
        host = f"127.0.0.1:{port}"
        headers = {**api.ADMIN, "Content-Type": "application/json"}
        sends = [
            loadgen.request_bytes(
                "POST",
                "/api/v1/sends",
                host,
                headers,
                json.dumps(
                    {
                        "communicationTypeId": 1,
                        "departmentId": department_id,
                        "clientIds": [client_id],
                        "channels": [3],
                        "subject": "Hi",
                        "text": "Hello {{ client.firstName }}",
                    }
                ).encode(),
            )
            for client_id in ids
        ]
        create = loadgen.request_bytes("POST", "/api/v1/clients", host, headers, api.NEW_CLIENT.encode())
        for name, requests, expect in (("clients", [create], 201), ("sends", sends, 202)):
            result = api.measure(port, requests, expect=expect, seconds=seconds, warmup=2.0)
            into.extra[name] = result
    return into


def report(rounds: list[Round], count: int, load: tuple[str, str]) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"`.venv/bin/python -m bench.dispatch --clients {count}` on {when}; load average at start "
        f"{load[0]}, at end {load[1]} (`/proc/loadavg`, 2 cores shared with other engineers).",
        "",
        "| scenario | accept (wall / CPU of the accepting process) | request → all sent | messages/s "
        "| after the accept: messages/s | worker RSS min–max | CPU µs/message: workers + database |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rounds:
        if r.name == "http":
            continue
        rss = f"{min(r.rss_mb):.0f}–{max(r.rss_mb):.0f} MB" if r.rss_mb else "—"
        if r.name.endswith("-accept"):
            lines.append(
                f"| {r.name} | {r.accept_s:.2f} s / {r.accept_cpu_s:.2f} s for {r.messages} "
                f"({r.messages / r.accept_s:,.0f} clients/s) | — | — | — | — | — |"
            )
            continue
        accepted = f"{r.accept_s:.2f} s / {r.accept_cpu_s:.2f} s" if r.accept_s else "—"
        left = f" ({r.extra['left']} left)" if r.extra.get("left") else ""
        cpu = "—"
        if r.worker_cpu_s and r.messages:
            per = 1e6 / r.messages
            cpu = f"{r.worker_cpu_s * per:,.0f} + {r.database_cpu_s * per:,.0f}"
        lines.append(
            f"| {r.name} | {accepted} | {r.messages} in {r.dispatch_s:.1f} s{left} "
            f"| {r.per_second:,.0f} | {r.after_accept:,.0f} | {rss} | {cpu} |"
        )
    smtp = next((r for r in rounds if r.name == "pg-smtp-1"), None)
    top = next((r for r in rounds if r.name == "ceiling"), None)
    if smtp and top and top.per_second:
        lines += ["", f"SMTP through the worker / raw sink ceiling: {smtp.per_second / top.per_second:.2f}"]
        lines[-1] += f" (after the accept: {smtp.after_accept / top.per_second:.2f})"
        if "halves" in top.extra:
            lines[-1] += "; ceiling before / after the worker's run: {:,.0f} / {:,.0f} messages/s".format(
                *top.extra["halves"]
            )
    web = next((r for r in rounds if r.name == "http"), None)
    if web:
        lines += [""]
        for name in ("clients", "sends"):
            result = web.extra[name]
            lines.append(
                f"POST /api/v1/{name}: {result.rps:,.0f} requests/s, p50 {result.p50:.1f} ms, "
                f"p99 {result.p99:.1f} ms, {result.errors} errors"
            )
    return "\n".join(lines)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument(
        "--only", default=",".join(SCENARIOS), help="comma-separated: " + ", ".join(SCENARIOS)
    )
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument(
        "--smtp-clients", type=int, default=0, help="size of pg-smtp-1 and ceiling (default: --clients)"
    )
    parser.add_argument("--record", action="store_true", help="append the table to bench/RESULTS.md")
    parser.add_argument("--profile", type=Path, help="run the workers under cProfile, profiles into DIR")
    args = parser.parse_args()
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
    PROFILING.directory = args.profile
    return args


def main() -> None:
    args = arguments()
    chosen = args.only.split(",")
    load_at_start = Path("/proc/loadavg").read_text().split()[0]
    rounds: list[Round] = []
    sink, sink_port = (None, 0)
    connections = int(WORKER_ENV["SMTP_CONNECTIONS"])
    if "pg-smtp-1" in chosen or "ceiling" in chosen:
        sink, sink_port = start_sink()
    try:
        for name in chosen:
            print(f"-- {name}", flush=True)
            if name in ("pg-accept", "sqlite-accept"):
                url = postgres_url() if name == "pg-accept" else sqlite_url()
                rounds.append(accept_only(name, url, args.clients))
            elif name == "pg-sandbox-1":
                rounds.append(end_to_end(name, postgres_url(), args.clients, 1, {}))
            elif name == "pg-sandbox-2":
                rounds.append(end_to_end(name, postgres_url(), args.clients, 2, {}))
            elif name == "sqlite-sandbox-1":
                rounds.append(end_to_end(name, sqlite_url(), args.clients, 1, {}))
            elif name == "pg-smtp-1":
                smtp = {
                    "EMAIL_PROVIDER": "smtp",
                    "SMTP_HOST": "127.0.0.1",
                    "SMTP_PORT": str(sink_port),
                    # One lane per connection, as the ceiling: more lanes only queue for a connection.
                    "DISPATCH_CONCURRENCY": str(connections),
                }
                count = args.smtp_clients or args.clients
                before = ceiling(sink_port, count // 2, connections) if "ceiling" in chosen else None
                rounds.append(end_to_end(name, postgres_url(), count, 1, smtp))
                if before is not None:
                    after = ceiling(sink_port, count - count // 2, connections)
                    rounds.append(interleaved(before, after))
            elif name == "ceiling" and "pg-smtp-1" not in chosen:
                count = args.smtp_clients or args.clients
                rounds.append(ceiling(sink_port, count, connections))
            elif name == "http":
                rounds.append(http(postgres_url(), args.seconds))
            print(report(rounds, args.clients, (load_at_start, "…")), flush=True)
    finally:
        if sink is not None:
            print(f"sink accepted {stop_sink(sink)} messages")
    table = report(rounds, args.clients, (load_at_start, Path("/proc/loadavg").read_text().split()[0]))
    print(table)
    print(f"bench process max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    if args.record:
        with (ROOT / "bench" / "RESULTS.md").open("a") as out:
            out.write("\n" + table + "\n")


if __name__ == "__main__":
    main()
