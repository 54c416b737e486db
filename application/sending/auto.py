"""``"channels": "auto"`` and ``"at": "auto"`` in a send: the decisions' choice, kept per communication.

The send path stays the judge: the decision only orders the channels and proposes the time; the
send decision (domain.sending.decision) still checks every rule, block, booking and cap.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from application.decisions.ports import DecisionRecord
from application.decisions.recommend import AudienceRequest, decide_for_audience
from application.ports import UnitOfWork
from application.sending.commands import ScheduledRecipient, SendCommand
from application.sending.store import SendFacts
from domain.access import Principal
from domain.availability import Owner
from domain.clients import Client
from domain.communications import Communication
from domain.decisions import Decision, DecisionSettings, Mode
from domain.dictionaries import Channel, ChannelKind
from domain.errors import PermissionDenied, ValidationFailed
from domain.organisation import Department
from domain.rules import Rule
from domain.sending.decision import ChannelFacts


@dataclass(frozen=True)
class AutoMode:
    channels: bool
    time: bool

    @property
    def on(self) -> bool:
        return self.channels or self.time


def channels_left_out(type_id: int, rules: Sequence[Rule]) -> bool:
    """A request naming no channels is auto when an active rule for the type has autoSelect on.

    Raises ValidationFailed naming ``channels`` otherwise (sends and mailings answer alike).
    """
    if not any(r.auto_select and (not r.allowed_type_ids or type_id in r.allowed_type_ids) for r in rules):
        raise ValidationFailed.field(
            "channels", "give channel ids or auto (no active rule of the department has autoSelect on)"
        )
    return True


def auto_mode(command: SendCommand, rules: Sequence[Rule]) -> AutoMode:
    """What the send leaves to the decisions; a send naming no channels is auto if a rule says so."""
    channels = command.auto_channels
    if not command.channel_ids and not channels:
        channels = channels_left_out(command.type_id, rules)
    return AutoMode(channels=channels, time=command.auto_time)


def _permitted(principal: Principal, type_id: int, channels: Sequence[Channel]) -> set[int]:
    allowed: set[int] = set()
    for channel in channels:
        try:
            principal.require_send(type_id, channel.id or 0)
        except PermissionDenied:
            continue
        allowed.add(channel.id or 0)
    return allowed


@dataclass
class AutoPlan:
    """The decisions of one send, and the communications created by them."""

    mode: AutoMode
    decided: Mapping[int, Decision | None]
    channels: Mapping[int, ChannelFacts]
    settings: DecisionSettings
    kept: list[tuple[Communication, Decision]]

    def time_for(self, client_id: int, requested: datetime | None) -> datetime | None:
        return requested_time(self.decided.get(client_id), self.mode, requested)

    def channels_for(self, client_id: int, given: Sequence[ChannelFacts]) -> Sequence[ChannelFacts]:
        return channel_order(self.decided.get(client_id), self.mode, given, self.channels)

    def keep(self, communication: Communication) -> None:
        found = self.decided.get(communication.client_id or 0)
        if found is not None:
            self.kept.append((communication, found))

    def records(self, now: datetime) -> list[DecisionRecord]:
        return records(self.kept, self.settings, now, self.fallback_list)

    def fallback_list(self, decision: Decision) -> tuple[int, ...]:
        """The channels the send tries for this decision, in order; none when the send named them."""
        if not self.mode.channels:
            return ()
        return tuple(c.id for c in channel_order(decision, self.mode, (), self.channels))


async def plan(
    uow: UnitOfWork,
    *,
    mode: AutoMode,
    command: SendCommand,
    principal: Principal,
    department: Department,
    channels: Sequence[Channel],
    clients: Mapping[int, Client],
    scheduled: Sequence[ScheduledRecipient],
    known: Mapping[int, SendFacts],
    owner: Owner,
    now: datetime,
    settings: DecisionSettings,
    channel_facts: Sequence[ChannelFacts],
) -> AutoPlan:
    """The decision for every client of the send (a few set-based reads, then pure decisions)."""
    by_id = {c.id: c for c in channel_facts}
    if not mode.on:
        return AutoPlan(mode, {}, by_id, settings, [])
    request = AudienceRequest(
        type_id=command.type_id,
        department=department,
        clients={r.client_id: clients[r.client_id] for r in scheduled},
        starts={r.client_id: r.at or command.at for r in scheduled},
        blocks={i: f.blocks for i, f in known.items()},
        bookings={i: f.bookings for i, f in known.items()},
        last_sent={i: f.last_sent_at for i, f in known.items()},
        reachable={i: frozenset({ChannelKind.MESSENGER}) for i, f in known.items() if f.has_linked_chat},
        permitted=_permitted(principal, command.type_id, channels),
        only_channels=None if mode.channels else set(command.channel_ids),
        group_id=command.audience.group_id,
        owner=owner,
        seed_key=command.idempotency_key or command.fingerprint() + now.isoformat(),
    )
    decided = await decide_for_audience(uow, request, now=now, settings=settings)
    return AutoPlan(mode, decided, by_id, settings, [])


def channel_order(
    decision: Decision | None,
    mode: AutoMode,
    given: Sequence[ChannelFacts],
    by_id: Mapping[int, ChannelFacts],
) -> Sequence[ChannelFacts]:
    """The channels to try, best first: the chosen one, then the rest of the ranking."""
    if decision is None or not mode.channels:
        return given
    if decision.mode is Mode.HOLDOUT:
        ranked = sorted(decision.ranking.ranked, key=lambda c: c.priority)
        return [by_id[c.channel_id] for c in ranked if c.channel_id in by_id]
    rest = [c.channel_id for c in decision.ranking.ranked if c.channel_id != decision.channel_id]
    return [by_id[i] for i in (decision.channel_id, *rest) if i in by_id]


def requested_time(decision: Decision | None, mode: AutoMode, requested: datetime | None) -> datetime | None:
    """The chosen time with ``"at": "auto"``; the holdout goes at the requested time."""
    if decision is None or not mode.time or decision.mode is Mode.HOLDOUT:
        return requested
    return decision.time.at


def records(
    pairs: Sequence[tuple[Communication, Decision]],
    settings: DecisionSettings,
    now: datetime,
    channels_of: Callable[[Decision], tuple[int, ...]] = lambda _: (),
) -> list[DecisionRecord]:
    """What each created communication keeps of its decision (``channels_of``: its fallback list)."""
    return [
        DecisionRecord(
            communication_id=c.id or 0,
            mode=d.mode.value,
            objective=settings.objective.value,
            propensity=d.propensity,
            # Whether what went out is what the fixed rule would have sent (the send path may
            # have passed over the chosen channel): the indicator of the off-policy estimate.
            matches_rule=d.matches_rule and c.channel_id == d.channel_id,
            rule_channel_id=d.rule_action.channel_id,
            rule_at=d.rule_action.at,
            predicted_chosen=d.predicted_chosen,
            predicted_rule=d.predicted_rule,
            explanation=d.explanation[:4000],
            create_time=now,
            channel_ids=channels_of(d),
        )
        for c, d in pairs
    ]
