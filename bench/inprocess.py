"""Requests through the ASGI apps, in this process: CPU per request, and a profile.

    .venv/bin/python -m bench.inprocess [--database postgres|sqlite] [--requests 2000] [--profile read]
                                        [--concurrency 64 --core 1]

Calls Switchboard's app and the database ceiling's app (bench/ceiling_db.py) directly with ASGI
messages, no HTTP server and no sockets, alternating blocks of requests (A/B/A/B) so that a
neighbour's load falls on both. CPU time of this process per request is steadier than throughput
on a shared machine; on PostgreSQL the database backends' CPU per request is printed beside it.
``--profile read|write`` prints a cProfile (CPU time) of Switchboard's requests of that kind
(``--profile-app ceiling`` for the ceiling's). One request at a time by default; ``--concurrency N``
keeps N in flight, as bench.api's load generator does, and prints each app's p50 and p99, and
``--core`` keeps the process to one core as bench.api does its servers.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import importlib
import io
import json
import os
import pstats
import random
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from bench.api import ADMIN, NEW_CLIENT, prepare_database
from bench.servers import ROOT

App = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
EXPECTED = {"read": 200, "write": 201, "send": 202, "keyed-send": 202}
"""The status each kind of request answers."""


class Lifespan:
    """Runs an ASGI app's lifespan startup, and its shutdown on close."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.task = asyncio.ensure_future(
            self.app({"type": "lifespan", "asgi": {"version": "3.0"}}, self.inbox.get, self.outbox.put)
        )
        await self.inbox.put({"type": "lifespan.startup"})
        message = await self.outbox.get()
        assert message["type"] == "lifespan.startup.complete", message

    async def stop(self) -> None:
        await self.inbox.put({"type": "lifespan.shutdown"})
        await self.outbox.get()
        assert self.task is not None
        await self.task


