"""Issue 4's list benchmark: the filtered communications list on a year of realistic history.

    .venv/bin/python -m bench.communications --database postgres|sqlite [--count 1000000]
        [--samples 300] [--reuse] [--record]

Seeds 100k clients and N communications (bench/history.py), then calls the list use case in
process — the code path the API takes, with a real unit of work on the real database — for two
query shapes with parameters drawn from the seeded world: one client over a random 3-month
period, and one status of one department over a random month. 50-row pages, newest first, with
the total count as the API gives it by default; then the same without the count, and the next
page by cursor. Prints latency percentiles per form; --record appends them to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import random
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from adapters.sqlalchemy.communications import communications as communications_table
from adapters.sqlalchemy.engine import create_engine
from adapters.sqlalchemy.migrate import upgrade
from application.communications.listing import CommunicationFilter, PageRequest
from application.communications.recording import Communications
from bench.history import World, year_end
from bench.seed_history import load_world, seed
from bench.servers import ROOT
from domain.communications import LifecycleStatus
from entrypoints.container import build_container
from entrypoints.settings import Settings

CLIENTS = 100_000
PAGE = 50
TARGET_P50, TARGET_P99 = 15.0, 50.0
WARMUP = 40
DATA = ROOT / "bench" / "data"
SEEDED_STATUSES = (LifecycleStatus.DONE, LifecycleStatus.FAILED, LifecycleStatus.CANCELLED)


# -- the database ------------------------------------------------------------------------------


def database_url(kind: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{DATA / 'history.db'}"
    server = os.environ.get("BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
    # BENCH_DATABASE names your own database on a shared server: this one is dropped and reseeded.
    return f"{server}/{os.environ.get('BENCH_DATABASE', 'switchboard_bench_history')}"


def prepare(kind: str, count: int, reuse: bool) -> tuple[str, float]:
    """The database's URL and how long seeding took (now, or when it was seeded, if reused)."""
    url = database_url(kind)
    marker = DATA / f"history-{kind}.json"
    if reuse and marker.exists():
        seeded = json.loads(marker.read_text())
        if seeded["count"] == count and asyncio.run(_stored(url)) == count:
            print(f"reusing {count:,} communications on {kind}")
            return url, float(seeded["seconds"])
    DATA.mkdir(parents=True, exist_ok=True)
    marker.unlink(missing_ok=True)
    if kind == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{DATA / 'history.db'}{suffix}").unlink(missing_ok=True)
    else:
        asyncio.run(_recreate_postgres(url))
    upgrade(url)
    asyncio.run(build_container(Settings(database_url=url)).use_cases.bootstrap()(None))
    started = time.perf_counter()
    asyncio.run(seed(url, clients=CLIENTS, count=count))
    if kind == "postgres":
        # A table at rest has been vacuumed by autovacuum: its visibility map lets counts read
        # the index alone. Run it now rather than wait for the daemon.
        asyncio.run(_vacuum(url))
    seconds = time.perf_counter() - started
    print(f"seeded {CLIENTS:,} clients and {count:,} communications in {seconds:.0f} s")
    marker.write_text(json.dumps({"count": count, "seconds": seconds}))
    return url, seconds


async def _stored(url: str) -> int:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            statement = sa.select(sa.func.count()).select_from(communications_table)
            return int((await connection.execute(statement)).scalar_one())
    except sa.exc.DBAPIError:
        return -1
    finally:
        await engine.dispose()


async def _recreate_postgres(url: str) -> None:
    import asyncpg

    server, name = url.rsplit("/", 1)
    connection = await asyncpg.connect(f"{server}/postgres")
    await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await connection.execute(f'CREATE DATABASE "{name}"')
    await connection.close()


async def _vacuum(url: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url)
    await connection.execute("VACUUM ANALYZE")
    await connection.close()


async def _server_version(url: str) -> str:
    if url.startswith("sqlite"):
        return f"SQLite {sqlite3.sqlite_version}"
    engine = create_engine(url)
    async with engine.connect() as connection:
        version = (await connection.execute(sa.text("SHOW server_version"))).scalar_one()
    await engine.dispose()
    return f"PostgreSQL {str(version).split()[0]}"


# -- the measurement ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    shape: str
    form: str
    latencies: list[float]  # ms, sorted
    rows: float  # on average per page

    def percentile(self, p: float) -> float:
        return self.latencies[max(0, math.ceil(p * len(self.latencies)) - 1)]


def client_period(world: World, rng: random.Random) -> CommunicationFilter:
    start = _day(rng, 91)
    return CommunicationFilter(
        client_id=rng.choice(world.client_ids), created_from=start, created_to=start + timedelta(days=91)
    )


def status_department_period(world: World, rng: random.Random) -> CommunicationFilter:
    start = _day(rng, 30)
    return CommunicationFilter(
        statuses=(rng.choice(SEEDED_STATUSES),),
        department_id=rng.choice(world.department_ids),
        created_from=start,
        created_to=start + timedelta(days=30),
    )


