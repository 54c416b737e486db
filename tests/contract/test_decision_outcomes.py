"""The aggregate of ended auto decisions behind /stats/auto: kept with every write, equal to a rebuild,
and giving the same lifts as the decision log it replaces."""

from __future__ import annotations

import math
import uuid as uuid_module
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from application.decisions.ports import DecisionRecord, StatsScope
from domain.communications import Communication, CommunicationKind, DeliveryStatus, Direction
from domain.decisions.evaluation import (
    LoggedDecision,
    holdout_lift_of,
    lifts_of_sums,
    off_policy_lift,
)
from tests.contract.test_stats_counters import T0, _numbers, world

decision = st.tuples(
    st.sampled_from(["greedy", "explore", "holdout", "fallback"]),
    st.sampled_from([0.0, 0.05, 0.5, 0.9, 1.0]),
    st.booleans(),
    st.sampled_from(["response", "delivered"]),
)
add = st.tuples(
    st.just("add"), st.integers(0, 1), st.integers(0, 1), st.integers(0, 5000), st.none() | decision
)
"""A new communication, logged with a decision as an auto send logs it (or not)."""
change = st.tuples(
    st.sampled_from(["close", "fail", "delivered", "responded", "delete"]),
    st.integers(0, 20),
)
workloads = st.lists(st.one_of(add, change), min_size=1, max_size=16)


def record(c: Communication, decided: tuple[Any, ...], refs: dict[str, list[int]]) -> DecisionRecord:
    mode, propensity, matches, objective = decided
    return DecisionRecord(
        communication_id=c.id or 0,
        mode=mode,
        objective=objective,
        propensity=propensity,
        matches_rule=matches,
        rule_channel_id=refs["channels"][0],
        rule_at=c.create_time,
        predicted_chosen=0.3,
        predicted_rule=0.2,
        explanation="test",
        create_time=c.create_time,
    )


async def run(factory: Any, refs: dict[str, list[int]], workload: list[tuple[Any, ...]]) -> None:
    uuids: list[str] = []
    for step in workload:
        async with factory() as uow:
            if step[0] == "add":
                _, client, channel, minutes, decided = step
                c = Communication.open(
                    uuid=str(uuid_module.UUID(int=next(_numbers))),
                    kind=CommunicationKind.PLANNED,
                    direction=Direction.OUTBOUND,
                    at=T0 + timedelta(minutes=minutes),
                    actor="employee:1",
                    type_id=refs["types"][0],
                    channel_id=refs["channels"][channel],
                    client_id=refs["clients"][client],
                    department_id=refs["departments"][0],
                )
                await uow.communications.add(c)
                uuids.append(c.uuid)
                if decided is not None:
                    await uow.decisions.add_many([record(c, decided, refs)])
                await uow.commit()
                continue
            if not uuids:
                continue
            found = await uow.communications.get_by_uuid(uuids[step[1] % len(uuids)])
            if found is None:
                continue
            c = found
            at = c.update_time + timedelta(minutes=7)
            action = step[0]
            if action == "delete":
                await uow.communications.delete(c.id or 0)
            elif action in ("delivered", "responded"):
                c.record_delivery(DeliveryStatus(action), at=at, actor="provider:sandbox")
                await uow.communications.update(c)
            elif not c.is_terminal:
                if action == "close":
                    if c.status.value == "created":
                        c.start(at=at, actor="employee:1")
                    c.close(at=at, actor="employee:1")
                else:
                    c.fail(at=at, actor="employee:1", reason="no answer")
                await uow.communications.update(c)
            await uow.commit()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(workload=workloads)
async def test_the_maintained_outcomes_equal_the_rebuilt_ones_and_give_the_logs_lifts(
    uow_factory: Any, workload: list[tuple[Any, ...]]
) -> None:
    refs = await world(uow_factory)
    await run(uow_factory, refs, workload)
    scope = StatsScope(department_id=refs["departments"][0])
    async with uow_factory() as uow:
        maintained = await uow.decisions.snapshot()
        kept = await uow.decisions.outcome_sums(scope)
        counted = await uow.decisions.rebuild()
        rebuilt = await uow.decisions.snapshot()
        logs = await uow.decisions.outcomes(scope)
    assert [key for key, _ in maintained] == [key for key, _ in rebuilt]
    assert counted == sum(s.outcomes for _, s in rebuilt)
    for (_, mine), (_, fresh) in zip(maintained, rebuilt, strict=True):
        assert mine.values() == pytest.approx(fresh.values(), abs=1e-9)
    by_mode: dict[str, int] = {}
    for o in logs:
        by_mode[o.mode] = by_mode.get(o.mode, 0) + 1
    assert {mode: s.outcomes for mode, s in kept.items() if s.outcomes} == by_mode
    logged = [
        LoggedDecision(
            o.reward, o.propensity, o.matches_rule, o.mode == "holdout", o.predicted_chosen, o.predicted_rule
        )
        for o in logs
        if 0 < o.propensity <= 1 and o.mode != "fallback"
    ]
    lifts = lifts_of_sums(kept)
    assert lifts.decisions == len(logged)
    for mine, theirs in (
        (lifts.holdout, holdout_lift_of(logged)),
        (lifts.inverse_propensity, off_policy_lift(logged, robust=False)),
        (lifts.doubly_robust, off_policy_lift(logged, robust=True)),
    ):
        for a, b in (
            (mine.difference.value, theirs.difference.value),
            (mine.difference.high, theirs.difference.high),
        ):
            assert (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, abs=1e-9)


async def test_deleting_a_communication_deletes_its_decision_and_no_other(uow_factory: Any) -> None:
    # The decision rows have no foreign key (0024): the delete itself must remove them.
    refs = await world(uow_factory)
    made: list[Communication] = []
    async with uow_factory() as uow:
        for _ in range(2):
            c = Communication.open(
                uuid=str(uuid_module.UUID(int=next(_numbers))),
                kind=CommunicationKind.PLANNED,
                direction=Direction.OUTBOUND,
                at=T0,
                actor="employee:1",
                type_id=refs["types"][0],
                channel_id=refs["channels"][0],
                client_id=refs["clients"][0],
                department_id=refs["departments"][0],
            )
            await uow.communications.add(c)
            made.append(c)
        await uow.decisions.add_many([record(c, ("greedy", 0.9, True, "response"), refs) for c in made])
        await uow.commit()
    gone, kept = (c.id or 0 for c in made)
    async with uow_factory() as uow:
        await uow.communications.delete(gone)
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        assert await uow.decisions.of(gone) is None
        remaining = await uow.decisions.of(kept)
        assert remaining is not None and remaining.communication_id == kept
        assert set(await uow.decisions.of_many([gone, kept])) == {kept}