def scope(method: str, path: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    raw.append((b"host", b"127.0.0.1"))
    if body:
        raw.append((b"content-length", str(len(body)).encode()))
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": raw,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }


async def call(
    app: App,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes = b"",
    answer: list[bytes] | None = None,
) -> int:
    """One request through the app as ASGI: its status (and its body's parts into ``answer``)."""
    sent = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif answer is not None and message["type"] == "http.response.body":
            answer.append(message.get("body", b""))

    await app(scope(method, path, headers, body), receive, send)
    return status


def requests_for(
    kind: str, clients: int, auth: dict[str, str], n: int, department: int = 0
) -> list[tuple[str, str, dict, bytes]]:
    rng = random.Random(1)
    if kind == "read":
        return [("GET", f"/api/v1/clients/{rng.randint(1, clients)}", auth, b"") for _ in range(n)]
    headers = {**auth, "Content-Type": "application/json"}
    if kind in ("send", "keyed-send"):
        ids = [rng.randint(1, clients) for _ in range(n)]
        if kind == "keyed-send":  # each with a key of its own, as a client that retries would send
            return [
                (
                    "POST",
                    "/api/v1/sends",
                    {**headers, "Idempotency-Key": uuid.uuid4().hex},
                    send_body(department, i),
                )
                for i in ids
            ]
        return [("POST", "/api/v1/sends", headers, send_body(department, i)) for i in ids]
    return [("POST", "/api/v1/clients", headers, NEW_CLIENT.encode())] * n


def send_body(department_id: int, client_id: int) -> bytes:
    """bench.dispatch's single send: one client, email, a subject and a text reading the client."""
    return json.dumps(
        {
            "communicationTypeId": 1,
            "departmentId": department_id,
            "clientIds": [client_id],
            "channels": [3],
            "subject": "Hi",
            "text": "Hello {{ client.firstName }}",
        }
    ).encode()


async def add_department(app: App, auth: dict[str, str]) -> int:
    """The department the sends name (the bench database has clients only); its id."""
    headers = {**auth, "Content-Type": "application/json"}
    body = await call_json(app, "POST", "/api/v1/companies", headers, {"name": "Acme", "code": "acme"})
    department = await call_json(
        app,
        "POST",
        "/api/v1/departments",
        headers,
        {"companyId": body["id"], "name": "Sales", "code": "sales", "timeZone": "UTC"},
    )
    return int(department["id"])


async def call_json(app: App, method: str, path: str, headers: dict[str, str], data: object) -> Any:
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": json.dumps(data).encode(), "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    body = json.dumps(data).encode()
    await app(scope(method, path, headers, body), receive, send)
    return json.loads(b"".join(chunks))


class RoundTrips:
    """Counts the statements this process sends to PostgreSQL through asyncpg, by SQL text.

    Wraps asyncpg's Python-level entry points (a connection's execute/fetch family, executemany,
    prepare and COPY; a prepared statement's fetch family): each is one round trip or more.
    """

    def __init__(self) -> None:
        self.by_sql: dict[str, int] = {}
        self.on = False

    def install(self) -> None:
        import asyncpg
        from asyncpg.prepared_stmt import PreparedStatement

        def wrap(owner: type, name: str, sql_of: Callable[..., str]) -> None:
            original = getattr(owner, name)

            async def counted(*args: Any, **kwargs: Any) -> Any:
                if self.on:
                    sql = " ".join(str(sql_of(*args)).split())[:160]
                    self.by_sql[f"{name}: {sql}"] = self.by_sql.get(f"{name}: {sql}", 0) + 1
                return await original(*args, **kwargs)

            setattr(owner, name, counted)

        connection = asyncpg.connection.Connection
        for name in ("execute", "executemany", "fetch", "fetchrow", "fetchval", "prepare"):
            wrap(connection, name, lambda _self, query="", *_: query)
        wrap(connection, "copy_records_to_table", lambda _self, table="", *_: f"COPY {table}")
        for name in ("fetch", "fetchrow", "fetchval", "executemany"):
            wrap(PreparedStatement, name, lambda statement, *_: statement.get_query())

    def report(self, requests: int) -> str:
        total = sum(self.by_sql.values())
        lines = [f"{total / requests:.1f} asyncpg calls per request"]
        for sql, count in sorted(self.by_sql.items(), key=lambda kv: -kv[1]):
            lines.append(f"  {count / requests:5.2f}  {sql}")
        return "\n".join(lines)


LATENCIES: list[float] = []
"""Wall seconds of each measured request, for the tail under ``--concurrency``."""


async def block(
    app: App, requests: list[tuple[str, str, dict, bytes]], expect: int, concurrency: int = 1
) -> float:
    """CPU seconds of this process per request, over the block, ``concurrency`` requests in flight."""

    async def lane(share: list[tuple[str, str, dict, bytes]]) -> None:
        for method, path, headers, body in share:
            started = time.perf_counter()
            status = await call(app, method, path, headers, body)
            LATENCIES.append(time.perf_counter() - started)
            if status != expect:
                raise RuntimeError(f"{method} {path} answered {status}")

    start = time.process_time()
    if concurrency == 1:
        await lane(requests)
    else:
        await asyncio.gather(*(lane(requests[i::concurrency]) for i in range(concurrency)))
    return (time.process_time() - start) / len(requests)


def tail(latencies: list[float]) -> str:
    ordered = sorted(latencies)
    if not ordered:
        return ""
    p50, p99 = ordered[len(ordered) // 2], ordered[int(len(ordered) * 0.99)]
    return f"p50 {p50 * 1e3:.2f} ms, p99 {p99 * 1e3:.2f} ms ({p99 / p50:.2f}× p50)"


async def alternate(
    apps: dict[str, tuple[App, dict[str, str]]],
    kind: str,
    expect: int,
    args: argparse.Namespace,
    per_block: int,
    department: int,
    cpu: dict[str, list[float]],
    url: str,
) -> None:
    """The measured blocks, each app in turn; each block's CPU per request into ``cpu``. On
    PostgreSQL prints the database backends' CPU per request of Switchboard's."""
    waits: dict[str, list[float]] = {name: [] for name in apps}
    database_cpu = 0.0
    for _ in range(args.blocks):
        for name, (app, auth) in apps.items():
            requests = requests_for(kind, args.clients, auth, per_block, department)
            LATENCIES.clear()
            before = backend_cpu(url)
            cpu[name].append(await block(app, requests, expect, args.concurrency))
            if name == "switchboard":
                database_cpu += backend_cpu(url) - before
            waits[name].extend(LATENCIES)
    if url.startswith("postgresql"):
        print(
            f"{kind}: PostgreSQL backends {database_cpu / (args.blocks * per_block) * 1e6:.0f} µs "
            "CPU/request (Switchboard's; 10 ms clock ticks)",
            flush=True,
        )
    if args.concurrency > 1:
        for name, latencies in waits.items():
            print(f"{args.database} {kind} {name}: {tail(latencies)}", flush=True)


def backend_cpu(url: str) -> float:
    """CPU seconds so far of the PostgreSQL backends serving ``url``'s database (Linux /proc; the
    server runs on this machine), 0 where they cannot be read. On a two-core machine the database's
    CPU per request limits throughput as much as the server's."""
    database = url.rsplit("/", 1)[-1]
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in os.listdir("/proc") if os.path.isdir("/proc") else ():
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                command = f.read().split(b"\0")[0].decode(errors="replace")
            if not command.startswith("postgres: ") or f" {database} " not in command:
                continue
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except OSError:
            continue
    return total / ticks


def by_module(stats: pstats.Stats, requests: int) -> str:
    """Python calls and CPU per request, by the module they are in: a steady measure under load."""
    calls: dict[str, list[float]] = {}
    for (path, _, _), (primitive, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        module = path.split("site-packages/")[-1].split(str(ROOT) + "/")[-1]
        module = "/".join(module.split("/")[:2]) if "site-packages" in path else module
        entry = calls.setdefault(module, [0, 0.0])
        entry[0] += primitive
        entry[1] += tottime
    total = sum(c for c, _ in calls.values())
    lines = [f"{total / requests:.0f} calls per request"]
    for module, (count, cpu) in sorted(calls.items(), key=lambda kv: -kv[1][0])[:40]:
        lines.append(f"  {count / requests:6.1f} calls {cpu / requests * 1e6:6.1f} µs  {module}")
    return "\n".join(lines)


def load_app(module: str, env: dict[str, str]) -> App:
    os.environ.update(env)
    return importlib.import_module(module).app  # type: ignore[no-any-return]


async def run(args: argparse.Namespace, url: str) -> None:
    ours = load_app(
        "entrypoints.asgi",
        {
            "DATABASE_URL": url,
            "ADMIN_PASSWORD": "admin",
            "IN_PROCESS_WORKER": os.environ.get("IN_PROCESS_WORKER", "0"),
        },
    )
    ceiling = load_app("bench.ceiling_db", {"CEILING_DATABASE_URL": url})
    apps = {"switchboard": (ours, ADMIN), "ceiling": (ceiling, {})}
    trips = RoundTrips()
    if args.round_trips:
        trips.install()
    lifespans = [Lifespan(app) for app, _ in apps.values()]
    for lifespan in lifespans:
        await lifespan.start()
    try:
        per_block = max(50, args.requests // args.blocks)
        kinds = [(k, EXPECTED[k]) for k in args.kinds.split(",")]
        department = await add_department(ours, ADMIN) if "send" in args.kinds else 0
        for kind, expect in kinds:
            if kind.endswith("send") and "ceiling" in apps:
                del apps["ceiling"]  # the ceiling has no send
            cpu: dict[str, list[float]] = {name: [] for name in apps}
            for app, auth in apps.values():  # warm-up: caches, prepared statements, pools
                await block(app, requests_for(kind, args.clients, auth, 100, department), expect)
            await alternate(apps, kind, expect, args, per_block, department, cpu, url)
            ours_us = statistics.median(cpu["switchboard"]) * 1e6
            if "ceiling" in cpu:
                ceiling_us = statistics.median(cpu["ceiling"]) * 1e6
                print(
                    f"{args.database} {kind}: Switchboard {ours_us:.0f} µs CPU/request, "
                    f"ceiling {ceiling_us:.0f} µs; "
                    f"ratio (ceiling/ours) {ceiling_us / ours_us:.2f}",
                    flush=True,
                )
            else:
                spread = sorted(cpu["switchboard"])
                print(
                    f"{args.database} {kind}: Switchboard {ours_us:.0f} µs CPU/request "
                    f"(blocks {spread[0] * 1e6:.0f}–{spread[-1] * 1e6:.0f})",
                    flush=True,
                )
            if args.round_trips and args.database == "postgres":
                trips.on = True
                await block(ours, requests_for(kind, args.clients, ADMIN, 100, department), expect)
                trips.on = False
                print(f"{kind}: " + trips.report(100), flush=True)
                trips.by_sql.clear()
            if args.profile == kind:
                profiler = cProfile.Profile(time.process_time)
                profiler.enable()
                app, auth = apps[args.profile_app]
                requests = requests_for(kind, args.clients, auth, per_block, department)
                await block(app, requests, expect, args.concurrency)
                profiler.disable()
                if args.dump:
                    profiler.dump_stats(args.dump)
                out = io.StringIO()
                stats = pstats.Stats(profiler, stream=out)
                stats.sort_stats(args.sort).print_stats(args.lines)
                print(out.getvalue())
                print(by_module(stats, per_block))
                if args.callers:
                    stats.print_callers(args.callers)
                    print(out.getvalue()[-6000:])
    finally:
        for lifespan in lifespans:
            await lifespan.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--clients", type=int, default=2_000)
    parser.add_argument("--requests", type=int, default=2_000, help="per app and kind, over all blocks")
    parser.add_argument("--blocks", type=int, default=10, help="alternating blocks per app")
    parser.add_argument(
        "--kinds", default="read,write", help="comma-separated: read, write, send, keyed-send"
    )
    parser.add_argument(
        "--concurrency", type=int, default=1, help="requests in flight at once (the tail is printed)"
    )
    parser.add_argument("--core", type=int, help="keep this process (and its threads) to one core")
    parser.add_argument("--round-trips", action="store_true", help="count asyncpg calls per request")
    parser.add_argument("--profile", choices=["read", "write", "send", "keyed-send"])
    parser.add_argument("--profile-app", choices=["switchboard", "ceiling"], default="switchboard")
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--callers", help="also print who calls functions matching this")
    parser.add_argument("--lines", type=int, default=45)
    parser.add_argument("--dump", help="also write the profile's stats to this file (for pstats)")
    args = parser.parse_args()
    url = prepare_database(args.database, args.clients)
    if args.core is not None:
        os.sched_setaffinity(0, {args.core})  # as bench.api runs its servers: one core, threads included
    import uvloop

    uvloop.run(run(args, url))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