def _day(rng: random.Random, length: int) -> datetime:
    """Midnight of a random day such that a period of ``length`` days stays in the seeded year."""
    first = year_end() - timedelta(days=365)
    return first + timedelta(days=rng.randrange(365 - length + 1))


SHAPES: dict[str, Callable[[World, random.Random], CommunicationFilter]] = {
    "client + 3 months": client_period,
    "status + department + month": status_department_period,
}
FIRST_PAGE = PageRequest(limit=PAGE)  # newest first, with the total: the API's defaults
FORMS = {
    "first page, with total": FIRST_PAGE,
    "first page, withTotal=false": replace(FIRST_PAGE, with_total=False),
    "next page by cursor, withTotal=false": replace(FIRST_PAGE, with_total=False),
}


async def measure(url: str, world: World, samples: int) -> list[Figures]:
    container = build_container(Settings(database_url=url))
    use_case: Communications = container.use_cases.communications()
    figures = []
    try:
        for shape, draw in SHAPES.items():
            warm = random.Random(99)
            for _ in range(WARMUP):
                await use_case.find(draw(world, warm), FIRST_PAGE)
            for form, page in FORMS.items():
                rng = random.Random(shape)  # the same parameters for every form of a shape
                latencies, rows = [], 0
                for _ in range(samples):
                    filters, request = draw(world, rng), page
                    if form.startswith("next page"):
                        cursor = (await use_case.find(filters, page)).next_cursor
                        if cursor is None:
                            continue  # one page holds them all: there is no next page to time
                        request = replace(page, cursor=cursor)
                    started = time.perf_counter()
                    found = await use_case.find(filters, request)
                    latencies.append((time.perf_counter() - started) * 1000)
                    rows += len(found.items)
                if latencies:
                    figures.append(Figures(shape, form, sorted(latencies), rows / len(latencies)))
    finally:
        await container.storage.engine().dispose()
    return figures


# -- the report --------------------------------------------------------------------------------


def table(figures: list[Figures]) -> list[str]:
    lines = [
        "| query | form | calls | rows/page | p50 ms | p95 ms | p99 ms | max ms | p50 < 15, p99 < 50 |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for f in figures:
        p50, p99 = f.percentile(0.5), f.percentile(0.99)
        met = "met" if p50 < TARGET_P50 and p99 < TARGET_P99 else "**missed**"
        lines.append(
            f"| {f.shape} | {f.form} | {len(f.latencies)} | {f.rows:.1f} | {p50:.1f} | "
            f"{f.percentile(0.95):.1f} | {p99:.1f} | {f.latencies[-1]:.1f} | {met} |"
        )
    return lines


def machine() -> str:
    memory = next(
        (
            line.split()[1]
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        "0",
    )
    load = os.getloadavg()[0]  # the machine may be shared: say how busy it was
    return (
        f"{os.cpu_count()} cores (load average {load:.1f}), {int(memory) / 2**20:.0f} GiB memory, "
        f"Python {platform.python_version()}"
    )


def report(args: argparse.Namespace, url: str, seeding: float, host: str, figures: list[Figures]) -> str:
    command = (
        f"python -m bench.communications --database {args.database} --count {args.count} "
        f"--samples {args.samples}"
    )
    vacuumed = " and vacuumed (VACUUM ANALYZE)" if args.database == "postgres" else ""
    return "\n".join(
        [
            f"### Communications list on {args.database}, {args.count:,} communications — "
            f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            "",
            f"`{command}{' --reuse' if args.reuse else ''}` on {platform.node() or 'this machine'}: "
            f"{host}, {asyncio.run(_server_version(url))}. "
            f"Data: {CLIENTS:,} clients, {args.count:,} communications over a year, 20 departments; "
            f"seeded{vacuumed} in {seeding:.0f} s. In-process calls of the list use case "
            f"(unit of work on the real database), 50-row pages newest first, "
            f"{WARMUP} warm-up calls per query, the same random parameters for every form.",
            "",
            *table(figures),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--reuse", action="store_true", help="keep a database seeded with --count before")
    parser.add_argument("--record", action="store_true", help="append the table to bench/RESULTS.md")
    args = parser.parse_args()

    url, seeding = prepare(args.database, args.count, args.reuse)
    world = asyncio.run(_world(url))
    host = machine()  # before measuring, so the load average is the others' work
    figures = asyncio.run(measure(url, world, args.samples))
    text = report(args, url, seeding, host, figures)
    print(text)
    if args.record:
        results = ROOT / "bench" / "RESULTS.md"
        if not results.exists():
            results.write_text("# Benchmark results\n\nEach section is appended by the benchmark it names.\n")
        with results.open("a") as out:
            out.write("\n" + text + "\n")


async def _world(url: str) -> World:
    engine = create_engine(url)
    async with engine.connect() as connection:
        world = await load_world(connection)
    await engine.dispose()
    return world


if __name__ == "__main__":
    main()
