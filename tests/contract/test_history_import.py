"""The history import's bulk write (COPY on PostgreSQL): rows, history and counters, as rebuilt."""

from __future__ import annotations

import uuid as uuid_module
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from application.decisions.importing import ImportedCommunication, ImportHistory
from domain.access import Permission, Principal, Process
from domain.communications import DeliveryStatus, Direction, LifecycleStatus
from tests.contract.test_stats_counters import world
from tests.support.imports import history_entries, replayed, stored_fields

T0 = datetime(2025, 3, 2, 21, 30, tzinfo=UTC)


class _Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


async def test_imported_rows_keep_their_history_and_count_as_a_rebuild_would(uow_factory: Any) -> None:
    refs = await world(uow_factory)
    actor = Principal.process(Process.DISPATCHER, Permission.MANAGE_SYSTEM)
    rows = [
        ImportedCommunication(
            index=i,
            uuid=str(uuid_module.UUID(int=10**6 + i)) if i % 2 else None,
            type_id=refs["types"][i % 2],
            channel_id=refs["channels"][i % 2],
            direction=Direction.OUTBOUND,
            started_at=T0 + timedelta(hours=7 * i),
            finished_at=T0 + timedelta(hours=7 * i, minutes=3),
            status=(LifecycleStatus.DONE, LifecycleStatus.FAILED, LifecycleStatus.CANCELLED)[i % 3],
            delivery_status=DeliveryStatus.RESPONDED if i % 3 == 0 else None,
            client_id=refs["clients"][i % 2],
            department_id=refs["departments"][0] if i % 4 else None,
        )
        for i in range(60)
    ]
    report = await ImportHistory(uow_factory, _Clock())(rows, actor)
    assert report.imported == 60 and report.rejected == []
    again = await ImportHistory(uow_factory, _Clock())([r for r in rows if r.uuid is not None], actor)
    assert again.imported == 30  # idempotent by uuid: counted as imported, not stored twice
    async with uow_factory() as uow:
        stored = await uow.communications.get_by_uuid(str(uuid_module.UUID(int=10**6 + 3)))
        assert stored is not None and stored.status is LifecycleStatus.DONE
        assert stored.delivery_status is DeliveryStatus.RESPONDED
        history = await uow.communications.history(stored.id or 0)
        assert [h.to_status for h in history][-1] == "done"
        assert "responded" in [h.to_status for h in history]
        maintained = await uow.stats.snapshot()
        await uow.stats.rebuild()
        rebuilt = await uow.stats.snapshot()
    for kept, fresh in zip(maintained.tables(), rebuilt.tables(), strict=True):
        assert [_exact(r) for r in kept] == [_exact(r) for r in fresh]
    assert sum(r.attempts for r in maintained.detail) >= 40  # done and failed rows of this world count


def _exact(row: Any) -> tuple[Any, ...]:
    return tuple(v for k, v in vars(row).items() if not k.startswith("weighted"))


