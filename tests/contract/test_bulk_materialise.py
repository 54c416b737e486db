"""A bulk send (above ANSWER_LIST_LIMIT clients) answered before its communications exist.

On every storage: the accept stores pending recipients (counted in progress, listed, counted by
the caps), the materialiser makes exactly the communications and queue rows a synchronous accept
makes, a batch that fails leaves its recipients pending and a re-run makes each once, two
materialisers share the work, and a template that breaks on a later client fails only that one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from adapters.sandbox.sender import SandboxSender
from application.events.ports import EventFilter, StatusChanged
from application.sending.commands import (
    ANSWER_LIST_LIMIT,
    Audience,
    Content,
    ScheduledRecipient,
    SendCommand,
)
from application.sending.materialise import Materialiser
from application.sending.store import PENDING_STATUS
from domain.clients import Client
from domain.communications import LifecycleStatus
from domain.errors import ValidationFailed
from domain.rules import Rule
from domain.sending.refusals import RefusalReason
from tests.contract.test_dispatch import communications, dispatcher
from tests.support.clock import ManualClock
from tests.support.sending import EMAIL, SENDER, arrange_clients, command, sending

SIZE = ANSWER_LIST_LIMIT + 5


def people(
    clock: ManualClock, count: int = SIZE, last_name: Callable[[int], str | None] = str
) -> list[Client]:
    now = clock.now()
    return [
        Client(
            first_name=f"Client{i}",
            last_name=last_name(i),
            email=f"c{i}@example.com" if i != 3 else None,  # client 3 has no email: refused
            phones=[],
            create_time=now,
            update_time=now,
        )
        for i in range(count)
    ]


def materialiser(uow_factory: Any, clock: ManualClock, batch: int = 300) -> Materialiser:
    send = sending(uow_factory, clock)
    return Materialiser(uow_factory, clock, send._renderer, send._email, batch=batch)


async def pending(uow_factory: Any) -> tuple[int, int]:
    """Recipients waiting for their communications, and messages waiting to be sent."""
    async with uow_factory(read_only=True) as uow:
        return await uow.sends.pending_total(), await uow.dispatch.pending_count()


async def test_a_bulk_send_is_answered_with_pending_recipients_that_the_materialiser_makes(
    uow_factory: Any, clock: ManualClock, hasher: Any
) -> None:
    department_id, ids = await arrange_clients(uow_factory, clock, hasher, people(clock))
    use_case = sending(uow_factory, clock)
    answer = await use_case(SENDER, command(department_id, ids))
    assert (answer.accepted_count, answer.refused_count) == (SIZE - 1, 1)
    assert answer.accepted is None and answer.refused is None  # above the list limit, as before
    assert await pending(uow_factory) == (SIZE - 1, SIZE - 1)

    before = await use_case.progress(SENDER, answer.send_id, limit=10_000, offset=0)
    assert before.lifecycle == {PENDING_STATUS.value: SIZE - 1}
    assert before.delivery == {"queued": SIZE - 1}
    assert [r.reason for r in before.refused] == [RefusalReason.NO_CONTACT]
    assert [a.client_id for a in before.accepted] == [i for n, i in enumerate(ids) if n != 3]
    assert {a.scheduled_at for a in before.accepted} == {clock.now()}
    assert len({a.uuid for a in before.accepted}) == SIZE - 1

    made = materialiser(uow_factory, clock)
    assert await made.run_once() == 300
    assert await pending(uow_factory) == (SIZE - 1 - 300, SIZE - 1)
    halfway = await use_case.progress(SENDER, answer.send_id, limit=10_000, offset=0)
    assert halfway.accepted == before.accepted  # the same list, in the same order, made or not
    assert (halfway.lifecycle, halfway.delivery) == (before.lifecycle, before.delivery)
    assert await made.drain() == SIZE - 1 - 300
    assert await made.run_once() == 0
    after = await use_case.progress(SENDER, answer.send_id, limit=10_000, offset=0)
    assert (after.accepted, after.lifecycle, after.delivery) == (
        before.accepted,
        before.lifecycle,
        before.delivery,
    )
    assert await pending(uow_factory) == (0, SIZE - 1)

    # Exactly what a synchronous accept of the same client makes, but for the uuid.
    alone = await use_case(SENDER, command(department_id, [ids[0]]))
    assert alone.accepted is not None
    first, single = before.accepted[0].uuid, alone.accepted[0].uuid
    found = await communications(uow_factory, [first, single])
    bulk, one = found[first], found[single]
    same = ("status", "kind", "type_id", "channel_id", "client_id", "subject", "content", "create_time")
    assert [getattr(bulk, f) for f in same] == [getattr(one, f) for f in same]
    assert bulk.content == "Hello Client0" and bulk.id == min(c.id for c in found.values())
    assert [(h.to_status, h.actor) for h in bulk.history] == [(h.to_status, h.actor) for h in one.history]

    sandbox = SandboxSender(clock)
    sent = dispatcher(uow_factory, clock, sandbox, batch=5_000)
    assert await sent.run_once() == SIZE
    messages = {m.uuid: m for m in sandbox.messages()}
    assert messages[first].to == "c0@example.com"
    assert messages[first].text == messages[single].text == "Hello Client0"
    assert messages[first].html == messages[single].html
    assert set(messages[first].headers) == set(messages[single].headers)
    assert first in messages[first].headers["Message-ID"]
    assert await pending(uow_factory) == (0, 0)


async def test_the_caps_count_pending_recipients_at_once(
    uow_factory: Any, clock: ManualClock, hasher: Any
) -> None:
    department_id, ids = await arrange_clients(uow_factory, clock, hasher, people(clock))
    now = clock.now()
    async with uow_factory() as uow:
        await uow.rules.add(
            Rule(
                name="once a day",
                max_per_day=1,
                department_id=department_id,
                create_time=now,
                update_time=now,
            )
        )
        await uow.commit()
    use_case = sending(uow_factory, clock)
    assert (await use_case(SENDER, command(department_id, ids))).accepted_count == SIZE - 1
    again = await use_case(SENDER, command(department_id, ids[:3]))  # nothing materialised yet
    assert again.accepted_count == 0
    assert {r.reason for r in again.refused or ()} == {RefusalReason.FREQUENCY_CAP}


async def test_a_failed_batch_leaves_its_recipients_pending_and_a_rerun_makes_each_once(
    uow_factory: Any, clock: ManualClock, hasher: Any
) -> None:
    department_id, ids = await arrange_clients(uow_factory, clock, hasher, people(clock))
    answer = await sending(uow_factory, clock)(SENDER, command(department_id, ids))
    made = materialiser(uow_factory, clock)
    crashing = materialiser(uow_factory, clock)

    async def crash(*_: Any) -> None:
        raise RuntimeError("the process died here")

    crashing._make = crash  # type: ignore[method-assign]  # after the take, before any row is made
    with pytest.raises(RuntimeError):
        await crashing.run_once()
    assert await pending(uow_factory) == (SIZE - 1, SIZE - 1)

    assert await made.run_once() == 300
    progress = await sending(uow_factory, clock).progress(SENDER, answer.send_id, limit=1, offset=0)
    async with uow_factory() as uow:
        # A batch made again (its rows were taken meanwhile by somebody else) collides, whole.
        stored = await uow.communications.get_by_uuid(progress.accepted[0].uuid)
        assert stored is not None
        with pytest.raises(Exception):  # noqa: B017 - each storage's own duplicate-key error
            await uow.sends.materialise([answer.send_id], [stored], [])
    assert await made.drain() == SIZE - 1 - 300
    progress = await sending(uow_factory, clock).progress(SENDER, answer.send_id, limit=10_000, offset=0)
    found = await communications(uow_factory, [a.uuid for a in progress.accepted])
    assert len(found) == SIZE - 1


async def test_two_materialisers_share_the_pending_recipients_and_make_each_once(
    uow_factory: Any, clock: ManualClock, hasher: Any
) -> None:
    department_id, ids = await arrange_clients(uow_factory, clock, hasher, people(clock))
    answer = await sending(uow_factory, clock)(SENDER, command(department_id, ids))
    one, other = materialiser(uow_factory, clock, 100), materialiser(uow_factory, clock, 100)
    made = await asyncio.gather(one.drain(), other.drain())
    assert sum(made) == SIZE - 1
    progress = await sending(uow_factory, clock).progress(SENDER, answer.send_id, limit=10_000, offset=0)
    assert len(await communications(uow_factory, [a.uuid for a in progress.accepted])) == SIZE - 1
    assert await pending(uow_factory) == (0, SIZE - 1)


async def test_a_template_error_refuses_a_bulk_send_whole_and_stores_nothing(
    uow_factory: Any, clock: ManualClock, hasher: Any
) -> None:
    department_id, ids = await arrange_clients(uow_factory, clock, hasher, people(clock))
    with pytest.raises(ValidationFailed) as refused:
        await sending(uow_factory, clock)(SENDER, command(department_id, ids, text="Hi {{ nobody }}"))
    assert [e.field for e in refused.value.errors] == ["text"]
    assert await pending(uow_factory) == (0, 0)


async def test_a_template_that_breaks_on_a_later_client_fails_only_that_communication(
    uow_factory: Any, clock: ManualClock, hasher: Any
) -> None:
    # The accept renders for its first accepted client; client 7 has no last name to upper-case.
    clients = people(clock, last_name=lambda i: None if i == 7 else f"Last{i}")
    department_id, ids = await arrange_clients(uow_factory, clock, hasher, clients)
    use_case = sending(uow_factory, clock)
    text = "Dear {{ client.lastName.upper() }}"
    answer = await use_case(SENDER, command(department_id, ids, text=text))
    assert answer.accepted_count == SIZE - 1
    await materialiser(uow_factory, clock).drain()
    progress = await use_case.progress(SENDER, answer.send_id, limit=10_000, offset=0)
    assert progress.lifecycle == {PENDING_STATUS.value: SIZE - 2, LifecycleStatus.FAILED.value: 1}
    broken = next(a.uuid for a in progress.accepted if a.client_id == ids[7])
    found = (await communications(uow_factory, [broken]))[broken]
    assert found.failure_reason is not None and found.failure_reason.startswith("template: text:")
    async with uow_factory(read_only=True) as uow:
        stored = await uow.events.after(0, EventFilter(send_id=answer.send_id), 10_000)
    changes = [s.event for s in stored if isinstance(s.event, StatusChanged)]
    assert [(e.uuid, e.status) for e in changes] == [(broken, "failed")]
    sandbox = SandboxSender(clock)
    await dispatcher(uow_factory, clock, sandbox, batch=5_000).run_once()
    assert broken not in {m.uuid for m in sandbox.messages()}
    assert len(sandbox.messages()) == SIZE - 2


async def test_per_client_times_are_kept_pending_and_made(
    uow_factory: Any, clock: ManualClock, hasher: Any
) -> None:
    department_id, ids = await arrange_clients(uow_factory, clock, hasher, people(clock))
    at = {i: clock.now() + timedelta(hours=n % 3) for n, i in enumerate(ids)}
    body = SendCommand(
        type_id=1,
        department_id=department_id,
        content=Content(subject="Hi", text="Hello"),
        audience=Audience(recipients=tuple(ScheduledRecipient(client_id=i, at=at[i]) for i in ids)),
        channel_ids=(EMAIL,),
    )
    use_case = sending(uow_factory, clock)
    answer = await use_case(SENDER, body)
    progress = await use_case.progress(SENDER, answer.send_id, limit=10_000, offset=0)
    assert {a.client_id: a.scheduled_at for a in progress.accepted} == {i: at[i] for i in ids if i != ids[3]}
    await materialiser(uow_factory, clock).drain()
    found = await communications(uow_factory, [a.uuid for a in progress.accepted])
    assert {c.client_id: c.scheduled_at for c in found.values()} == {i: at[i] for i in ids if i != ids[3]}
    made = await use_case.progress(SENDER, answer.send_id, limit=10_000, offset=0)
    assert made.accepted == progress.accepted
