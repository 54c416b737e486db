"""Sends in memory: the same behaviour as the SQL tables, for use-case tests and the sandbox mode."""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from adapters.memory.communications import CommunicationTables
from adapters.memory.repositories import Table
from application.sending.commands import AcceptedItem, RefusedItem
from application.sending.store import (
    NO_COUNTS,
    PENDING_STATUS,
    Counts,
    FallbackOrigin,
    PendingRecipient,
    QueuedMessage,
    SendContent,
    SendFacts,
    SendRecord,
    SendSetting,
)
from domain.clients import Booking, ChannelBlock, Client
from domain.communications import Communication
from domain.rules import Rule


class _CommunicationIds(Protocol):
    """The memory communications' ids taken ahead, and their storing with them."""

    def take_ids(self, count: int) -> list[int]: ...

    async def add_many(
        self, communications: Sequence[Communication], *, keep_ids: bool = False
    ) -> list[Communication]: ...


@dataclass(frozen=True, kw_only=True)
class QueueEntry:
    """A dispatch queue row: the message and its dispatch state."""

    message: QueuedMessage
    send_id: int | None
    pending: bool = True
    lease_until: datetime | None = None
    lease_owner: str | None = None
    last_error: str | None = None


@dataclass
class SendTables:
    """Everything stored about sends; the unit of work copies it per transaction."""

    sends: dict[int, SendRecord] = field(default_factory=dict)
    refusals: dict[int, list[RefusedItem]] = field(default_factory=dict)
    queue: dict[int, QueueEntry] = field(default_factory=dict)
    """By communication id."""
    days: dict[tuple[int, date], int] = field(default_factory=dict)
    last: dict[int, datetime] = field(default_factory=dict)
    open: dict[int, int] = field(default_factory=dict)
    """By send id: its communications not yet in a final state."""
    contents: dict[int, SendContent] = field(default_factory=dict)
    pending: dict[int, PendingRecipient] = field(default_factory=dict)
    """A bulk send's recipients whose communications are not made yet, by communication id."""
    next_id: int = 1

    def copy(self) -> SendTables:
        # Values are frozen or replaced whole, so shallow copies keep transactions apart.
        return SendTables(
            sends=dict(self.sends),
            refusals={k: list(v) for k, v in self.refusals.items()},
            queue=dict(self.queue),
            days=dict(self.days),
            last=dict(self.last),
            open=dict(self.open),
            contents=dict(self.contents),
            pending=dict(self.pending),
            next_id=self.next_id,
        )


