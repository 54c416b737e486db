"""The events log and the doorbell, on every storage; LISTEN/NOTIFY across real connections."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adapters.memory.live_feed import InProcessEventBus
from adapters.sqlalchemy.events import PgEventBus
from application.events.ports import EventFilter, StatusChanged

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def changed(
    n: int, *, send_id: int | None = 1, client_id: int | None = 7, mailing_id: int | None = None
) -> StatusChanged:
    return StatusChanged(
        uuid=f"00000000-0000-0000-0000-{n:012d}",
        send_id=send_id,
        mailing_id=mailing_id,
        client_id=client_id,
        channel_id=3,
        status="in_progress",
        delivery_status="sent",
        at=T0 + timedelta(seconds=n),
    )


async def test_appended_events_are_read_after_an_id_in_order_once_committed(uow_factory: Any) -> None:
    async with uow_factory() as uow:
        start = await uow.events.last_id()
        await uow.events.append([changed(1), changed(2)], T0)
        await uow.commit()
    async with uow_factory() as uow:
        await uow.events.append([changed(3)], T0)
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        found = await uow.events.after(start, EventFilter(), 100)
        assert [s.event for s in found] == [changed(1), changed(2), changed(3)]
        ids = [s.id for s in found]
        assert ids == sorted(ids) and len(set(ids)) == 3
        assert await uow.events.last_id() == ids[-1]
        assert [s.event for s in await uow.events.after(ids[0], EventFilter(), 1)] == [changed(2)]


async def test_a_rolled_back_append_leaves_nothing(uow_factory: Any) -> None:
    async with uow_factory() as uow:
        start = await uow.events.last_id()
        await uow.events.append([changed(1)], T0)
    async with uow_factory(read_only=True) as uow:
        assert await uow.events.after(start, EventFilter(), 10) == []


async def test_filters_select_by_send_mailing_and_client(uow_factory: Any) -> None:
    events = [
        changed(1, send_id=1, client_id=7),
        changed(2, send_id=2, client_id=7),
        changed(3, send_id=None, client_id=8, mailing_id=5),
    ]
    async with uow_factory() as uow:
        await uow.events.append(events, T0)
        await uow.commit()
    async with uow_factory(read_only=True) as uow:

        async def uuids(where: EventFilter) -> list[str]:
            return [s.event.uuid for s in await uow.events.after(0, where, 100)]

        assert await uuids(EventFilter(send_id=2)) == [events[1].uuid]
        assert await uuids(EventFilter(client_id=7)) == [events[0].uuid, events[1].uuid]
        assert await uuids(EventFilter(mailing_id=5)) == [events[2].uuid]
        assert await uuids(EventFilter(send_id=1, client_id=8)) == []


async def test_retention_deletes_old_events_and_ids_are_never_reused(uow_factory: Any) -> None:
    async with uow_factory() as uow:
        await uow.events.append([changed(1), changed(2)], T0)
        await uow.events.append([changed(3)], T0 + timedelta(hours=2))
        await uow.commit()
    async with uow_factory() as uow:
        last = await uow.events.last_id()
        assert await uow.events.delete_before(T0 + timedelta(hours=1)) == 2
        await uow.commit()
    async with uow_factory() as uow:
        assert [s.event for s in await uow.events.after(0, EventFilter(), 10)] == [changed(3)]
        assert await uow.events.delete_before(T0 + timedelta(hours=3)) == 1
        await uow.commit()
    async with uow_factory() as uow:
        await uow.events.append([changed(4)], T0)
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        [fresh] = await uow.events.after(0, EventFilter(), 10)
        assert fresh.id > last


async def test_the_in_process_doorbell_wakes_every_subscriber_and_times_out_when_quiet() -> None:
    bus = InProcessEventBus()
    async with bus.subscribe() as first, bus.subscribe() as second:
        assert await first.wait(0.05) is False
        await bus.publish()
        await bus.publish()
        assert await first.wait(1) is True
        assert await second.wait(1) is True
        # Two rings while nobody waited mean one more look, not two.
        assert await first.wait(0.05) is False
    assert bus.listeners() == 0


@pytest.mark.postgres
async def test_notify_from_one_process_wakes_the_listeners_of_another(postgres_url: str) -> None:
    # Two buses, two sets of connections: what a worker process and an API process hold.
    api, worker = PgEventBus(postgres_url, InProcessEventBus()), PgEventBus(postgres_url, InProcessEventBus())
    try:
        async with api.subscribe() as subscription:
            assert await api.listening()
            await subscription.wait(0.2)  # the ring that a fresh LISTEN gives
            assert await subscription.wait(0.2) is False
            await worker.publish()
            assert await subscription.wait(5) is True
            # The worker's own readers hear it too, without the round trip.
            async with worker.subscribe() as own:
                await worker.listening()
                await own.wait(0.2)
                await worker.publish()
                assert await own.wait(1) is True
    finally:
        await api.close()
        await worker.close()


@pytest.mark.postgres
@pytest.mark.concurrency
async def test_event_ids_follow_commit_order_across_transactions(postgres_uow_factory: Any) -> None:
    first = postgres_uow_factory()
    await first.__aenter__()
    try:
        await first.events.append([changed(1)], T0)

        async def second() -> None:
            async with postgres_uow_factory() as uow:
                await uow.events.append([changed(2)], T0)
                await uow.commit()

        later = asyncio.create_task(second())
        await asyncio.sleep(0.3)
        # The second appender waits for the first to commit instead of taking an id before it.
        assert not later.done()
        await first.commit()
    finally:
        await first.__aexit__(None, None, None)
    await asyncio.wait_for(later, 5)
    async with postgres_uow_factory(read_only=True) as uow:
        found = await uow.events.after(0, EventFilter(), 10)
    assert [s.event.uuid for s in found] == [changed(1).uuid, changed(2).uuid]
