"""Statistics from the counters against the raw GROUP BY over the history, in the same run.

    python -m bench.stats_speed [--count 1000000] [--clients 100000] [--samples 20] [--send-clients 10000]

The issue's size: --count 10000000 --clients 1000000 --send-clients 100000.

Seeds PostgreSQL with the bench history (COPY, bypassing the counters, as a bulk load would), runs
the rebuild, then times the read model's answers: everybody over a period, a group of 10,000
clients, one client; beside the GROUP BY over ``communications`` that each replaces.
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
from typing import Any

import sqlalchemy as sa

from adapters.sqlalchemy.communications import communications
from adapters.sqlalchemy.engine import create_engine
from adapters.sqlalchemy.migrate import upgrade
from adapters.sqlalchemy.tables import client_group_members, client_groups
from adapters.sqlalchemy.unit_of_work import SqlUnitOfWorkFactory
from application.decisions.ports import StatsScope
from application.decisions.recommend import AudienceRequest, decide_for_audience
from bench.seed_history import seed
from domain.decisions import DecisionSettings
from entrypoints.container import build_container
from entrypoints.settings import Settings
from tests.support.databases import temporary_postgres_database

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


async def measure(
    url: str, samples: int, send_clients: int
) -> tuple[float, list[tuple[str, float, float]], tuple[int, float]]:
    engine = create_engine(url)
    factory = SqlUnitOfWorkFactory(engine)
    started = clock.perf_counter()
    async with factory() as uow:
        await uow.stats.rebuild()
        await uow.commit()
    rebuild = clock.perf_counter() - started
    async with engine.begin() as connection:
        stamp = {"create_time": sa.func.now(), "update_time": sa.func.now()}
        group = (
            await connection.execute(
                client_groups.insert().values(name="bench", **stamp).returning(client_groups.c.id)
            )
        ).scalar_one()
        await connection.execute(
            client_group_members.insert(), [{"group_id": group, "client_id": i} for i in range(1, GROUP + 1)]
        )
        await connection.execute(sa.text("ANALYZE"))
    c = communications.c
    success = sa.func.sum(sa.case((c.status == "done", 1), else_=0))
    hour = sa.func.extract("hour", c.started_at)
    raw_base = sa.select(c.channel_id, sa.func.extract("dow", c.started_at), hour, sa.func.count(), success)

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
    decided = await _auto(factory, send_clients)
    await engine.dispose()
    return rebuild, figures, decided


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
        started = clock.perf_counter()
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
        print(f"auto: {count:,} clients' send facts read in {facts_read:.2f} s of {seconds:.2f} s")
        return len(decided), seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--send-clients", type=int, default=10_000, help="audience of the auto decisions")
    args = parser.parse_args()
    os.environ.setdefault("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    with temporary_postgres_database() as url:
        upgrade(url)
        asyncio.run(build_container(Settings(database_url=url)).use_cases.bootstrap()(None))
        started = clock.perf_counter()
        asyncio.run(seed(url, clients=args.clients, count=args.count))
        seeding = clock.perf_counter() - started
        rebuild, figures, (decided, seconds) = asyncio.run(measure(url, args.samples, args.send_clients))
    load = os.getloadavg()[0]
    print(
        f"`python -m bench.stats_speed --count {args.count} --clients {args.clients} "
        f"--samples {args.samples}` on {platform.node()}: {os.cpu_count()} cores "
        f"(load average {load:.1f}, shared with other engineers' runs), PostgreSQL. "
        f"Seeded {args.count:,} communications in {seeding:.0f} s; rebuild-stats took {rebuild:.0f} s.\n"
    )
    print("| scope | counters p50 ms | raw GROUP BY p50 ms |")
    print("|---|---:|---:|")
    for name, fast, slow in figures:
        print(f"| {name} | {fast:.1f} | {slow:.1f} |")
    print(
        "\nauto decisions (channel and time, 10 % explored, 5 % held out) "
        f"for a send to {decided:,} clients: {seconds:.1f} s"
    )


if __name__ == "__main__":
    main()