imports = st.lists(
    st.tuples(
        st.sampled_from([LifecycleStatus.DONE, LifecycleStatus.FAILED, LifecycleStatus.CANCELLED]),
        st.none() | st.sampled_from(DeliveryStatus),
        st.booleans(),  # responded
        st.integers(0, 3),  # client, type, channel and department picks
        st.integers(0, 2 * 24 * 60 * 14),  # minutes after T0: two weeks, any hour
        st.integers(0, 600),  # minutes it lasted
        st.none() | st.just("Записался"),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=imports)
async def test_any_import_stores_the_replayed_rows_and_counts_as_a_rebuild_would(
    uow_factory: Any, batch: list[tuple[Any, ...]]
) -> None:
    refs = await world(uow_factory)
    actor = Principal.process(Process.DISPATCHER, Permission.MANAGE_SYSTEM)
    rows = [
        ImportedCommunication(
            index=i,
            uuid=str(uuid_module.uuid4()),
            type_id=refs["types"][pick % 2],
            channel_id=refs["channels"][pick // 2],
            direction=Direction.OUTBOUND,
            started_at=T0 + timedelta(minutes=minutes),
            finished_at=T0 + timedelta(minutes=minutes + lasted),
            status=status,
            delivery_status=delivery,
            responded=responded,
            client_id=refs["clients"][pick % 2],
            department_id=refs["departments"][0] if pick else None,
            result=result,
        )
        for i, (status, delivery, responded, pick, minutes, lasted, result) in enumerate(batch)
    ]
    report = await ImportHistory(uow_factory, _Clock())(rows, actor)
    kept = {r.index for r in rows} - {r.index for r in report.rejected}
    assert report.imported == len(kept)
    async with uow_factory() as uow:
        for row in rows:
            stored = await uow.communications.get_by_uuid(row.uuid or "")
            if row.index not in kept:
                assert stored is None
                continue
            assert stored is not None
            delivery = DeliveryStatus.RESPONDED if row.responded else row.delivery_status
            reference = replayed(
                uuid=row.uuid or "",
                direction=row.direction,
                type_id=row.type_id,
                channel_id=row.channel_id,
                started_at=row.started_at,
                ended_at=row.finished_at or row.started_at,
                status=row.status,
                delivery_status=delivery,
                client_id=row.client_id,
                actor=actor.actor,
                department_id=row.department_id,
                result=row.result,
            )
            assert stored_fields(stored) == stored_fields(reference)
            history = await uow.communications.history(stored.id or 0)
            assert history_entries(history) == history_entries(reference.history)
        maintained = await uow.stats.snapshot()
        await uow.stats.rebuild()
        rebuilt = await uow.stats.snapshot()
    for kept_rows, fresh_rows in zip(maintained.tables(), rebuilt.tables(), strict=True):
        assert [_exact(r) for r in kept_rows] == [_exact(r) for r in fresh_rows]
    for kept_row, fresh_row in zip(maintained.per_client, rebuilt.per_client, strict=True):
        assert kept_row.weighted_attempts == pytest.approx(fresh_row.weighted_attempts, rel=1e-9)


async def test_an_imported_history_reads_back_whole_and_later_entries_follow_it(uow_factory: Any) -> None:
    refs = await world(uow_factory)
    actor = Principal.process(Process.DISPATCHER, Permission.MANAGE_SYSTEM)
    uuid = str(uuid_module.UUID(int=7))
    row = ImportedCommunication(
        index=0,
        uuid=uuid,
        type_id=refs["types"][0],
        channel_id=refs["channels"][0],
        direction=Direction.INBOUND,
        started_at=T0,
        finished_at=T0 + timedelta(minutes=9),
        status=LifecycleStatus.DONE,
        delivery_status=DeliveryStatus.READ,
        client_id=refs["clients"][0],
        result="Записался",
    )
    assert (await ImportHistory(uow_factory, _Clock())([row], actor)).imported == 1
    later = T0 + timedelta(days=3)
    async with uow_factory() as uow:
        stored = await uow.communications.get_by_uuid(uuid)
        assert stored is not None
        stored.record_edit(
            stored.edit(at=later, actor="employee:5", result="Перезвонить"), at=later, actor="employee:5"
        )
        await uow.communications.update(stored)
        await uow.commit()
    reference = replayed(
        uuid=uuid,
        direction=row.direction,
        type_id=row.type_id,
        channel_id=row.channel_id,
        started_at=T0,
        ended_at=T0 + timedelta(minutes=9),
        status=LifecycleStatus.DONE,
        delivery_status=DeliveryStatus.READ,
        client_id=row.client_id,
        actor=actor.actor,
        result="Записался",
    )
    async with uow_factory() as uow:
        history = await uow.communications.history(stored.id or 0)
    assert history_entries(history) == [
        *history_entries(reference.history),
        ("edit", "done", "done", later, "employee:5", "result"),
    ]


async def test_of_rows_repeating_a_uuid_the_first_valid_one_is_kept_whenever_it_began(
    uow_factory: Any,
) -> None:
    refs = await world(uow_factory)
    actor = Principal.process(Process.DISPATCHER, Permission.MANAGE_SYSTEM)
    uuid = str(uuid_module.UUID(int=8))

    def row(index: int, began: datetime, client_id: int) -> ImportedCommunication:
        return ImportedCommunication(
            index=index,
            uuid=uuid,
            type_id=refs["types"][0],
            channel_id=refs["channels"][0],
            direction=Direction.OUTBOUND,
            started_at=began,
            status=LifecycleStatus.DONE,
            client_id=client_id,
        )

    rows = [
        row(0, T0 - timedelta(days=9), 10**6),  # unknown client: rejected, so it keeps nothing
        row(1, T0, refs["clients"][0]),  # the first valid one: kept
        row(2, T0 - timedelta(days=5), refs["clients"][1]),  # began earlier, comes later: refused
    ]
    report = await ImportHistory(uow_factory, _Clock())(rows, actor)
    assert report.imported == 1
    assert [(r.index, "unknown client" in r.reason, "twice" in r.reason) for r in report.rejected] == [
        (0, True, False),
        (2, False, True),
    ]
    async with uow_factory() as uow:
        stored = await uow.communications.get_by_uuid(uuid)
    assert stored is not None and stored.client_id == refs["clients"][0]


@pytest.mark.postgres
async def test_an_import_runs_its_statements_without_jit_and_only_in_its_transaction(
    postgres_uow_factory: Any,
) -> None:
    show = sa.text("SHOW jit")
    async with postgres_uow_factory() as uow:
        configured = (await uow.connection.execute(show)).scalar_one()
    async with postgres_uow_factory() as uow:
        assert await uow.history_import.write(iter(()), "importer", at_most=0) == 0
        assert (await uow.connection.execute(show)).scalar_one() == "off"
    async with postgres_uow_factory() as uow:
        assert (await uow.connection.execute(show)).scalar_one() == configured
