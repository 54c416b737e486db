"""The history import's bulk write (COPY on PostgreSQL): rows, history and counters, as rebuilt."""

from __future__ import annotations

import uuid as uuid_module
from datetime import UTC, datetime, timedelta
from typing import Any

from application.decisions.importing import ImportedCommunication, ImportHistory
from domain.access import Permission, Principal, Process
from domain.communications import DeliveryStatus, Direction, LifecycleStatus
from tests.contract.test_stats_counters import world

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
    for kept, fresh in zip(maintained, rebuilt, strict=True):
        assert [_exact(r) for r in kept] == [_exact(r) for r in fresh]
    assert sum(r.attempts for r in maintained[2]) >= 40  # done and failed rows of this world count


def _exact(row: Any) -> tuple[Any, ...]:
    return tuple(v for k, v in vars(row).items() if not k.startswith("weighted"))
