"""Issue 3's API benchmark: Switchboard's client routes against the framework's own ceiling.

    .venv/bin/python -m bench.api [--database postgres|sqlite] [--clients 100000] [--seconds 10]

Seeds a database with N clients, starts Switchboard (one process, core 1) and a bare Litestar app
returning the same JSON from memory (core 1, one after the other), and drives each with the same
closed-loop load generator (core 0) at 64 connections: GET /api/v1/clients/{id} on random ids, and
POST /api/v1/clients. Prints a Markdown table; --record appends it to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import platform
import random
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
        _recreate_postgres_database(server, "switchboard_bench")
        url = f"{server}/switchboard_bench"
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


def measure(port: int, requests: list[bytes], *, expect: int, seconds: float) -> loadgen.Result:
    import uvloop

    return uvloop.run(
        loadgen.run(
            "127.0.0.1", port, loadgen.cycle(requests), connections=64, seconds=seconds, expect=expect
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--record", action="store_true", help="append the table to bench/RESULTS.md")
    args = parser.parse_args()

    os.sched_setaffinity(0, {0})  # the load generator keeps to core 0; servers get core 1
    url = prepare_database(args.database, args.clients)
    env = {"DATABASE_URL": url, "LOG_LEVEL": "WARNING", "ADMIN_PASSWORD": "admin", **pool_env()}
    results: dict[str, dict[str, loadgen.Result]] = {}
    with uvicorn("entrypoints.asgi:app", env, core=1) as port:
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/clients/1", headers=ADMIN)
        payload = urllib.request.urlopen(request).read().decode()
        for name, (requests, expect) in scenarios(port, args.clients, ADMIN).items():
            results.setdefault(name, {})["switchboard"] = measure(
                port, requests, expect=expect, seconds=args.seconds
            )
    with uvicorn("bench.ceiling:app", {"CEILING_PAYLOAD": payload}, core=1) as port:
        for name, (requests, expect) in scenarios(port, args.clients, {}).items():
            results[name]["ceiling"] = measure(port, requests, expect=expect, seconds=args.seconds)
    table = report(results, args)
    print(table)
    if args.record:
        with (ROOT / "bench" / "RESULTS.md").open("a") as out:
            out.write("\n" + table + "\n")


def report(results: dict[str, dict[str, loadgen.Result]], args: argparse.Namespace) -> str:
    targets = {"read": 0.5, "write": 0.3}
    lines = [
        f"### API: clients on {args.database}, {args.clients:,} clients — {datetime.now(UTC):%Y-%m-%d}",
        "",
        f"`python -m bench.api --database {args.database} --clients {args.clients} "
        f"--seconds {args.seconds:g}` on "
        f"{platform.node() or 'this machine'}: {os.cpu_count()} cores, Python {platform.python_version()}, "
        "64 connections, server on core 1, load generator on core 0.",
        "",
        "| route | Switchboard rps | ceiling rps | ratio | target | p50 ms | p99 ms | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    routes = {"read": "GET /api/v1/clients/{id}", "write": "POST /api/v1/clients"}
    for name, by_server in results.items():
        ours, ceiling = by_server["switchboard"], by_server["ceiling"]
        ratio = ours.rps / ceiling.rps
        lines.append(
            f"| {routes[name]} | {ours.rps:,.0f} | {ceiling.rps:,.0f} | {ratio:.2f} | ≥ {targets[name]} | "
            f"{ours.p50:.1f} | {ours.p99:.1f} | {ours.errors} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
