"""A single send stores what a send to an audience stores, and its setting reads what the
repositories read one by one (on PostgreSQL each is one statement of its own)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, time, timedelta
from typing import Any

from application.sending.store import QueuedMessage, SendRecord
from domain.clients import ChannelBlock, Client
from domain.communications import Communication, CommunicationKind, Direction
from domain.dictionaries import Channel, ChannelKind
from domain.organisation import WorkingDay
from domain.rules import QuietHours, QuietHoursPolicy, Rule
from tests.support.clock import ManualClock
from tests.support.sending import EMAIL, SENDER, SMS, arrange, arrange_clients, command, sending

UNSTORABLE = 2**40
"""An id no integer column holds: it names nothing, and reading it must not fail."""


def _stored(communication: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(communication).items() if k not in ("id", "uuid", "client_id", "history")}


async def test_a_single_send_stores_what_a_send_to_an_audience_stores(
    uow_factory: Any, clock: ManualClock, hasher: Any
) -> None:
    department_id, (alone, first, second) = await arrange(
        uow_factory, clock, hasher, ["alone@example.com", "first@example.com", "second@example.com"]
    )
    send = sending(uow_factory, clock)
    single = await send(SENDER, command(department_id, [alone]))
    audience = await send(SENDER, command(department_id, [first, second]))
    assert (single.accepted_count, single.refused_count) == (1, 0)
    (accepted,) = single.accepted or ()
    assert (accepted.client_id, accepted.channel_id) == (alone, EMAIL)
    async with uow_factory(read_only=True) as uow:
        record = await uow.sends.get(single.send_id)
        other = await uow.sends.get(audience.send_id)
        assert record is not None and other is not None
        assert (record.accepted_count, record.refused_count, record.channel_ids) == (1, 0, (EMAIL,))
        assert (record.type_id, record.department_id, record.actor) == (
            other.type_id,
            other.department_id,
            other.actor,
        )
        assert await uow.sends.accepted(single.send_id, limit=10, offset=0) == [accepted]
        counts = await uow.sends.counts(single.send_id)
        assert counts.lifecycle == {
            k: v // 2 for k, v in (await uow.sends.counts(audience.send_id)).lifecycle.items()
        }
        made = await uow.communications.get_by_uuid(accepted.uuid)
        (peer_item, _) = audience.accepted or ()
        peer = await uow.communications.get_by_uuid(peer_item.uuid)
        assert made is not None and peer is not None and made.client_id == alone
        assert _stored(made) == _stored(peer)
        history = [vars(h) for h in await uow.communications.history(made.id or 0)]
        assert history and history == [vars(h) for h in await uow.communications.history(peer.id or 0)]
        facts = await uow.sends.facts([alone, first], clock.now())
    assert facts[alone] == facts[first] and facts[alone].sent_today == 1
    async with uow_factory() as uow:
        claimed = await uow.dispatch.claim(
            now=clock.now() + timedelta(minutes=1),
            lease_until=clock.now() + timedelta(minutes=5),
            owner="test",
            limit=10,
        )
        await uow.commit()
    by_client = {c.message.client_id: c.message for c in claimed}
    mine, theirs = by_client[alone], by_client[first]
    assert mine.communication_id == made.id and mine.to == "alone@example.com"
    same = ("channel_id", "channel_kind", "due_at", "subject", "text", "html", "attempts")
    assert {n: getattr(mine, n) for n in same} == {n: getattr(theirs, n) for n in same}
    assert set(mine.headers) == set(theirs.headers) and accepted.uuid in mine.headers["Message-ID"]


async def test_a_sends_setting_is_what_the_repositories_read(
    uow_factory: Any, clock: ManualClock, hasher: Any
) -> None:
    department_id, _ = await arrange(uow_factory, clock, hasher, [])
    now = clock.now()
    stamps = {"department_id": department_id, "create_time": now, "update_time": now}
    async with uow_factory() as uow:
        department = await uow.departments.get(department_id)
        assert department is not None
        department.working_hours = [WorkingDay(weekday=0, opens=time(9), closes=time(17))]
        await uow.departments.update(department)
        for rule in (
            Rule(
                name="evenings",
                quiet_hours=QuietHours(time(21), time(8), QuietHoursPolicy.DROP),
                allowed_channel_ids=[EMAIL, SMS],
                channel_priority=[EMAIL],
                max_per_day=3,
                **stamps,
            ),
            Rule(name="off", active=False, **stamps),
            Rule(name="weekdays", allowed_weekdays=[0, 1, 2, 3, 4], min_interval_minutes=30, **stamps),
        ):
            await uow.rules.add(rule)
        await uow.commit()
    async with uow_factory() as uow:
        setting = await uow.sends.setting(department_id, 1, [SMS, EMAIL, 999, UNSTORABLE, SMS])
        department = await uow.departments.get(department_id)
        rules = await uow.sends.active_rules(department_id)
        channels: dict[int, Channel] = await uow.channels.get_many([SMS, EMAIL])
        assert setting.type_found and setting.department is not None and department is not None
        assert vars(setting.department) == vars(department)
        assert [vars(r) for r in setting.rules] == [vars(r) for r in rules]
        assert [r.name for r in setting.rules] == ["evenings", "weekdays"]
        assert {i: vars(c) for i, c in setting.channels.items()} == {i: vars(c) for i, c in channels.items()}
        missing = await uow.sends.setting(999, 999, [])
        assert (missing.department, missing.type_found, missing.rules, missing.channels) == (
            None,
            False,
            [],
            {},
        )
        unstorable = await uow.sends.setting(UNSTORABLE, UNSTORABLE, [UNSTORABLE])
        assert (unstorable.department, unstorable.type_found, unstorable.channels) == (None, False, {})


async def test_one_recipient_is_the_client_and_the_facts_read_apart(
    uow_factory: Any, clock: ManualClock, hasher: Any
) -> None:
    now = clock.now()
    full = Client(
        first_name="Иван",
        last_name="Petrov",
        birth_date=date(1990, 5, 17),
        phones=["+79161234567", "+79167654321"],
        email="ivan@example.com",
        social_media={"telegram": "@ivan"},
        language="ru",
        time_zone="Europe/Moscow",
        tags=["vip", "b"],
        create_time=now,
        update_time=now,
    )
    bare = Client(first_name="Bare", phones=[], available=False, create_time=now, update_time=now)
    department_id, (known, quiet) = await arrange_clients(uow_factory, clock, hasher, [full, bare])
    await sending(uow_factory, clock)(SENDER, command(department_id, [known]))
    async with uow_factory() as uow:
        await uow.channel_blocks.add(
            ChannelBlock(
                client_id=known, channel_id=SMS, until=None, reason="asked", create_time=now, update_time=now
            )
        )
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        for client_id in (known, quiet):
            client, facts = await uow.sends.one_recipient(client_id, now)
            alone = await uow.clients.get(client_id)
            assert client is not None and alone is not None and vars(client) == vars(alone)
            assert facts == (await uow.sends.facts([client_id], now)).get(client_id)
        assert facts is None  # the bare client has no facts at all
        client, facts = await uow.sends.one_recipient(known, now)
        assert facts is not None and facts.sent_today == 1 and [b.reason for b in facts.blocks] == ["asked"]
        assert await uow.sends.one_recipient(999_999, now) == (None, None)
        assert await uow.sends.one_recipient(UNSTORABLE, now) == (None, None)
        # Read with the setting (one statement on PostgreSQL): the same recipient, the same setting.
        alone = await uow.sends.setting(department_id, 1, [EMAIL, SMS])
        for client_id in (known, quiet, 999_999, UNSTORABLE):
            both = await uow.sends.setting(department_id, 1, [EMAIL, SMS], client_id=client_id, now=now)
            assert both.recipient is not None
            client, facts = both.recipient
            apart_client, apart_facts = await uow.sends.one_recipient(client_id, now)
            assert (client and vars(client)) == (apart_client and vars(apart_client)) and facts == apart_facts
            assert vars(both.department) == vars(alone.department) and both.type_found == alone.type_found
            assert [vars(r) for r in both.rules] == [vars(r) for r in alone.rules]
            assert {i: vars(c) for i, c in both.channels.items()} == {
                i: vars(c) for i, c in alone.channels.items()
            }


async def test_an_idempotency_key_finds_its_send_within_the_window_and_is_free_after(
    uow_factory: Any, clock: ManualClock, hasher: Any
) -> None:
    department_id, (client_id,) = await arrange(uow_factory, clock, hasher, ["key@example.com"])
    send = sending(uow_factory, clock)
    keyed = replace(command(department_id, [client_id]), idempotency_key="order-7")
    first = await send(SENDER, keyed)
    assert (await send(SENDER, keyed)).send_id == first.send_id
    async with uow_factory(read_only=True) as uow:
        found = await uow.sends.get(first.send_id)
        assert await uow.sends.find_by_key("order-7", clock.now() - timedelta(hours=24)) == found
        assert await uow.sends.find_by_key("order-8", clock.now() - timedelta(hours=24)) is None
    clock.advance(hours=25)
    later = await send(SENDER, keyed)
    assert later.send_id != first.send_id and later.accepted_count == 1


def _one_send(clock: ManualClock, department_id: int, client_id: int) -> tuple[Any, ...]:
    """A send of one communication as the send use case gives it to storage."""
    now = clock.now()
    communication = Communication.opener(
        kind=CommunicationKind.PLANNED,
        direction=Direction.OUTBOUND,
        type_id=1,
        at=now,
        actor="test",
        department_id=department_id,
    )(
        uuid=str(uuid.uuid4()),
        channel_id=EMAIL,
        client_id=client_id,
        subject="Hi",
        content="Hello",
        scheduled_at=None,
    )
    message = QueuedMessage(
        communication_id=0,
        uuid=communication.uuid,
        client_id=client_id,
        channel_id=EMAIL,
        channel_kind=ChannelKind.EMAIL,
        due_at=now,
        to="alone@example.com",
        subject="Hi",
        text="Hello",
    )
    record = SendRecord(
        idempotency_key=None,
        fingerprint="f",
        type_id=1,
        department_id=department_id,
        actor="test",
        accepted_count=1,
        refused_count=0,
        create_time=now,
        channel_ids=(EMAIL,),
    )
    return record, [communication], [message], []


async def test_a_sends_last_write_is_stored_by_the_units_commit(
    uow_factory: Any, clock: ManualClock, hasher: Any
) -> None:
    department_id, (alone,) = await arrange(uow_factory, clock, hasher, ["alone@example.com"])
    record, planned, queued, refused = _one_send(clock, department_id, alone)
    async with uow_factory() as uow:
        stored = await uow.sends.add(record, planned, queued, refused, last_write=True)
        await uow.commit()
    async with uow_factory(read_only=True) as uow:
        assert await uow.sends.get(stored.id or 0) == stored
        made = await uow.communications.get_by_uuid(planned[0].uuid)
        assert made is not None and made.id == planned[0].id
        assert [a.uuid for a in await uow.sends.accepted(stored.id or 0, limit=10, offset=0)] == [made.uuid]
        assert (await uow.sends.facts([alone], clock.now()))[alone].sent_today == 1


async def test_a_sends_last_write_joins_the_transaction_an_earlier_write_opened(
    uow_factory: Any, clock: ManualClock, hasher: Any
) -> None:
    department_id, (alone,) = await arrange(uow_factory, clock, hasher, ["alone@example.com"])
    record, planned, queued, refused = _one_send(clock, department_id, alone)
    now = clock.now()
    async with uow_factory() as uow:
        earlier = await uow.clients.add(
            Client(first_name="Olga", email="olga@example.com", phones=[], create_time=now, update_time=now)
        )
        stored = await uow.sends.add(record, planned, queued, refused, last_write=True)
        # Left without a commit: the unit's rollback undoes the earlier write and the send alike.
    async with uow_factory(read_only=True) as uow:
        assert await uow.clients.get(earlier.id or 0) is None
        assert await uow.sends.get(stored.id or 0) is None
        assert await uow.communications.get_by_uuid(planned[0].uuid) is None
        assert alone not in await uow.sends.facts([alone], clock.now())
