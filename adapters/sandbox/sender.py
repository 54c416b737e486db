"""The sandbox ChannelSender: accepts every message, keeps it, and reports statuses a moment later.

Documented recipients make it answer like a real provider's failures (as Twilio's test numbers do):

* an email whose local part is ``bounce``: delivery ``undelivered`` (lifecycle ``failed``);
* an email whose local part is ``reply``: ``delivered``, then ``responded`` with a canned reply;
* a phone number ending in ``0000``: refused at once, delivery ``failed``;
* anyone else: ``delivered``, and ``read`` on messengers and push.
"""

from __future__ import annotations

import heapq
import itertools
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from application.ports import Clock
from application.sending.ports import OutgoingMessage, SendResult, StatusReport
from domain.communications import DeliveryStatus
from domain.dictionaries import ChannelKind

PROVIDER = "sandbox"
CANNED_REPLY = "Thank you, received. (a sandbox reply)"
_READ_RECEIPTS = frozenset({ChannelKind.MESSENGER, ChannelKind.PUSH})


@dataclass(frozen=True, kw_only=True)
class SandboxMessage:
    """A message as its recipient would get it."""

    provider_message_id: str
    uuid: str
    client_id: int | None
    channel_id: int
    to: str
    subject: str | None
    text: str
    html: str | None
    headers: dict[str, str] = field(default_factory=dict)
    sent_at: datetime


def planned_outcome(message: OutgoingMessage) -> list[tuple[DeliveryStatus, str | None]]:
    """The statuses the sandbox will report for ``message``, in order, with their reasons."""
    to = message.to.strip().lower()
    if message.channel_kind is ChannelKind.EMAIL:
        local = to.split("@", 1)[0]
        if local == "bounce":
            return [(DeliveryStatus.UNDELIVERED, f"sandbox: the mailbox {message.to} does not exist")]
        if local == "reply":
            return [(DeliveryStatus.DELIVERED, None), (DeliveryStatus.RESPONDED, CANNED_REPLY)]
    if message.channel_kind in _READ_RECEIPTS:
        return [(DeliveryStatus.DELIVERED, None), (DeliveryStatus.READ, None)]
    return [(DeliveryStatus.DELIVERED, None)]


def unreachable_phone(message: OutgoingMessage) -> bool:
    return message.to.startswith("+") and message.to.endswith("0000")


class SandboxSender:
    """One sandbox for every channel kind; ``capacity`` bounds the kept messages (oldest go first)."""

    provider = PROVIDER
    polls = True

    def __init__(
        self, clock: Clock, *, delay: timedelta = timedelta(seconds=1), capacity: int = 100_000
    ) -> None:
        self._clock = clock
        self._delay = delay
        self._messages: deque[SandboxMessage] = deque(maxlen=capacity)
        self._capacity = capacity
        self._pending: list[tuple[datetime, int, StatusReport]] = []
        self._planned: dict[str, list[StatusReport]] = {}
        self._ids = itertools.count(1)
        self._order = itertools.count()

    async def send(self, message: OutgoingMessage) -> SendResult:
        now = self._clock.now()
        if unreachable_phone(message):
            return SendResult.rejected(f"sandbox: the number {message.to} is not reachable")
        provider_message_id = f"sandbox-{next(self._ids)}-{message.uuid}"
        self._messages.append(
            SandboxMessage(
                provider_message_id=provider_message_id,
                uuid=message.uuid,
                client_id=message.client_id,
                channel_id=message.channel_id,
                to=message.to,
                subject=message.subject,
                text=message.text,
                html=message.html,
                headers=dict(message.headers),
                sent_at=now,
            )
        )
        planned = self._planned[provider_message_id] = []
        # Polling reads the plan, so it never takes a report from the pushed feed.
        while len(self._planned) > self._capacity:
            del self._planned[next(iter(self._planned))]
        for step, (status, note) in enumerate(planned_outcome(message), start=1):
            due = now + self._delay * step
            reply = note if status is DeliveryStatus.RESPONDED else None
            reason = None if reply else note
            report = StatusReport(
                provider=PROVIDER,
                provider_message_id=provider_message_id,
                status=status,
                at=due,
                uuid=message.uuid,
                reason=reason,
                reply=reply,
            )
            heapq.heappush(self._pending, (due, next(self._order), report))
            planned.append(report)
        return SendResult.sent(provider_message_id)

    async def take_reports(self, now: datetime) -> list[StatusReport]:
        taken: list[StatusReport] = []
        while self._pending and self._pending[0][0] <= now:
            _, _, report = heapq.heappop(self._pending)
            taken.append(report)
        return taken

    async def statuses(self, provider_message_ids: Sequence[str]) -> list[StatusReport]:
        """The latest status due by now of each message; the pushed feed still reports them too."""
        now = self._clock.now()
        found: list[StatusReport] = []
        for i in provider_message_ids:
            due = [r for r in self._planned.get(i, ()) if r.at <= now]
            if due:
                found.append(due[-1])
        return found

    def messages(
        self, *, client_id: int | None = None, uuid: str | None = None, channel_id: int | None = None
    ) -> list[SandboxMessage]:
        """The kept messages, newest first, narrowed by the given filters."""
        return [
            m
            for m in reversed(self._messages)
            if (client_id is None or m.client_id == client_id)
            and (uuid is None or m.uuid == uuid)
            and (channel_id is None or m.channel_id == channel_id)
        ]
