"""What the send request and the dispatcher need from storage: set-based reads and bulk writes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from application.sending.commands import AcceptedItem, RefusedItem
from application.sending.ports import OutgoingMessage
from domain.clients import Booking, ChannelBlock, Client
from domain.communications import Communication, CommunicationKind
from domain.communications.statuses import initial_status
from domain.dictionaries import Channel, ChannelKind
from domain.organisation import Department
from domain.rules import Rule


@dataclass(frozen=True, kw_only=True)
class SendRecord:
    """One accepted send request; its lists live in their own tables."""

    id: int | None = None
    idempotency_key: str | None
    fingerprint: str
    type_id: int
    department_id: int | None
    actor: str
    accepted_count: int
    refused_count: int
    create_time: datetime
    channel_ids: tuple[int, ...] = ()
    """The request's channel priority list; a communication that fails finally tries the next one."""


@dataclass(frozen=True, kw_only=True)
class QueuedMessage:
    """A communication waiting for the dispatcher, with what the provider needs to send it."""

    communication_id: int
    uuid: str
    client_id: int | None
    channel_id: int
    channel_kind: ChannelKind
    due_at: datetime
    to: str
    subject: str | None = None
    text: str = ""
    html: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    attempts: int = 0

    def outgoing(self) -> OutgoingMessage:
        return OutgoingMessage(
            uuid=self.uuid,
            client_id=self.client_id,
            channel_id=self.channel_id,
            channel_kind=self.channel_kind,
            to=self.to,
            subject=self.subject,
            text=self.text,
            html=self.html,
            headers=self.headers,
        )


@dataclass(frozen=True, kw_only=True)
class PendingRecipient:
    """A bulk send's accepted client whose communication is not made yet (the materialiser makes
    it): decided at the accept, with its uuid and communication id given then."""

    communication_id: int
    """Taken ahead from the communications' ids (0 until the send is stored): the communication
    is made with it, so a batch made twice collides instead of duplicating."""
    send_id: int
    uuid: str
    client_id: int
    channel_id: int
    scheduled_at: datetime | None = None
    """The decision's time; None for at once (the send's create time)."""


@dataclass(frozen=True, kw_only=True)
class SendContent:
    """What a bulk send's materialiser needs to make its communications, besides the send record:
    the templates (as the request or its document gave them) and what the communications carry."""

    subject: str | None
    text: str | None
    html: str | None
    variables: Mapping[str, object]
    employee_id: int | None = None
    document_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class SendFacts:
    """What storage knows of a client that the send decision weighs, besides the client itself."""

    blocks: tuple[ChannelBlock, ...] = ()
    bookings: tuple[Booking, ...] = ()
    sent_today: int = 0
    sent_this_week: int = 0
    last_sent_at: datetime | None = None
    has_push_subscription: bool = False
    """The client has at least one stored browser push subscription: contact data for Push."""
    has_linked_chat: bool = False
    """The client linked a Telegram chat (``/start CODE``): contact data for Messenger."""


@dataclass(frozen=True, kw_only=True)
class SendSetting:
    """What a send reads before its audience: its department, type, rules and channels."""

    department: Department | None
    """None when there is no such department."""
    type_found: bool
    rules: list[Rule]
    """The department's active rules, by id."""
    channels: dict[int, Channel]
    """The channels asked for that exist, by id."""
    recipient: tuple[Client | None, SendFacts | None] | None = None
    """Asked with a client id: that client and its facts, as ``one_recipient`` reads them."""


@dataclass(frozen=True, kw_only=True)
class FallbackOrigin:
    """What the channel fallback needs of a failed communication's send: its list and the message."""

    send_id: int
    channel_ids: tuple[int, ...]
    message: QueuedMessage
    has_fallback: bool
    """A fallback was made for it already (a second failure report makes no second one)."""


@dataclass(frozen=True, kw_only=True)
class Counts:
    lifecycle: Mapping[str, int]
    delivery: Mapping[str, int]

    @classmethod
    def tally(cls, rows: Iterable[tuple[object, object | None, int]]) -> Counts:
        """Counts from ``(lifecycle status, delivery status or None while queued, how many)`` rows."""
        lifecycle: dict[str, int] = defaultdict(int)
        delivery: dict[str, int] = defaultdict(int)
        for status, delivery_status, count in rows:
            lifecycle[str(status)] += count
            delivery[str(delivery_status or "queued")] += count
        return cls(lifecycle=dict(lifecycle), delivery=dict(delivery))


NO_COUNTS = Counts(lifecycle={}, delivery={})
PENDING_STATUS = initial_status(CommunicationKind.PLANNED)
"""The lifecycle status a pending recipient is counted in: a send's fresh communication's."""


