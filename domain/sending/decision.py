"""The send decision: may this client get this message, on which channel of a priority list, and when.

A pure function of plain facts (the sender, the department's active rules, the client's contact
data, blocks, bookings and send counts). The caller gathers the facts for a whole audience in a
few set-based queries and asks once per client; nothing here touches storage or a clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

from domain.access import Principal
from domain.availability import Owner, blocking_bookings, describe_holder
from domain.clients import Booking, ChannelBlock, Client
from domain.dictionaries import ChannelKind
from domain.errors import PermissionDenied
from domain.rules import QuietHoursPolicy, Rule
from domain.sending.refusals import Refusal, RefusalReason
from domain.sending.windows import in_quiet_hours, next_allowed, on_allowed_weekday, zone

MESSENGER_NETWORKS: frozenset[str] = frozenset({"telegram", "whatsapp"})

# Combining several active rules can only move the time forward; each round satisfies one more
# rule, so a few rounds settle it unless the rules together allow nothing.
_MAX_ROUNDS = 16


@dataclass(frozen=True, kw_only=True)
class ChannelFacts:
    """What the decision needs of a channel."""

    id: int
    kind: ChannelKind
    dispatchable: bool
    active: bool = True
    name: str = ""

    @property
    def label(self) -> str:
        return self.name or f"channel {self.id}"


@dataclass(frozen=True, kw_only=True)
class Recipient:
    """One client of the audience, with the facts that decide whether and how to reach them."""

    client_id: int
    available: bool = True
    time_zone: str | None = None
    phones: tuple[str, ...] = ()
    email: str | None = None
    messenger_networks: frozenset[str] = frozenset()
    """The networks of the client's ``socialMedia`` handles."""
    has_linked_chat: bool = False
    has_push_subscription: bool = False
    blocks: tuple[ChannelBlock, ...] = ()
    bookings: tuple[Booking, ...] = ()
    sent_today: int = 0
    sent_this_week: int = 0
    last_sent_at: datetime | None = None
    at: datetime | None = None
    """The client's own schedule time, when the request gives one per client."""

    @classmethod
    def of(cls, client: Client, **facts: Any) -> Recipient:
        """The contact data of a stored client, plus the given facts (blocks, counts, ...)."""
        # One construction, not a construction and a replace: this runs once per client of a send.
        contact: dict[str, Any] = {
            "client_id": client.id or 0,
            "available": client.available,
            "time_zone": client.time_zone,
            "phones": tuple(client.phones),
            "email": client.email,
            "messenger_networks": frozenset((client.social_media or {}).keys()),
        }
        return cls(**{**contact, **facts})


@dataclass(frozen=True, kw_only=True)
class SendContext:
    """What is the same for every client of one send request."""

    type_id: int
    sender: Principal
    rules: Sequence[Rule] = ()
    now: datetime
    owner: Owner = field(default_factory=Owner)
    """Who asks, for bookings: a booking of this owner does not keep its client away."""
    default_time_zone: str | None = None
    """The department's zone, for clients who have none."""

    @cached_property
    def active_rules(self) -> tuple[Rule, ...]:
        # Asked several times per client of a send: worked out once per send.
        return tuple(r for r in self.rules if r.active)


@dataclass(frozen=True)
class Accepted:
    client_id: int
    channel_id: int
    scheduled_at: datetime
    passed_over: tuple[Refusal, ...] = ()
    """Channels earlier in the priority list that were refused, and why."""


@dataclass(frozen=True)
class Refused:
    client_id: int
    refusals: tuple[Refusal, ...]

    @property
    def reason(self) -> RefusalReason:
        """The reason of the most preferred channel (or the client-wide one)."""
        return self.refusals[0].reason

    @property
    def message(self) -> str:
        return "; ".join(r.message for r in self.refusals)


Decision = Accepted | Refused


def has_contact(recipient: Recipient, kind: ChannelKind) -> bool:
    """Whether the client can be reached on a channel of this kind at all."""
    if kind in (ChannelKind.SMS, ChannelKind.CALL):
        return bool(recipient.phones)
    if kind is ChannelKind.EMAIL:
        return bool(recipient.email)
    if kind is ChannelKind.MESSENGER:
        return recipient.has_linked_chat or bool(recipient.messenger_networks & MESSENGER_NETWORKS)
    if kind is ChannelKind.PUSH:
        return recipient.has_push_subscription
    if kind is ChannelKind.SOCIAL:
        return bool(recipient.messenger_networks)
    # Visits and requests come from the client; there is nothing to address.
    return True


