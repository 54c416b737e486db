"""Fills a database with N realistic clients in bulk (Core executemany, thousands per statement)."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from adapters.sqlalchemy.engine import create_engine
from adapters.sqlalchemy.tables import client_phones, clients

FIRST = ["Иван", "Пётр", "Анна", "Мария", "Michael", "Olga", "Sergey", "Elena", "Dmitry", "Nguyen"]
LAST = ["Иванов", "Петров", "Сидорова", "Jordan", "Tyson", "Smirnov", "Kuznetsova", "Popov", "Tran", "Lee"]


def client_rows(start: int, count: int, rng: random.Random, now: datetime) -> tuple[list[dict], list[dict]]:
    rows, phones = [], []
    for n in range(start, start + count):
        phone = f"+7916{n:07d}"
        rows.append(
            {
                "id": n,
                "first_name": rng.choice(FIRST),
                "last_name": rng.choice(LAST),
                "middle_name": None,
                "birth_date": date(1950, 1, 1) + timedelta(days=rng.randrange(20_000)),
                "phones": [phone],
                "email": f"client{n}@example.com",
                "social_media": {"telegram": f"@client{n}"} if n % 3 == 0 else None,
                "language": "ru",
                "time_zone": "Europe/Moscow",
                "available": n % 17 != 0,
                "project_id": None,
                "guid": None,
                "tags": ["vip"] if n % 50 == 0 else [],
                "create_time": now - timedelta(minutes=n),
                "update_time": now - timedelta(minutes=n),
            }
        )
        phones.append({"client_id": n, "phone": phone})
    return rows, phones


async def seed(database_url: str, count: int, *, batch: int = 5_000, seed_value: int = 7) -> None:
    engine = create_engine(database_url)
    rng = random.Random(seed_value)
    now = datetime(2026, 11, 1, tzinfo=UTC)
    async with engine.begin() as connection:
        existing = (await connection.execute(sa.select(sa.func.count()).select_from(clients))).scalar_one()
        for start in range(existing + 1, count + 1, batch):
            rows, phones = client_rows(start, min(batch, count + 1 - start), rng, now)
            await connection.execute(clients.insert(), rows)
            await connection.execute(client_phones.insert(), phones)
        if connection.dialect.name == "postgresql":
            await connection.execute(
                sa.text("SELECT setval('clients_id_seq', (SELECT max(id) FROM clients))")
            )
            await connection.execute(sa.text("ANALYZE clients"))
            await connection.execute(sa.text("ANALYZE client_phones"))
    await engine.dispose()


if __name__ == "__main__":
    import sys

    asyncio.run(seed(sys.argv[1], int(sys.argv[2])))