class SendRepository(Protocol):
    """Sends, their accepted and refused clients, and the per-client send counts kept with them."""

    async def active_rules(self, department_id: int) -> list[Rule]:
        """The department's active rules."""

    async def setting(
        self,
        department_id: int,
        type_id: int,
        channel_ids: Sequence[int],
        *,
        client_id: int | None = None,
        now: datetime | None = None,
    ) -> SendSetting:
        """The department, whether the type exists, the department's active rules and these
        channels, and with ``client_id`` (and ``now``) a single send's recipient, read together:
        one statement on PostgreSQL."""

    async def group_members(self, group_id: int) -> list[int]:
        """The ids of the clients in the group."""

    async def project_clients(self, project_id: int) -> list[int]:
        """The ids of the clients in the project."""

    async def facts(self, client_ids: Sequence[int], now: datetime) -> dict[int, SendFacts]:
        """Blocks, held bookings, send counts, push subscriptions and linked chats of these clients.

        Clients with none of these are left out. Counts are of today (UTC) and the last seven days.
        """

    async def clients(self, client_ids: Sequence[int]) -> dict[int, Client]:
        """A bulk send's clients by id, as the clients repository gives them; unknown ids left out."""

    async def one_recipient(self, client_id: int, now: datetime) -> tuple[Client | None, SendFacts | None]:
        """A single send's client (None if there is none) and its ``facts`` (None when it has
        none), read together: one statement on PostgreSQL."""

    async def find_by_key(self, idempotency_key: str, since: datetime) -> SendRecord | None:
        """The send request with this idempotency key, or None."""

    async def get(self, send_id: int) -> SendRecord | None:
        """The stored one with this id, or None."""

    async def add(
        self,
        record: SendRecord,
        communications: Sequence[Communication],
        queued: Sequence[QueuedMessage],
        refused: Sequence[RefusedItem],
        *,
        last_write: bool = False,
    ) -> SendRecord:
        """Store the send, its new communications (ids set on them) and their queue rows, keep its
        refusals and count the sends per client, in bulk statements.

        ``queued[i]`` is the message of ``communications[i]``; its ``communication_id`` is ignored
        (the communication has no id yet). The communications are written for this send only: a
        unit of work does not update them afterwards. ``last_write``: the unit writes nothing else
        before its commit, so when it has written nothing yet, storage may commit these rows with
        the one statement that writes them (a rollback of the unit would then not undo them).
        """

    async def add_pending(
        self,
        record: SendRecord,
        content: SendContent,
        pending: Sequence[PendingRecipient],
        refused: Sequence[RefusedItem],
    ) -> SendRecord:
        """Store a bulk send without its communications: the send (all of ``pending`` open), its
        content, its refusals, and the decided recipients with communication ids taken now (their
        ``communication_id`` and ``send_id`` are ignored); count the sends per client as ``add``
        does, so the next send's caps see them."""

    async def take_pending(self, limit: int) -> list[PendingRecipient]:
        """Remove up to ``limit`` pending recipients, lowest communication id first, for this
        transaction to make their communications (``materialise``). On PostgreSQL concurrent
        takers skip each other's rows (``FOR UPDATE SKIP LOCKED``); a rollback puts them back."""

    async def contents(self, send_ids: Collection[int]) -> dict[int, tuple[SendRecord, SendContent]]:
        """The records and contents of these bulk sends."""

    async def materialise(
        self,
        send_ids: Sequence[int],
        communications: Sequence[Communication],
        queued: Sequence[QueuedMessage],
    ) -> None:
        """Store taken recipients' communications, with the ids they were given (``id`` set), and
        their queue rows; the send counts were kept at the accept, the open counts too."""

    async def pending_total(self) -> int:
        """How many recipients of bulk sends wait for their communications."""

    async def accepted(self, send_id: int, *, limit: int, offset: int) -> list[AcceptedItem]:
        """The messages a send request queued, and its pending recipients, by communication id."""

    async def refused(self, send_id: int, *, limit: int, offset: int) -> list[RefusedItem]:
        """The recipients a send request refused, with why."""

    async def counts(self, send_id: int) -> Counts:
        """Its communications by lifecycle and by delivery status; a pending recipient counts as
        the communication it becomes (``PENDING_STATUS``, delivery ``queued``)."""

    async def counts_of_sends(self, send_ids: Sequence[int]) -> dict[int, Counts]:
        """``counts`` of each of these sends, in one query; a send without communications is left out."""

    async def send_ids(self, communication_ids: Sequence[int]) -> dict[int, int]:
        """The send that queued each of these communications (those a send queued)."""

    async def finish(self, finished: Mapping[int, int]) -> list[int]:
        """Count ``finished[send_id]`` more of each send's communications as final; returns the
        sends that have none left open (each send once: its count reaches zero once).

        A send's open count grows with ``add`` and ``add_fallbacks``; concurrent callers queue on
        the send's row, so exactly one of them sees the count reach zero.
        """

    async def fallback_origins(self, communication_ids: Sequence[int]) -> dict[int, FallbackOrigin]:
        """By communication id: the send, its channel list and the queued message, in one query."""

    async def add_fallbacks(
        self,
        send_ids: Sequence[int],
        communications: Sequence[Communication],
        queued: Sequence[QueuedMessage],
    ) -> None:
        """Store follow-up communications (ids set on them) with their queue rows in their sends, in bulk.

        ``send_ids[i]`` and ``queued[i]`` belong to ``communications[i]``; they count per client as
        ``add`` does.
        """