def _client_wide(context: SendContext, recipient: Recipient, at: datetime) -> Refusal | None:
    if not recipient.available:
        return Refusal(RefusalReason.UNAVAILABLE, "the client has opted out of communications")
    holding = blocking_bookings(recipient.bookings, at, context.owner)
    if holding:
        first = min(holding, key=lambda b: b.before_date)
        return Refusal(RefusalReason.BOOKED, f"booked by {describe_holder(first)} (booking {first.id})")
    for rule in context.active_rules:
        if rule.max_per_day is not None and recipient.sent_today >= rule.max_per_day:
            return Refusal(
                RefusalReason.FREQUENCY_CAP,
                f"already sent {recipient.sent_today} today; rule {rule.name!r} allows {rule.max_per_day}",
            )
        if rule.max_per_week is not None and recipient.sent_this_week >= rule.max_per_week:
            return Refusal(
                RefusalReason.FREQUENCY_CAP,
                f"already sent {recipient.sent_this_week} this week; "
                f"rule {rule.name!r} allows {rule.max_per_week}",
            )
    return None


def _schedule(context: SendContext, recipient: Recipient, desired: datetime) -> datetime | Refusal:
    """The time the message may go out, after quiet hours and weekdays, or why it may not."""
    tz = zone(recipient.time_zone or context.default_time_zone)
    rules = context.active_rules
    for rule in rules:
        if not on_allowed_weekday(desired, rule.allowed_weekdays, tz):
            return Refusal(
                RefusalReason.WEEKDAY,
                f"rule {rule.name!r} does not allow sending on {desired.astimezone(tz):%A} "
                f"in the client's time zone ({tz.key})",
            )
        quiet = rule.quiet_hours
        if quiet is not None and quiet.policy is QuietHoursPolicy.DROP and in_quiet_hours(desired, quiet, tz):
            return Refusal(
                RefusalReason.QUIET_HOURS,
                f"{desired.astimezone(tz):%H:%M} is within the quiet hours of rule {rule.name!r} "
                f"({quiet.start:%H:%M}-{quiet.end:%H:%M}, {tz.key}), whose policy is drop",
            )
    moment = desired
    for _ in range(_MAX_ROUNDS):
        settled = True
        for rule in rules:
            later = next_allowed(moment, rule.quiet_hours, rule.allowed_weekdays, tz)
            if later is None:
                return Refusal(RefusalReason.WEEKDAY, f"rule {rule.name!r} allows no time to send")
            if later != moment:
                moment, settled = later, False
        if settled:
            return moment
    return Refusal(RefusalReason.QUIET_HOURS, "the department's rules together allow no time to send")


def _min_interval(context: SendContext, recipient: Recipient, at: datetime) -> Refusal | None:
    if recipient.last_sent_at is None:
        return None
    for rule in context.active_rules:
        if rule.min_interval_minutes is None:
            continue
        if at < recipient.last_sent_at + timedelta(minutes=rule.min_interval_minutes):
            return Refusal(
                RefusalReason.MIN_INTERVAL,
                f"the last message went out at {recipient.last_sent_at.isoformat(timespec='minutes')}; "
                f"rule {rule.name!r} asks for {rule.min_interval_minutes} minutes between messages",
            )
    return None


def may_send(sender: Principal, type_id: int, channel_id: int) -> bool:
    """Whether the sender's grants allow this communication type on this channel."""
    try:
        sender.require_send(type_id, channel_id)
    except PermissionDenied:
        return False
    return True


