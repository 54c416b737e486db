"""End-to-end dispatch benchmark: accept one send to N clients, then dispatch until all are sent.

    .venv/bin/python -m bench.dispatch --database-url postgresql://postgres@127.0.0.1:5432/scratch \
        --clients 20000

Measures the accept (POST /api/v1/sends' use case, in-process) and one in-process worker through
the sandbox provider. The database is emptied first: point it at a scratch database.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import time

from adapters.sandbox.sender import SandboxSender
from adapters.security import Argon2PasswordHasher
from adapters.sqlalchemy.engine import create_engine
from adapters.sqlalchemy.migrate import upgrade
from adapters.sqlalchemy.tables import clients
from adapters.sqlalchemy.unit_of_work import SqlUnitOfWorkFactory
from adapters.system import SystemClock
from application.sending.dispatch import Dispatcher, DispatchPolicy
from domain.dictionaries import ChannelKind
from tests.support.databases import empty_all_tables
from tests.support.sending import SENDER, arrange, command, sending


async def run(url: str, count: int, batch: int) -> None:
    engine = create_engine(url)
    await empty_all_tables(engine)
    factory = SqlUnitOfWorkFactory(engine)
    clock = SystemClock()
    department_id, _ = await arrange(
        factory, clock, Argon2PasswordHasher(time_cost=1, memory_cost=8, parallelism=1), []
    )
    now = clock.now()
    rows = [
        {
            "email": f"c{i}@example.com",
            "available": True,
            "phones": [],
            "tags": [],
            "create_time": now,
            "update_time": now,
        }
        for i in range(count)
    ]
    async with engine.begin() as connection:
        ids = []
        for start in range(0, count, 5000):
            chunk = rows[start : start + 5000]
            ids += list((await connection.execute(clients.insert().returning(clients.c.id), chunk)).scalars())
    started = time.perf_counter()
    answer = await sending(factory, clock)(SENDER, command(department_id, ids))
    accept = time.perf_counter() - started
    sandbox = SandboxSender(clock, capacity=10_000)
    worker = Dispatcher(
        factory,
        clock,
        dict.fromkeys(ChannelKind, sandbox),
        {},
        DispatchPolicy(batch=batch),
        "bench",
        random.Random(1),
    )
    started = time.perf_counter()
    sent = 0
    while (done := await worker.run_once()) > 0:
        sent += done
    elapsed = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"accepted {answer.accepted_count} in {accept:.2f} s ({answer.accepted_count / accept:,.0f}/s)")
    print(f"dispatched {sent} in {elapsed:.2f} s: {sent / elapsed:,.0f} messages/s, max RSS {rss:.0f} MB")
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--clients", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    upgrade(args.database_url)
    asyncio.run(run(args.database_url, args.clients, args.batch))


if __name__ == "__main__":
    main()
