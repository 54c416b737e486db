"""The sandbox provider: keeps every message and reports the documented outcomes a moment later."""

from __future__ import annotations

from datetime import timedelta

from adapters.sandbox.sender import CANNED_REPLY, SandboxSender
from application.sending.ports import OutgoingMessage, SendOutcome
from domain.communications import DeliveryStatus
from domain.dictionaries import ChannelKind
from tests.support.clock import ManualClock

UUID = "6f1c2a4e-6f0b-4d7e-9a51-0d7f3c1b2a90"


def message(
    to: str, kind: ChannelKind = ChannelKind.EMAIL, *, client_id: int = 7, uuid: str = UUID
) -> OutgoingMessage:
    return OutgoingMessage(
        uuid=uuid,
        client_id=client_id,
        channel_id=3 if kind is ChannelKind.EMAIL else 1,
        channel_kind=kind,
        to=to,
        subject="Hi",
        text="Hello",
        html="<p>Hello</p>",
        headers={"List-Unsubscribe": "<http://x/unsubscribe/t>"},
    )


async def statuses_after(
    to: str, kind: ChannelKind = ChannelKind.EMAIL
) -> list[tuple[DeliveryStatus, str | None]]:
    clock = ManualClock()
    sandbox = SandboxSender(clock, delay=timedelta(seconds=1))
    result = await sandbox.send(message(to, kind))
    assert result.outcome is SendOutcome.SENT
    assert await sandbox.take_reports(clock.now()) == []  # nothing before the moment has passed
    clock.advance(seconds=5)
    return [(r.status, r.reason or r.reply) for r in await sandbox.take_reports(clock.now())]


async def test_an_ordinary_email_is_delivered_a_moment_later() -> None:
    assert await statuses_after("ivan@example.com") == [(DeliveryStatus.DELIVERED, None)]


async def test_an_email_to_bounce_is_undelivered_with_a_reason() -> None:
    [(status, reason)] = await statuses_after("bounce@example.com")
    assert status is DeliveryStatus.UNDELIVERED
    assert reason is not None and "does not exist" in reason


async def test_an_email_to_reply_is_delivered_then_responded_with_a_canned_reply() -> None:
    assert await statuses_after("Reply@example.com") == [
        (DeliveryStatus.DELIVERED, None),
        (DeliveryStatus.RESPONDED, CANNED_REPLY),
    ]


async def test_messengers_and_push_are_also_read() -> None:
    for kind in (ChannelKind.MESSENGER, ChannelKind.PUSH):
        assert [s for s, _ in await statuses_after("@ivan", kind)] == [
            DeliveryStatus.DELIVERED,
            DeliveryStatus.READ,
        ]


async def test_a_phone_ending_in_0000_fails_at_once_and_is_not_kept() -> None:
    sandbox = SandboxSender(ManualClock())
    result = await sandbox.send(message("+79990000000", ChannelKind.SMS))
    assert (result.outcome, result.delivery_status) == (SendOutcome.REJECTED, DeliveryStatus.FAILED)
    assert sandbox.messages() == []
    assert (await sandbox.send(message("+79991234567", ChannelKind.SMS))).outcome is SendOutcome.SENT


async def test_kept_messages_are_filtered_and_newest_first() -> None:
    sandbox = SandboxSender(ManualClock())
    other = "0b9f8a7c-1d2e-4f3a-8b6c-5d4e3f2a1b0c"
    await sandbox.send(message("a@example.com", client_id=1))
    await sandbox.send(message("+79991234567", ChannelKind.SMS, client_id=2, uuid=other))
    assert [m.to for m in sandbox.messages()] == ["+79991234567", "a@example.com"]
    [kept] = sandbox.messages(client_id=1)
    assert kept.headers == {"List-Unsubscribe": "<http://x/unsubscribe/t>"}
    assert [m.uuid for m in sandbox.messages(uuid=other, channel_id=1)] == [other]
    assert sandbox.messages(client_id=1, channel_id=1) == []


async def test_polling_answers_the_latest_reported_status() -> None:
    clock = ManualClock()
    sandbox = SandboxSender(clock, delay=timedelta(seconds=1))
    sent = await sandbox.send(message("reply@example.com"))
    assert sent.provider_message_id is not None
    assert await sandbox.statuses([sent.provider_message_id]) == []
    clock.advance(seconds=1)
    [first] = await sandbox.statuses([sent.provider_message_id])
    clock.advance(seconds=1)
    [second] = await sandbox.statuses([sent.provider_message_id, "unknown"])
    assert (first.status, second.status) == (DeliveryStatus.DELIVERED, DeliveryStatus.RESPONDED)


async def test_reports_come_out_in_the_order_they_fall_due_across_messages() -> None:
    clock = ManualClock()
    sandbox = SandboxSender(clock, delay=timedelta(seconds=10))
    await sandbox.send(message("@a", ChannelKind.MESSENGER))  # delivered at 10 s, read at 20 s
    clock.advance(seconds=5)
    await sandbox.send(message("b@example.com"))  # delivered at 15 s
    clock.advance(seconds=20)
    reports = await sandbox.take_reports(clock.now())
    assert [r.at for r in reports] == sorted(r.at for r in reports)
    assert len(reports) == 3


async def test_only_the_newest_capacity_messages_are_kept_and_polled() -> None:
    clock = ManualClock()
    sandbox = SandboxSender(clock, delay=timedelta(seconds=1), capacity=2)
    uuids = [f"0b9f8a7c-1d2e-4f3a-8b6c-5d4e3f2a1b0{i}" for i in range(3)]
    sent = [await sandbox.send(message(f"c{i}@example.com", uuid=u)) for i, u in enumerate(uuids)]
    assert [m.uuid for m in sandbox.messages()] == [uuids[2], uuids[1]]
    clock.advance(seconds=1)
    ids = [s.provider_message_id or "" for s in sent]
    assert [r.uuid for r in await sandbox.statuses(ids)] == [uuids[1], uuids[2]]
    # A made-up number in a kept position is not that message.
    assert await sandbox.statuses([ids[2].replace(uuids[2], uuids[0]), "sandbox-x-y", "other"]) == []


async def test_a_page_decodes_only_its_messages_and_counts_every_match() -> None:
    sandbox = SandboxSender(ManualClock())
    for i in range(5):
        await sandbox.send(message(f"c{i}@example.com", client_id=1 + i % 2))
    found, total = sandbox.page(client_id=1, limit=2, offset=1)
    assert ([m.to for m in found], total) == (["c2@example.com", "c0@example.com"], 3)
    assert found[0].sent_at == sandbox.messages()[0].sent_at
