"""Issue 3's API benchmark: Switchboard's client routes against the framework's own ceiling.

    .venv/bin/python -m bench.api [--database postgres|sqlite] [--clients 100000] [--seconds 10] [--runs 3]
                                  [--warmup 2] [--record]

Seeds a database with N clients, then measures three servers, one at a time on core 1, with the
same closed-loop load generator (core 0) at 64 connections: GET /api/v1/clients/{id} on random ids,
and POST /api/v1/clients. The servers: Switchboard; the database ceiling (bench/ceiling_db.py: bare
Litestar over the raw driver running the same SELECT and INSERT); the memory ceiling
(bench/ceiling.py: bare Litestar answering the same JSON from memory). Rounds over the three repeat
(--runs), in alternating order (A B C, C B A, ...) so that load drift on a shared machine falls on
all of them alike, and medians are reported. Each scenario first runs --warmup seconds unmeasured
(pools filled, statements prepared, credentials cached). Prints a Markdown table and a one-line
summary; --record appends both to bench/RESULTS.md. For a quick look: --clients 10000 --seconds 3.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import platform
import random
import statistics
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from adapters.sqlalchemy.migrate import upgrade
from bench import loadgen
from bench.seed_clients import seed
from bench.servers import ROOT, uvicorn

ADMIN = {"Authorization": "Basic " + base64.b64encode(b"Admin:admin").decode()}
NEW_CLIENT = json.dumps(
    {"firstName": "Michael", "lastName": "Jordan", "phones": [], "email": "mj@example.com"}
)


def pool_env() -> dict[str, str]:
    size = os.environ.get("DATABASE_POOL_SIZE")
    return {"DATABASE_POOL_SIZE": size} if size else {}


def prepare_database(kind: str, clients: int) -> str:
    if kind == "sqlite":
        path = ROOT / "bench" / "data" / "api.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        server = os.environ.get("BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
        name = os.environ.get("BENCH_DATABASE", "switchboard_bench")  # your own on a shared server
        _recreate_postgres_database(server, name)
        url = f"{server}/{name}"
    upgrade(url)
    asyncio.run(seed(url, clients))
    return url


def _recreate_postgres_database(server: str, name: str) -> None:
    import asyncpg

    async def run() -> None:
        connection = await asyncpg.connect(f"{server}/postgres")
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
        await connection.close()

    asyncio.run(run())


def measure(
    port: int, requests: list[bytes], *, expect: int, seconds: float, warmup: float
) -> loadgen.Result:
    import uvloop

    return uvloop.run(
        loadgen.run(
            "127.0.0.1",
            port,
            loadgen.cycle(requests),
            connections=64,
            seconds=seconds,
            warmup=warmup,
            expect=expect,
        )
    )


def scenarios(port: int, clients: int, auth: dict[str, str]) -> dict[str, tuple[list[bytes], int]]:
    rng = random.Random(1)
    host = f"127.0.0.1:{port}"
    reads = [
        loadgen.request_bytes("GET", f"/api/v1/clients/{rng.randint(1, clients)}", host, auth)
        for _ in range(5_000)
    ]
    write = loadgen.request_bytes(
        "POST", "/api/v1/clients", host, {**auth, "Content-Type": "application/json"}, NEW_CLIENT.encode()
    )
    return {"read": (reads, 200), "write": ([write], 201)}


SERVERS = ("switchboard", "database ceiling", "memory ceiling")


def run_server(server: str, url: str, payload: str, args: argparse.Namespace) -> dict[str, loadgen.Result]:
    """One server up, each scenario measured once, server down."""
    env = {"LOG_LEVEL": "WARNING", **pool_env()}
    if server == "switchboard":
        app, auth = "entrypoints.asgi:app", ADMIN
        env = {**env, "DATABASE_URL": url, "ADMIN_PASSWORD": "admin"}
    elif server == "database ceiling":
        app, env, auth = "bench.ceiling_db:app", {**env, "CEILING_DATABASE_URL": url}, {}
    else:
        app, env, auth = "bench.ceiling:app", {**env, "CEILING_PAYLOAD": payload}, {}
    with uvicorn(app, env, core=1) as port:
        return {
            name: measure(port, requests, expect=expect, seconds=args.seconds, warmup=args.warmup)
            for name, (requests, expect) in scenarios(port, args.clients, auth).items()
        }


def first_client(url: str) -> str:
    """Switchboard's answer for client 1: the payload the memory ceiling returns."""
    env = {"DATABASE_URL": url, "LOG_LEVEL": "WARNING", "ADMIN_PASSWORD": "admin"}
    with uvicorn("entrypoints.asgi:app", env, core=1) as port:
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/clients/1", headers=ADMIN)
        return urllib.request.urlopen(request).read().decode()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--runs", type=int, default=3, help="rounds over the three servers; medians reported")
    parser.add_argument("--warmup", type=float, default=2, help="unmeasured seconds before each scenario")
    parser.add_argument("--record", action="store_true", help="append the table to bench/RESULTS.md")
    args = parser.parse_args()

    os.sched_setaffinity(0, {0})  # the load generator keeps to core 0; servers get core 1
    url = prepare_database(args.database, args.clients)
    payload = first_client(url)
    # Rounds interleave the servers, in alternating order, so a neighbour's burst on this shared
    # machine (or a slow drift of its load) hits all three alike.
    rounds = []
    for n in range(args.runs):
        order = SERVERS if n % 2 == 0 else tuple(reversed(SERVERS))
        rounds.append({s: run_server(s, url, payload, args) for s in order})
    table = report(rounds, args)
    print(table)
    if args.record:
        with (ROOT / "bench" / "RESULTS.md").open("a") as out:
            out.write("\n" + table + "\n")