def _channel_refusal(
    context: SendContext, recipient: Recipient, channel: ChannelFacts, at: datetime
) -> Refusal | None:
    label = channel.label
    if not may_send(context.sender, context.type_id, channel.id):
        return Refusal(
            RefusalReason.NOT_PERMITTED,
            f"{label}: the sender may not send communication type {context.type_id} on it",
            channel.id,
        )
    for rule in context.active_rules:
        if not rule.allows(type_id=context.type_id, channel_id=channel.id):
            return Refusal(
                RefusalReason.NOT_PERMITTED,
                f"{label}: rule {rule.name!r} does not allow communication type {context.type_id} on it",
                channel.id,
            )
    if not channel.dispatchable or not channel.active:
        state = "is inactive" if not channel.active else "has no provider"
        return Refusal(RefusalReason.NOT_DISPATCHABLE, f"{label} {state}", channel.id)
    block = next((b for b in recipient.blocks if b.channel_id == channel.id and b.is_active(at)), None)
    if block is not None:
        why = f" ({block.reason})" if block.reason else ""
        until = "permanently" if block.until is None else f"until {block.until.isoformat(timespec='minutes')}"
        return Refusal(RefusalReason.CHANNEL_BLOCKED, f"{label} is blocked {until}{why}", channel.id)
    if not has_contact(recipient, channel.kind):
        return Refusal(
            RefusalReason.NO_CONTACT, f"{label}: the client has no {_needs(channel.kind)}", channel.id
        )
    return None


def _needs(kind: ChannelKind) -> str:
    return {
        ChannelKind.SMS: "phone number",
        ChannelKind.CALL: "phone number",
        ChannelKind.EMAIL: "email address",
        ChannelKind.MESSENGER: "telegram or whatsapp handle, nor a linked chat",
        ChannelKind.PUSH: "push subscription",
        ChannelKind.SOCIAL: "social network handle",
    }.get(kind, "contact data")


def decide(context: SendContext, recipient: Recipient, channels: Sequence[ChannelFacts]) -> Decision:
    """Accept the client on the first channel of ``channels`` that nothing refuses, or say why not.

    Client-wide reasons (opt-out, booking, caps, interval, time windows) refuse at once, since no
    other channel could help; a channel's own reasons pass on to the next channel in the list.
    """
    client_id = recipient.client_id
    desired = max(recipient.at or context.now, context.now)
    refusal = _client_wide(context, recipient, desired)
    if refusal is not None:
        return Refused(client_id, (refusal,))
    scheduled = _schedule(context, recipient, desired)
    if isinstance(scheduled, Refusal):
        return Refused(client_id, (scheduled,))
    refusal = _min_interval(context, recipient, scheduled)
    if refusal is not None:
        return Refused(client_id, (refusal,))
    passed_over: list[Refusal] = []
    for channel in channels:
        refusal = _channel_refusal(context, recipient, channel, scheduled)
        if refusal is None:
            return Accepted(client_id, channel.id, scheduled, tuple(passed_over))
        passed_over.append(refusal)
    if not passed_over:
        passed_over.append(Refusal(RefusalReason.NOT_DISPATCHABLE, "no channel was given to try"))
    return Refused(client_id, tuple(passed_over))


class AudienceDecider:
    """``decide`` for every client of one send, each distinct case worked out once.

    A client with no facts of its own (no blocks, bookings, sends, push subscriptions or linked
    chats) is seen by the rules only through its opt-out, time zone, which kinds of contact data
    it has, its own time and the channels tried: clients alike in those get the same decision,
    bar their id. The others are decided one by one, as ``decide`` does.
    """

    def __init__(self, context: SendContext) -> None:
        self._context = context
        self._alike: dict[tuple[Any, ...], Decision] = {}

    def decide(
        self,
        client: Client,
        facts: dict[str, Any] | None,
        at: datetime | None,
        channels: Sequence[ChannelFacts],
    ) -> Decision:
        """The decision for ``client``; ``facts`` are the ``Recipient`` facts storage knows of it."""
        client_id = client.id or 0
        if facts:
            return decide(self._context, Recipient.of(client, **facts, at=at), channels)
        networks = frozenset(client.social_media) if client.social_media else frozenset()
        key = (
            client.available,
            client.time_zone,
            bool(client.phones),
            bool(client.email),
            networks,
            at,
            tuple(c.id for c in channels),
        )
        found = self._alike.get(key)
        if found is None:
            found = self._alike[key] = decide(self._context, Recipient.of(client, at=at), channels)
        if found.client_id == client_id:
            return found
        if isinstance(found, Accepted):
            return Accepted(client_id, found.channel_id, found.scheduled_at, found.passed_over)
        return Refused(client_id, found.refusals)
