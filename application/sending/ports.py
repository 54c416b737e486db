"""What sending needs from providers and from a template engine, as protocols.

Every provider (sandbox, SMTP, later Twilio, Telegram, Web Push) is one ``ChannelSender``. The
dispatcher never learns which one it called: it sees a ``SendResult`` and, later, ``StatusReport``s.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from domain.communications import DeliveryStatus
from domain.dictionaries import ChannelKind
from domain.errors import FieldError, ValidationFailed
from domain.push import PushSubscription


@dataclass(frozen=True, kw_only=True)
class OutgoingMessage:
    """One rendered message, addressed and ready for a provider."""

    uuid: str
    client_id: int | None
    channel_id: int
    channel_kind: ChannelKind
    to: str
    """The address on the channel: an email address, an E.164 number, a chat id or subscription."""
    subject: str | None = None
    text: str = ""
    html: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    """Extra headers an email carries (Message-ID, List-Unsubscribe, ...), the same for every provider."""


class SendOutcome(StrEnum):
    SENT = "sent"
    """The provider took the message; delivery reports may follow."""
    REJECTED = "rejected"
    """A final no for this message (bad recipient, blocked number): never retried."""
    RETRY = "retry"
    """A transient failure (connection dropped, timeout, 4xx): worth another attempt later."""


@dataclass(frozen=True, kw_only=True)
class SendResult:
    outcome: SendOutcome
    provider_message_id: str | None = None
    delivery_status: DeliveryStatus | None = None
    """For a rejection: ``undelivered`` (the recipient was refused) or ``failed`` (never handed over)."""
    reason: str | None = None
    retry_after: float | None = None
    """For a transient failure: the seconds the provider asked to wait (``Retry-After``), if it said."""
    attempted: bool = True
    """False when no provider was even tried (every circuit open): the attempt is not counted."""

    @classmethod
    def sent(cls, provider_message_id: str) -> SendResult:
        return cls(outcome=SendOutcome.SENT, provider_message_id=provider_message_id)

    @classmethod
    def rejected(cls, reason: str, status: DeliveryStatus = DeliveryStatus.FAILED) -> SendResult:
        return cls(outcome=SendOutcome.REJECTED, delivery_status=status, reason=reason)

    @classmethod
    def retry(cls, reason: str, *, retry_after: float | None = None, attempted: bool = True) -> SendResult:
        return cls(outcome=SendOutcome.RETRY, reason=reason, retry_after=retry_after, attempted=attempted)


@dataclass(frozen=True, kw_only=True)
class StatusReport:
    """A provider's word on a message it took: delivered, read, a reply, or a failure."""

    provider: str
    provider_message_id: str
    status: DeliveryStatus
    at: datetime
    uuid: str | None = None
    """The communication's uuid, when the provider echoes it back (the sandbox does)."""
    reason: str | None = None
    reply: str | None = None


class ChannelSender(Protocol):
    """One provider: sends messages on the channel kinds it serves and, if it can, tells statuses."""

    provider: str
    """The provider's name as communications record it (``sandbox``, ``smtp``, ``twilio``)."""

    async def send(self, message: OutgoingMessage) -> SendResult:
        """Hand one message to the provider. Never raises for the provider's own failures."""

    async def statuses(self, provider_message_ids: Sequence[str]) -> list[StatusReport]:
        """Ask the provider for the current statuses of messages it took; [] when it cannot poll."""


class StatusFeed(Protocol):
    """A provider that reports statuses on its own (the sandbox's simulated callbacks)."""

    async def take_reports(self, now: datetime) -> list[StatusReport]:
        """The reports due by ``now`` that were not taken before."""


class TemplateProblem(ValidationFailed):
    """A template that cannot render: bad syntax or an unknown variable; names the field and why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__([FieldError(field, message)])


class CompiledTemplate(Protocol):
    references: frozenset[str]
    """The top-level names the template reads (``client``, a variable): one that reads no
    ``client`` renders the same for everybody, so a send renders it once."""

    def render(self, values: Mapping[str, object]) -> str:
        """The text with ``values`` filled in; raises TemplateProblem for an unknown variable."""

    def renderer(self, shared: Mapping[str, object]) -> Callable[[Mapping[str, object]], str]:
        """``render`` for many calls that share ``shared``: each call gives only its own values
        (a client's), which win over the shared ones. What is shared is prepared once."""

    def attributes_read(self, name: str) -> frozenset[str] | None:
        """The attributes the template reads of ``name`` (``client.firstName`` -> ``firstName``);
        None when it uses ``name`` otherwise too (whole, by index, passed on): then it may read any."""


class TemplateRenderer(Protocol):
    """A sandboxed template engine in which undefined variables are errors."""

    def compile(self, source: str, *, field: str, html: bool = False) -> CompiledTemplate:
        """Parse ``source`` once (raises TemplateProblem naming ``field``); ``html`` escapes values."""


class PushSubscriptionBook(Protocol):
    """The push sender's view of stored browser subscriptions."""

    async def of_client(self, client_id: int) -> list[PushSubscription]:
        """The client's subscriptions (at most a hundred)."""

    async def forget(self, subscription_ids: Sequence[int]) -> None:
        """Remove subscriptions the push service said are gone (404/410)."""
