"""Statistics from the counters against the raw GROUP BY over the history, in the same run.

    python -m bench.stats_speed [--database postgres|sqlite] [--count 1000000] [--clients 100000]
        [--samples 20] [--send-clients 10000] [--reuse]

The issue's size: --count 10000000 --clients 1000000 (PostgreSQL), --count 1000000 (SQLite).

Seeds a database named after the size with the bench history, generated in SQL by the database
itself (bench/seed_bulk.py, bypassing the counters as a bulk load would), runs the rebuild, then
times the read model's answers: everybody over a period, a group of 10,000 clients, one client;
beside the GROUP BY over ``communications`` that each replaces. ``--reuse`` keeps the seeded
database between runs (PostgreSQL ``statsspeed_bench_<count>_<clients>``, or BENCH_DATABASE,
SQLite a file under /tmp) and skips the seeding and the rebuild when it is there; without it the
database is seeded afresh and dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import time as clock
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from adapters.sqlalchemy.communications import communications
from adapters.sqlalchemy.engine import create_engine
from adapters.sqlalchemy.migrate import upgrade
from adapters.sqlalchemy.tables import client_group_members, client_groups
from adapters.sqlalchemy.unit_of_work import SqlUnitOfWorkFactory
from application.decisions.ports import StatsScope
from application.decisions.recommend import AudienceRequest, decide_for_audience
from bench.seed_bulk import seed
from domain.decisions import DecisionSettings
from entrypoints.container import build_container
from entrypoints.settings import Settings

PERIOD = (date(2026, 8, 1), date(2026, 10, 31))
GROUP = 10_000


async def _timed(samples: int, call: Callable[[], Awaitable[Any]]) -> float:
    await call()
    runs = []
    for _ in range(samples):
        started = clock.perf_counter()
        await call()
        runs.append((clock.perf_counter() - started) * 1000)
    return statistics.median(runs)


async def prepare(url: str, clients: int, count: int) -> tuple[float, float]:
    """Seeds the history and the group, rebuilds the counters; seconds of the seeding and the rebuild."""
    await asyncio.to_thread(upgrade, url)
    await build_container(Settings(database_url=url)).use_cases.bootstrap()(None)
    started = clock.perf_counter()
    await seed(url, clients=clients, count=count)
    seeding = clock.perf_counter() - started
    engine = create_engine(url)
    factory = SqlUnitOfWorkFactory(engine)
    started = clock.perf_counter()
    async with factory() as uow:
        await uow.stats.rebuild()
        await uow.commit()
    rebuild = clock.perf_counter() - started
    step = max(1, clients // GROUP)  # members spread over the clients, as a real segment is
    async with engine.begin() as connection:
        stamp = {"create_time": sa.func.now(), "update_time": sa.func.now()}
        group = (
            await connection.execute(
                client_groups.insert().values(name="bench", **stamp).returning(client_groups.c.id)
            )
        ).scalar_one()
        await connection.execute(
            client_group_members.insert(),
            [{"group_id": group, "client_id": i * step} for i in range(1, min(GROUP, clients) + 1)],
        )
    async with engine.connect() as opened:  # VACUUM runs outside a transaction
        connection = await opened.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(
            sa.text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE")
        )
    await engine.dispose()
    return seeding, rebuild


async def measure(
    url: str, samples: int, send_clients: int
) -> tuple[list[tuple[str, float, float]], tuple[int, float]]:
    engine = create_engine(url)
    factory = SqlUnitOfWorkFactory(engine)
    async with engine.connect() as connection:
        group = (
            await connection.execute(sa.select(client_groups.c.id).where(client_groups.c.name == "bench"))
        ).scalar_one()
    c = communications.c
    success = sa.func.sum(sa.case((c.status == "done", 1), else_=0))
    hour = sa.extract("hour", c.started_at)
    raw_base = sa.select(c.channel_id, sa.extract("dow", c.started_at), hour, sa.func.count(), success)

    async def model(scope: StatsScope) -> Any:
        async with factory(read_only=True) as uow:
            return await uow.stats.slot_counts(scope)

    async def raw(*where: Any) -> Any:
        async with engine.connect() as connection:
            statement = raw_base.where(*where).group_by(c.channel_id, sa.text("2"), sa.text("3"))
            return (await connection.execute(statement)).all()

    since, until = PERIOD
    first, after = (datetime.combine(d, time(), UTC) for d in (since, until + timedelta(days=1)))
    members = sa.select(client_group_members.c.client_id).where(client_group_members.c.group_id == group)
    cases = [
        (
            "everybody, a 3-month period",
            lambda: model(StatsScope(since=since, until=until)),
            lambda: raw(c.started_at >= first, c.started_at < after),
        ),
        ("everybody, all time", lambda: model(StatsScope()), raw),
        (
            f"a group of {GROUP:,} clients",
            lambda: model(StatsScope(group_ids=(group,))),
            lambda: raw(c.client_id.in_(members)),
        ),
        (
            f"a group of {GROUP:,} clients, the period",
            lambda: model(StatsScope(group_ids=(group,), since=since, until=until)),
            lambda: raw(c.client_id.in_(members), c.started_at >= first, c.started_at < after),
        ),
        ("one client", lambda: model(StatsScope(client_id=4242)), lambda: raw(c.client_id == 4242)),
        (
            "one client, the period",
            lambda: model(StatsScope(client_id=4242, since=since, until=until)),
            lambda: raw(c.client_id == 4242, c.started_at >= first, c.started_at < after),
        ),
    ]
    figures = [
        (name, await _timed(samples, fast), await _timed(max(3, samples // 5), slow))
        for name, fast, slow in cases
    ]
    decided = await _auto(factory, send_clients) if send_clients else (0, 0.0)
    await engine.dispose()
    return figures, decided


async def _auto(factory: SqlUnitOfWorkFactory, count: int) -> tuple[int, float]:
    """Seconds to decide channel and time for a send to ``count`` clients (decide_for_audience)."""
    now = datetime.now(UTC)
    async with factory(read_only=True) as uow:
        department = await uow.departments.get(1)
        assert department is not None
        ids = list(range(1, count + 1))
        found: dict[int, Any] = {}
        for start in range(0, count, 5_000):
            found.update(await uow.clients.get_many(ids[start : start + 5_000]))
        started, cpu = clock.perf_counter(), clock.process_time()
        known: dict[int, Any] = {}
        for start in range(0, count, 5_000):  # under the drivers' bound-parameter limits
            known.update(await uow.sends.facts(ids[start : start + 5_000], now))
        facts_read = clock.perf_counter() - started
        decided = await decide_for_audience(
            uow,
            AudienceRequest(
                type_id=1,
                department=department,
                clients=found,
                blocks={i: f.blocks for i, f in known.items()},
                bookings={i: f.bookings for i, f in known.items()},
                last_sent={i: f.last_sent_at for i, f in known.items()},
                seed_key="bench",
            ),
            now=now,
            settings=DecisionSettings(exploration_share=0.1, holdout_share=0.05),
        )
        seconds = clock.perf_counter() - started
        # This process's CPU time beside the wall clock: on a loaded machine the wall clock
        # mostly measures the wait for a core.
        print(
            f"auto: {count:,} clients' send facts read in {facts_read:.2f} s of {seconds:.2f} s "
            f"({clock.process_time() - cpu:.2f} s of this process's CPU; load {os.getloadavg()[0]:.1f})"
        )
        return len(decided), seconds


def _postgres(name: str, reuse: bool) -> tuple[str, bool, Callable[[], None]]:
    """The bench database's URL, whether it holds a seeded run already, and how to drop it."""
    admin = make_url(os.environ.get("BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"))
    dsn = admin.set(drivername="postgresql").render_as_string(hide_password=False)

    async def run(sql: str) -> Any:
        connection = await asyncpg.connect(dsn)
        try:
            return await connection.fetchval(sql)
        finally:
            await connection.close()

    exists = asyncio.run(run(f"SELECT count(*) FROM pg_database WHERE datname = '{name}'"))
    url = admin.set(database=name).render_as_string(hide_password=False)
    if exists and not reuse:
        asyncio.run(run(f'DROP DATABASE "{name}" WITH (FORCE)'))
    if not exists or not reuse:
        asyncio.run(run(f'CREATE DATABASE "{name}"'))
    seeded = bool(exists and reuse) and asyncio.run(_seeded(url))
    return url, seeded, lambda: asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _sqlite(name: str, reuse: bool) -> tuple[str, bool, Callable[[], None]]:
    path = Path("/tmp") / f"{name}.db"
    if path.exists() and not reuse:
        path.unlink()
    url = f"sqlite:///{path}"
    seeded = reuse and path.exists() and asyncio.run(_seeded(url))
    return url, seeded, lambda: path.unlink(missing_ok=True)


