"""History import speed: rows per second through the import use case on a real database,
beside the ceiling of the same run: a raw COPY of as many bare rows into the communications table
(PostgreSQL; no validation, no history, no counters). With ``--http``, through the whole endpoint
instead: ``POST /api/v1/communications/import`` with a JSON array, called as ASGI in this process
(authentication, decoding and the answer included; no sockets).

python -m bench.importing --database postgres|sqlite [--rows 10000] [--requests 5] [--http]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import time
import uuid as uuid_module
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from adapters.sqlalchemy.engine import create_engine
from adapters.sqlalchemy.unit_of_work import SqlUnitOfWorkFactory
from application.decisions.importing import ImportedCommunication, ImportHistory
from bench.api import ADMIN
from bench.inprocess import Lifespan, call, load_app
from domain.access import Permission, Principal, Process
from domain.clients import Client
from domain.communications import DeliveryStatus, Direction, LifecycleStatus
from domain.dictionaries import Channel, ChannelKind, CommunicationType
from tests.support.databases import migrated, temporary_postgres_database

T0 = datetime(2025, 1, 1, tzinfo=UTC)


class _Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


async def ceiling(
    factory: SqlUnitOfWorkFactory, rows: int, type_id: int, channel_id: int, client_ids: list[int]
) -> float:
    """Rows/s of a raw COPY of bare communication rows, in one transaction, rolled back."""
    async with factory() as uow:
        conn = uow.connection  # type: ignore[attr-defined]
        pg = (await conn.get_raw_connection()).driver_connection
        records = [
            (
                str(uuid_module.uuid4()),
                type_id,
                channel_id,
                "outbound",
                "planned",
                "done",
                client_ids[i % len(client_ids)],
                T0,
                T0,
                T0,
                0,
            )
            for i in range(rows)
        ]
        columns = [
            "uuid",
            "type_id",
            "channel_id",
            "direction",
            "kind",
            "status",
            "client_id",
            "started_at",
            "create_time",
            "update_time",
            "attempts",
        ]
        started = time.perf_counter()
        await pg.copy_records_to_table("communications", records=records, columns=columns)
        return rows / (time.perf_counter() - started)


def _wire(row: ImportedCommunication) -> dict[str, Any]:
    """The row as a CRM sends it to the endpoint."""
    return {
        "clientId": row.client_id,
        "communicationTypeId": row.type_id,
        "channelId": row.channel_id,
        "direction": row.direction.value,
        "startedAt": row.started_at.isoformat(),
        "finishedAt": None if row.finished_at is None else row.finished_at.isoformat(),
        "status": row.status.value,
        "deliveryStatus": None if row.delivery_status is None else row.delivery_status.value,
    }


async def _post(app: Any, body: bytes) -> tuple[int, Any]:
    """One POST of the import route, as ASGI: its status and decoded answer."""
    answer: list[bytes] = []
    headers = {**ADMIN, "Content-Type": "application/json"}
    status = await call(app, "POST", "/api/v1/communications/import", headers, body, answer)
    return status, msgspec.json.decode(b"".join(answer))


async def run(url: str, rows: int, requests: int, http: bool = False) -> tuple[list[float], list[float]]:
    engine = create_engine(url)
    factory = SqlUnitOfWorkFactory(engine)
    stamp = {"create_time": T0, "update_time": T0}
    async with factory() as uow:
        type_id = (await uow.communication_types.add(CommunicationType(name="T", code="t", **stamp))).id
        channels = [
            (await uow.channels.add(Channel(name=f"C{i}", code=f"c{i}", kind=ChannelKind.SMS, **stamp))).id
            for i in range(4)
        ]
        zones = ["Europe/Moscow", "Asia/Vladivostok", None]
        client_ids = [
            (await uow.clients.add(Client(first_name=f"C{i}", time_zone=zones[i % 3], **stamp))).id
            for i in range(2000)
        ]
        await uow.commit()
    importer = ImportHistory(factory, _Clock())
    lifespan = None
    if http:
        env = {
            "DATABASE_URL": url,
            "ADMIN_PASSWORD": "admin",
            "IN_PROCESS_WORKER": "0",
            "LOG_LEVEL": "WARNING",
        }
        lifespan = Lifespan(load_app("entrypoints.asgi", env))
        await lifespan.start()
    actor = Principal.process(Process.DISPATCHER, Permission.MANAGE_SYSTEM)
    rng = random.Random(3)
    rates, ceilings = [], []
    for _ in range(requests):
        if url.startswith("postgresql"):
            ceilings.append(await ceiling(factory, rows, type_id or 0, channels[0] or 0, client_ids))
        batch = []
        for index in range(rows):
            start = T0 + timedelta(minutes=rng.randrange(600_000))
            done = rng.random() < 0.6
            batch.append(
                ImportedCommunication(
                    index=index,
                    type_id=type_id or 0,
                    channel_id=rng.choice(channels) or 0,
                    direction=Direction.OUTBOUND,
                    started_at=start,
                    status=LifecycleStatus.DONE if done else LifecycleStatus.FAILED,
                    client_id=rng.choice(client_ids),
                    delivery_status=DeliveryStatus.DELIVERED if done else DeliveryStatus.UNDELIVERED,
                    finished_at=start + timedelta(minutes=2),
                )
            )
        if lifespan is not None:
            body = msgspec.json.encode([_wire(row) for row in batch])
            started = time.perf_counter()
            status, answer = await _post(lifespan.app, body)
            assert status == 200 and not answer["rejected"], (status, str(answer)[:300])
            rates.append(answer["imported"] / (time.perf_counter() - started))
            continue
        started = time.perf_counter()
        report = await importer(batch, actor)
        rates.append(report.imported / (time.perf_counter() - started))
        assert not report.rejected, report.rejected[:3]
    if lifespan is not None:
        await lifespan.stop()
    await engine.dispose()
    return rates, ceilings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=5)
    parser.add_argument("--http", action="store_true", help="through the endpoint, not the use case")
    args = parser.parse_args()
    if args.database == "postgres":
        os.environ.setdefault("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
        with temporary_postgres_database() as url:
            rates, ceilings = asyncio.run(run(migrated(url), args.rows, args.requests, args.http))
    else:
        path = f"/tmp/switchboard-import-{os.getpid()}.db"
        rates, ceilings = asyncio.run(run(migrated(f"sqlite:///{path}"), args.rows, args.requests, args.http))
        os.remove(path)
    load = os.getloadavg()[0]
    print(
        f"import on {args.database}{' through the endpoint' if args.http else ''}: "
        f"{args.requests} requests of {args.rows:,} rows, "
        f"rows/s per request: {', '.join(f'{r:,.0f}' for r in rates)}; "
        f"raw COPY ceiling, same run: {', '.join(f'{r:,.0f}' for r in ceilings) or 'n/a'} "
        f"({os.cpu_count()} cores, load average {load:.1f}, shared; Python {platform.python_version()})"
    )


if __name__ == "__main__":
    main()