def report(rounds: list[dict[str, dict[str, loadgen.Result]]], args: argparse.Namespace) -> str:
    targets = {"read": 0.7, "write": 0.5}
    lines = [
        f"### API: clients on {args.database}, {args.clients:,} clients — "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"`python -m bench.api --database {args.database} --clients {args.clients} "
        f"--seconds {args.seconds:g} --runs {args.runs} --warmup {args.warmup:g}` on {machine()}; "
        "64 connections, servers on core 1 one at a time, load generator on core 0. "
        f"Medians of {args.runs} interleaved rounds (order alternating).",
        "",
        "| route | Switchboard rps | DB ceiling rps | ratio (target) | memory ceiling rps | ratio "
        "| p99 ms: ours / DB ceiling | p99 ratio (≤ 1.5) | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    routes = {"read": "GET /api/v1/clients/{id}", "write": "POST /api/v1/clients"}
    summary: list[str] = []
    for name, route in routes.items():
        rps = {s: statistics.median([r[s][name].rps for r in rounds]) for s in SERVERS}
        p99 = {s: statistics.median([r[s][name].p99 for r in rounds]) for s in SERVERS}
        errors = sum(r[s][name].errors for r in rounds for s in SERVERS)
        ours, db, memory = rps["switchboard"], rps["database ceiling"], rps["memory ceiling"]
        ratio, p99_ratio = ours / db, p99["switchboard"] / p99["database ceiling"]
        met = "met" if ratio >= targets[name] and p99_ratio <= 1.5 else "not met"
        summary.append(
            f"{name} {ratio:.2f} of the DB ceiling (≥ {targets[name]}), p99 {p99_ratio:.2f}× (≤ 1.5): {met}"
        )
        lines.append(
            f"| {route} | {ours:,.0f} | {db:,.0f} | {ratio:.2f} (≥ {targets[name]}: {met}) | "
            f"{memory:,.0f} | {ours / memory:.2f} | "
            f"{p99['switchboard']:.1f} / {p99['database ceiling']:.1f} | {p99_ratio:.2f} | {errors} |"
        )
    each = "; ".join(
        f"{name} {server} " + " / ".join(f"{r[server][name].rps:,.0f}" for r in rounds)
        for name in routes
        for server in SERVERS
    )
    lines += [
        "",
        f"Each round's rps: {each}.",
        "",
        f"**Summary, {args.database}:** " + "; ".join(summary) + ".",
    ]
    return "\n".join(lines)


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{platform.node() or 'this machine'} ({os.cpu_count()} cores, {model}; load average {load} "
        f"at the end, the machine shared with other engineers' test runs), Python {platform.python_version()}"
    )


if __name__ == "__main__":
    main()