async def _seeded(url: str) -> bool:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            found = await connection.execute(
                sa.select(client_groups.c.id).where(client_groups.c.name == "bench")
            )
            return found.first() is not None
    except sa.exc.DBAPIError:  # not migrated yet
        return False
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument(
        "--send-clients", type=int, default=0, help="audience of the auto decisions (0: none)"
    )
    parser.add_argument("--reuse", action="store_true", help="keep the seeded database for the next run")
    args = parser.parse_args()
    # BENCH_DATABASE names your own database on a shared server.
    name = os.environ.get("BENCH_DATABASE") or f"statsspeed_bench_{args.count}_{args.clients}"
    url, seeded, drop = (_postgres if args.database == "postgres" else _sqlite)(name, args.reuse)
    before = os.getloadavg()[0]
    seeding = rebuild = None
    try:
        if not seeded:
            seeding, rebuild = asyncio.run(prepare(url, args.clients, args.count))
        figures, (decided, seconds) = asyncio.run(measure(url, args.samples, args.send_clients))
    finally:
        if not args.reuse:
            drop()
    load = os.getloadavg()[0]
    prepared = (
        f"Seeded {args.count:,} communications and {args.clients:,} clients in {seeding:.0f} s; "
        f"rebuild-stats took {rebuild:.0f} s."
        if seeding is not None and rebuild is not None
        else "Reused the seeded database of an earlier run."
    )
    print(
        f"`python -m bench.stats_speed --database {args.database} --count {args.count} "
        f"--clients {args.clients} "
        f"--samples {args.samples}` on {platform.node()}: {os.cpu_count()} cores "
        f"(load average {before:.1f} at the start of the measurement, {load:.1f} at the end; shared "
        f"with other engineers' runs). {prepared}\n"
    )
    print("| scope | counters p50 ms | raw GROUP BY p50 ms |")
    print("|---|---:|---:|")
    for name, fast, slow in figures:
        print(f"| {name} | {fast:.1f} | {slow:.1f} |")
    if decided:
        print(
            "\nauto decisions (channel and time, 10 % explored, 5 % held out) "
            f"for a send to {decided:,} clients: {seconds:.1f} s"
        )


if __name__ == "__main__":
    main()
