"""Two people changing one communication at the same moment: exactly one of them wins.

Real databases only: the in-memory fake runs one transaction at a time, so it cannot race.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from domain.communications import CommunicationKind, LifecycleStatus
from domain.errors import Conflict
from tests.contract.test_communications_contract import make_refs, opened
from tests.support.clock import ManualClock

pytestmark = pytest.mark.concurrency


async def test_closing_and_failing_one_call_at_once_keeps_exactly_one_outcome(
    sql_uow_factory: Any, clock: ManualClock
) -> None:
    async with sql_uow_factory() as uow:
        refs = await make_refs(uow, clock)
        call = opened(refs, clock, kind=CommunicationKind.FACT)
        await uow.communications.add(call)
        await uow.commit()
    # SQLite lets one writer in at a time, so there the second operator reads the first one's
    # outcome; elsewhere both must have read the old state before either writes.
    both_loaded = asyncio.Barrier(2) if sql_uow_factory.engine.dialect.name != "sqlite" else None

    async def operator(move: str) -> str:
        try:
            async with sql_uow_factory() as uow:
                loaded = await uow.communications.get(call.id)
                if both_loaded is not None:
                    await both_loaded.wait()
                at = clock.advance(seconds=1)
                if move == "close":
                    loaded.close(at=at, actor="employee:1", result="talked")
                else:
                    loaded.fail(at=at, actor="employee:2", reason="no answer")
                await uow.communications.update(loaded)
                await uow.commit()
            return move
        except Conflict:
            return "refused"

    outcomes = await asyncio.gather(operator("close"), operator("fail"))
    assert sorted(outcomes) in (["close", "refused"], ["fail", "refused"])
    winner = next(o for o in outcomes if o != "refused")
    async with sql_uow_factory(read_only=True) as uow:
        stored = await uow.communications.get(call.id)
        history = await uow.communications.history(call.id)
    assert stored.status is (LifecycleStatus.DONE if winner == "close" else LifecycleStatus.FAILED)
    terminal = [h.to_status for h in history if h.to_status in ("done", "failed")]
    assert terminal == [stored.status.value]


@pytest.mark.postgres
async def test_a_bulk_change_after_a_single_one_committed_is_refused(
    postgres_uow_factory: Any, clock: ManualClock
) -> None:
    """The bulk path loads, someone else commits a change, then the bulk writes: it must not overwrite.

    PostgreSQL only: SQLite admits one writer at a time, so the other change cannot land in between.
    """
    sql_uow_factory = postgres_uow_factory
    async with sql_uow_factory() as uow:
        refs = await make_refs(uow, clock)
        call = opened(refs, clock, kind=CommunicationKind.FACT)
        await uow.communications.add(call)
        await uow.commit()
    loaded_by_bulk, single_committed = asyncio.Event(), asyncio.Event()

    async def bulk() -> None:
        async with sql_uow_factory() as uow:
            loaded = await uow.communications.get(call.id)
            loaded_by_bulk.set()
            await single_committed.wait()
            loaded.close(at=clock.advance(seconds=1), actor="employee:1")
            with pytest.raises(Conflict, match="changed meanwhile"):
                await uow.communications.update_many([loaded])

    async def single() -> None:
        await loaded_by_bulk.wait()
        async with sql_uow_factory() as uow:
            loaded = await uow.communications.get(call.id)
            loaded.fail(at=clock.advance(seconds=1), actor="employee:2", reason="no answer")
            await uow.communications.update(loaded)
            await uow.commit()
        single_committed.set()

    await asyncio.gather(bulk(), single())
    async with sql_uow_factory(read_only=True) as uow:
        assert (await uow.communications.get(call.id)).status is LifecycleStatus.FAILED
