"""The sandbox ChannelSender: accepts every message, keeps it, and reports statuses a moment later.

Documented recipients make it answer like a real provider's failures (as Twilio's test numbers do):

* an email whose local part is ``bounce``: delivery ``undelivered`` (lifecycle ``failed``);
* an email whose local part is ``reply``: ``delivered``, then ``responded`` with a canned reply;
* a phone number ending in ``0000``: refused at once, delivery ``failed``;
* anyone else: ``delivered``, and ``read`` on messengers and push.

A worker sends hundreds of thousands of messages, and the sandbox keeps them (the newest
``capacity``, 100,000 by default) for ``GET /api/v1/sandbox/messages``. Each is kept compactly: its
filter keys beside one msgspec-encoded blob of the rest, about a third of the memory of the
objects, decoded only when read. Polling rebuilds a message's plan from it, instead of keeping
every planned report.
"""

from __future__ import annotations

import heapq
import itertools
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

import msgspec

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


class _Kept(NamedTuple):
    """A kept message: what the filters read, and the rest encoded (``_Body``)."""

    number: int
    uuid: str
    client_id: int | None
    channel_id: int
    body: bytes


_Body = tuple[str, str | None, str, str | None, dict[str, str], datetime, ChannelKind]
"""``to``, ``subject``, ``text``, ``html``, ``headers``, ``sent_at``, ``channel_kind``."""

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder(_Body).decode


def _provider_message_id(number: int, uuid: str) -> str:
    return f"sandbox-{number}-{uuid}"


def _number_of(provider_message_id: str) -> int | None:
    prefix, _, rest = provider_message_id.partition("-")
    number, _, _ = rest.partition("-")
    return int(number) if prefix == PROVIDER and number.isdigit() else None


class SandboxSender:
    """One sandbox for every channel kind; ``capacity`` bounds the kept messages (oldest go first)."""

    provider = PROVIDER
    polls = True

    def __init__(
        self, clock: Clock, *, delay: timedelta = timedelta(seconds=1), capacity: int = 100_000
    ) -> None:
        self._clock = clock
        self._delay = delay
        self._kept: deque[_Kept] = deque(maxlen=capacity)
        self._pending: list[tuple[datetime, int, StatusReport]] = []
        self._numbers = itertools.count(1)
        self._order = itertools.count()

    async def send(self, message: OutgoingMessage) -> SendResult:
        now = self._clock.now()
        if unreachable_phone(message):
            return SendResult.rejected(f"sandbox: the number {message.to} is not reachable")
        number = next(self._numbers)
        body = (message.to, message.subject, message.text, message.html, dict(message.headers), now)
        self._kept.append(
            _Kept(
                number,
                message.uuid,
                message.client_id,
                message.channel_id,
                _encode((*body, message.channel_kind)),
            )
        )
        provider_message_id = _provider_message_id(number, message.uuid)
        for report in self._plan(message, provider_message_id, now):
            heapq.heappush(self._pending, (report.at, next(self._order), report))
        return SendResult.sent(provider_message_id)

    def _plan(
        self, message: OutgoingMessage, provider_message_id: str, sent_at: datetime
    ) -> Iterator[StatusReport]:
        for step, (status, note) in enumerate(planned_outcome(message), start=1):
            reply = note if status is DeliveryStatus.RESPONDED else None
            yield StatusReport(
                provider=PROVIDER,
                provider_message_id=provider_message_id,
                status=status,
                at=sent_at + self._delay * step,
                uuid=message.uuid,
                reason=None if reply else note,
                reply=reply,
            )

    async def take_reports(self, now: datetime) -> list[StatusReport]:
        taken: list[StatusReport] = []
        while self._pending and self._pending[0][0] <= now:
            _, _, report = heapq.heappop(self._pending)
            taken.append(report)
        return taken

    async def statuses(self, provider_message_ids: Sequence[str]) -> list[StatusReport]:
        """The latest status due by now of each kept message; the pushed feed still reports them too."""
        now = self._clock.now()
        found: list[StatusReport] = []
        for provider_message_id in provider_message_ids:
            kept = self._find(provider_message_id)
            if kept is None:
                continue
            to, _, _, _, _, sent_at, kind = _decode(kept.body)
            message = OutgoingMessage(
                uuid=kept.uuid, client_id=kept.client_id, channel_id=kept.channel_id, channel_kind=kind, to=to
            )
            due = [r for r in self._plan(message, provider_message_id, sent_at) if r.at <= now]
            if due:
                found.append(due[-1])
        return found

    def _find(self, provider_message_id: str) -> _Kept | None:
        # Numbers are consecutive in the deque: the position is the number less the oldest one's.
        number = _number_of(provider_message_id)
        if number is None or not self._kept:
            return None
        position = number - self._kept[0].number
        if not 0 <= position < len(self._kept):
            return None
        kept = self._kept[position]
        return kept if _provider_message_id(kept.number, kept.uuid) == provider_message_id else None

    def messages(
        self, *, client_id: int | None = None, uuid: str | None = None, channel_id: int | None = None
    ) -> list[SandboxMessage]:
        """The kept messages, newest first, narrowed by the given filters."""
        found, _ = self.page(client_id=client_id, uuid=uuid, channel_id=channel_id, limit=len(self._kept))
        return found

    def page(
        self,
        *,
        client_id: int | None = None,
        uuid: str | None = None,
        channel_id: int | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[SandboxMessage], int]:
        """One page of ``messages`` and how many match in all; only the page's messages are decoded."""
        matching = [
            k
            for k in reversed(self._kept)
            if (client_id is None or k.client_id == client_id)
            and (uuid is None or k.uuid == uuid)
            and (channel_id is None or k.channel_id == channel_id)
        ]
        return [_unpacked(k) for k in matching[offset : offset + limit]], len(matching)


def _unpacked(kept: _Kept) -> SandboxMessage:
    to, subject, text, html, headers, sent_at, _ = _decode(kept.body)
    return SandboxMessage(
        provider_message_id=_provider_message_id(kept.number, kept.uuid),
        uuid=kept.uuid,
        client_id=kept.client_id,
        channel_id=kept.channel_id,
        to=to,
        subject=subject,
        text=text,
        html=html,
        headers=headers,
        sent_at=sent_at,
    )