class MemorySends:
    def __init__(
        self,
        tables: SendTables,
        entities: Mapping[str, Table[Any]],
        memberships: Callable[[], Mapping[int, frozenset[int]]],
        communications: Callable[[], CommunicationTables],
        add_communications: Callable[[Sequence[Communication]], Awaitable[list[Communication]]],
        communication_ids: _CommunicationIds,
    ) -> None:
        self._add_communications = add_communications
        self._ids = communication_ids
        self._t = tables
        self._entities = entities
        self._memberships = memberships
        self._communications = communications

    async def active_rules(self, department_id: int) -> list[Rule]:
        rows: dict[int, Rule] = self._entities["rules"].rows
        return [r for _, r in sorted(rows.items()) if r.department_id == department_id and r.active]

    async def setting(
        self,
        department_id: int,
        type_id: int,
        channel_ids: Sequence[int],
        *,
        client_id: int | None = None,
        now: datetime | None = None,
    ) -> SendSetting:
        department = self._entities["departments"].rows.get(department_id)
        channels = self._entities["channels"].rows
        recipient = None
        if client_id is not None:
            assert now is not None, "a recipient's facts are of a moment"
            recipient = await self.one_recipient(client_id, now)
        return SendSetting(
            recipient=recipient,
            department=copy.deepcopy(department),
            type_found=type_id in self._entities["communication_types"].rows,
            rules=copy.deepcopy(await self.active_rules(department_id)),
            channels={i: copy.deepcopy(channels[i]) for i in set(channel_ids) if i in channels},
        )

    async def clients(self, client_ids: Sequence[int]) -> dict[int, Client]:
        rows: dict[int, Client] = self._entities["clients"].rows
        return {i: copy.deepcopy(rows[i]) for i in dict.fromkeys(client_ids) if i in rows}

    async def one_recipient(self, client_id: int, now: datetime) -> tuple[Client | None, SendFacts | None]:
        client = self._entities["clients"].rows.get(client_id)
        return copy.deepcopy(client), (await self.facts([client_id], now)).get(client_id)

    async def group_members(self, group_id: int) -> list[int]:
        return sorted(self._memberships().get(group_id, frozenset()))

    async def project_clients(self, project_id: int) -> list[int]:
        rows: dict[int, Client] = self._entities["clients"].rows
        return sorted(i for i, c in rows.items() if c.project_id == project_id)

    async def facts(self, client_ids: Sequence[int], now: datetime) -> dict[int, SendFacts]:
        wanted = set(client_ids)
        blocks: dict[int, list[ChannelBlock]] = defaultdict(list)
        for block in self._entities["channel_blocks"].rows.values():
            if block.client_id in wanted and block.is_active(now):
                blocks[block.client_id].append(block)
        held: dict[int, list[Booking]] = defaultdict(list)
        for booking in self._entities["bookings"].rows.values():
            if booking.client_id in wanted and booking.holds(now):
                held[booking.client_id].append(booking)
        today: dict[int, int] = defaultdict(int)
        week: dict[int, int] = defaultdict(int)
        for (client_id, day), count in self._t.days.items():
            if client_id in wanted and day > now.date() - timedelta(days=7):
                week[client_id] += count
                if day == now.date():
                    today[client_id] += count
        last = {c: at for c, at in self._t.last.items() if c in wanted}
        pushes = {
            s.client_id for s in self._entities["push_subscriptions"].rows.values() if s.client_id in wanted
        }
        chats = {
            k.client_id
            for k in self._entities["telegram_links"].rows.values()
            if k.client_id in wanted and k.chat_id is not None
        }
        return {
            i: SendFacts(
                blocks=tuple(blocks.get(i, ())),
                bookings=tuple(held.get(i, ())),
                sent_today=today.get(i, 0),
                sent_this_week=week.get(i, 0),
                last_sent_at=last.get(i),
                has_push_subscription=i in pushes,
                has_linked_chat=i in chats,
            )
            for i in set(blocks) | set(held) | set(week) | set(last) | pushes | chats
        }

    async def find_by_key(self, idempotency_key: str, since: datetime) -> SendRecord | None:
        for send_id, record in self._t.sends.items():
            if record.idempotency_key == idempotency_key:
                if record.create_time < since:
                    self._t.sends[send_id] = replace(record, idempotency_key=None)
                    return None
                return record
        return None

    async def get(self, send_id: int) -> SendRecord | None:
        return self._t.sends.get(send_id)

    async def add(
        self,
        record: SendRecord,
        communications: Sequence[Communication],
        queued: Sequence[QueuedMessage],
        refused: Sequence[RefusedItem],
        *,
        last_write: bool = False,
    ) -> SendRecord:
        stored = self._stored(record, refused)
        assert stored.id is not None
        await self.add_fallbacks([stored.id] * len(communications), communications, queued)
        return stored

    def _stored(self, record: SendRecord, refused: Sequence[RefusedItem]) -> SendRecord:
        send_id = self._t.next_id
        self._t.next_id += 1
        stored = self._t.sends[send_id] = replace(record, id=send_id)
        self._t.refusals[send_id] = list(refused)
        return stored

    async def add_pending(
        self,
        record: SendRecord,
        content: SendContent,
        pending: Sequence[PendingRecipient],
        refused: Sequence[RefusedItem],
    ) -> SendRecord:
        stored = self._stored(record, refused)
        send_id = stored.id
        assert send_id is not None
        self._t.contents[send_id] = content
        self._t.open[send_id] = len(pending)
        for new_id, p in zip(self._ids.take_ids(len(pending)), pending, strict=True):
            self._t.pending[new_id] = replace(p, communication_id=new_id, send_id=send_id)
            self._count(p.client_id, p.scheduled_at or record.create_time)
        return stored

    async def take_pending(self, limit: int) -> list[PendingRecipient]:
        return [self._t.pending.pop(i) for i in sorted(self._t.pending)[:limit]]

    async def contents(self, send_ids: Collection[int]) -> dict[int, tuple[SendRecord, SendContent]]:
        return {i: (self._t.sends[i], self._t.contents[i]) for i in send_ids if i in self._t.contents}

    async def materialise(
        self,
        send_ids: Sequence[int],
        communications: Sequence[Communication],
        queued: Sequence[QueuedMessage],
    ) -> None:
        if not communications:
            return
        await self._ids.add_many(communications, keep_ids=True)
        self._enqueue(send_ids, communications, queued)  # counted open and sent at the accept

    async def pending_total(self) -> int:
        return len(self._t.pending)

    def _count(self, client_id: int | None, at: datetime) -> None:
        if client_id is None:
            return
        key = (client_id, at.date())
        self._t.days[key] = self._t.days.get(key, 0) + 1
        if self._t.last.get(client_id, at) <= at:
            self._t.last[client_id] = at

    async def add_fallbacks(
        self,
        send_ids: Sequence[int],
        communications: Sequence[Communication],
        queued: Sequence[QueuedMessage],
    ) -> None:
        if not communications:
            return
        await self._add_communications(communications)
        for send_id, message in zip(send_ids, self._enqueue(send_ids, communications, queued), strict=True):
            self._t.open[send_id] = self._t.open.get(send_id, 0) + 1
            self._count(message.client_id, message.due_at)

    def _enqueue(
        self,
        send_ids: Sequence[int],
        communications: Sequence[Communication],
        queued: Sequence[QueuedMessage],
    ) -> list[QueuedMessage]:
        """Queue each stored communication's message under its id and send; the messages queued."""
        messages = [
            replace(q, communication_id=c.id or 0) for c, q in zip(communications, queued, strict=True)
        ]
        for send_id, message in zip(send_ids, messages, strict=True):
            self._t.queue[message.communication_id] = QueueEntry(message=message, send_id=send_id)
        return messages

    async def fallback_origins(self, communication_ids: Sequence[int]) -> dict[int, FallbackOrigin]:
        followed = {c.fallback_of for c in self._communications().rows.values() if c.fallback_of is not None}
        found: dict[int, FallbackOrigin] = {}
        for i in communication_ids:
            entry = self._t.queue.get(i)
            if entry is None or entry.send_id is None or entry.send_id not in self._t.sends:
                continue
            found[i] = FallbackOrigin(
                send_id=entry.send_id,
                channel_ids=self._t.sends[entry.send_id].channel_ids,
                message=entry.message,
                has_fallback=i in followed,
            )
        return found

    def _of(self, send_id: int) -> list[QueueEntry]:
        return [e for _, e in sorted(self._t.queue.items()) if e.send_id == send_id]

    async def accepted(self, send_id: int, *, limit: int, offset: int) -> list[AcceptedItem]:
        items = {
            e.message.communication_id: AcceptedItem(
                e.message.client_id or 0, e.message.uuid, e.message.channel_id, e.message.due_at
            )
            for e in self._of(send_id)
        }
        record = self._t.sends.get(send_id)
        for i, p in self._t.pending.items():
            if p.send_id == send_id and record is not None:
                at = p.scheduled_at or record.create_time
                items[i] = AcceptedItem(p.client_id, p.uuid, p.channel_id, at)
        return [items[i] for i in sorted(items)[offset : offset + limit]]

    async def refused(self, send_id: int, *, limit: int, offset: int) -> list[RefusedItem]:
        return self._t.refusals.get(send_id, [])[offset : offset + limit]

    async def counts(self, send_id: int) -> Counts:
        return (await self.counts_of_sends([send_id])).get(send_id, NO_COUNTS)

    async def counts_of_sends(self, send_ids: Sequence[int]) -> dict[int, Counts]:
        rows = self._communications().rows
        wanted = set(send_ids)
        statuses: dict[int, list[tuple[object, object | None, int]]] = defaultdict(list)
        for entry in self._t.queue.values():
            communication = rows.get(entry.message.communication_id)
            if entry.send_id in wanted and communication is not None:  # a deleted one is not counted
                statuses[entry.send_id].append((communication.status.value, communication.delivery_status, 1))
        for p in self._t.pending.values():
            if p.send_id in wanted:
                statuses[p.send_id].append((PENDING_STATUS.value, None, 1))
        return {send_id: Counts.tally(of_send) for send_id, of_send in statuses.items()}

    async def send_ids(self, communication_ids: Sequence[int]) -> dict[int, int]:
        found = {i: self._t.queue.get(i) for i in communication_ids}
        return {i: e.send_id for i, e in found.items() if e is not None and e.send_id is not None}

    async def finish(self, finished: Mapping[int, int]) -> list[int]:
        done: list[int] = []
        for send_id, count in sorted(finished.items()):
            if send_id not in self._t.open:
                continue
            self._t.open[send_id] -= count
            if self._t.open[send_id] == 0:
                done.append(send_id)
        return done
