"""`switchboard rebuild-stats`: the counters come back from the history alone."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from adapters.sqlalchemy.engine import create_engine
from adapters.sqlalchemy.stats import stats_client_slots
from adapters.sqlalchemy.unit_of_work import SqlUnitOfWorkFactory
from domain.clients import Client
from domain.communications import Communication, CommunicationKind, Direction
from domain.dictionaries import Channel, ChannelKind, CommunicationType
from entrypoints.cli import main

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


async def _arrange(url: str) -> None:
    engine = create_engine(url)
    now: dict[str, Any] = {"create_time": T0, "update_time": T0}
    async with SqlUnitOfWorkFactory(engine)() as uow:
        type_id = (await uow.communication_types.add(CommunicationType(name="T", code="t", **now))).id
        channel_id = (await uow.channels.add(Channel(name="C", code="c", kind=ChannelKind.CALL, **now))).id
        client_id = (await uow.clients.add(Client(first_name="A", **now))).id
        call = Communication.open(
            uuid="00000000-0000-0000-0000-00000000000a",
            kind=CommunicationKind.FACT,
            direction=Direction.OUTBOUND,
            at=T0,
            actor="employee:1",
            type_id=type_id,
            channel_id=channel_id,
            client_id=client_id,
        )
        call.close(at=T0, actor="employee:1")
        await uow.communications.add(call)
        await uow.commit()
    async with engine.begin() as connection:  # as if the counters had been lost
        await connection.execute(stats_client_slots.delete())
    await engine.dispose()


async def _counted(url: str) -> list[tuple[Any, ...]]:
    engine = create_engine(url)
    async with engine.connect() as connection:
        rows = await connection.execute(
            sa.select(stats_client_slots.c.weekday, stats_client_slots.c.hour, stats_client_slots.c.responses)
        )
        found = [tuple(r) for r in rows]
    await engine.dispose()
    return found


def test_rebuild_stats_recomputes_the_counters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path}/cli.db"
    monkeypatch.setenv("DATABASE_URL", url)
    main(["migrate"])
    asyncio.run(_arrange(url))
    assert asyncio.run(_counted(url)) == []
    main(["rebuild-stats"])
    assert asyncio.run(_counted(url)) == [(0, 9, 1)]  # Monday 09:00 UTC: the client has no zone
    assert "from 1 communications" in capsys.readouterr().out
