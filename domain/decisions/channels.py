"""Channel ranking for one client: the allowed channels it can be reached on, best first."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.clients import ChannelBlock, Client
from domain.decisions.evidence import DecisionSettings, Estimate, Evidence, Level, estimate
from domain.dictionaries import ChannelKind
from domain.rules import Rule


class Exclusion(StrEnum):
    NOT_ALLOWED = "not_allowed"
    """The department's rule does not allow the channel (or the type on it), or it is inactive."""
    NOT_PERMITTED = "not_permitted"
    """The sender may not send on it."""
    BLOCKED = "blocked"
    NO_CONTACT_DATA = "no_contact_data"


@dataclass(frozen=True)
class ChannelOption:
    """A channel of the catalogue, as the ranking needs it."""

    channel_id: int
    kind: ChannelKind
    active: bool = True


@dataclass(frozen=True)
class RankedChannel:
    channel_id: int
    rank: int
    """1 is the best."""
    estimate: Estimate
    priority: int
    """The channel's place in the rule's fixed priority (0 first); it breaks ties."""


@dataclass(frozen=True)
class ExcludedChannel:
    channel_id: int
    reason: Exclusion


@dataclass(frozen=True)
class ChannelRanking:
    ranked: tuple[RankedChannel, ...]
    excluded: tuple[ExcludedChannel, ...]
    explanation: str

    @property
    def best(self) -> RankedChannel | None:
        return self.ranked[0] if self.ranked else None


def has_contact_data(client: Client, kind: ChannelKind, reachable: Collection[ChannelKind] = ()) -> bool:
    """Whether the client has the address a channel of this kind needs.

    ``reachable``: kinds stored facts beyond the client's record reach (a linked Telegram chat).
    """
    if kind in reachable:
        return True
    if kind in (ChannelKind.SMS, ChannelKind.CALL):
        return bool(client.phones)
    if kind is ChannelKind.EMAIL:
        return client.email is not None
    if kind in (ChannelKind.MESSENGER, ChannelKind.SOCIAL):
        return bool(client.social_media)
    # Visits, the website, the app and push need nothing we keep on the client.
    return True


def priority_order(rule: Rule, channels: Sequence[ChannelOption]) -> dict[int, int]:
    """The rule's priority first, in its order; the other channels after it, by id."""
    listed = [c for c in rule.channel_priority]
    rest = sorted(c.channel_id for c in channels if c.channel_id not in set(listed))
    return {channel_id: position for position, channel_id in enumerate([*listed, *rest])}


def exclusion(
    option: ChannelOption,
    *,
    rule: Rule,
    type_id: int,
    client: Client,
    blocked: Collection[int],
    permitted: Collection[int] | None,
    reachable: Collection[ChannelKind] = (),
) -> Exclusion | None:
    if not option.active or not rule.allows(type_id=type_id, channel_id=option.channel_id):
        return Exclusion.NOT_ALLOWED
    if permitted is not None and option.channel_id not in permitted:
        return Exclusion.NOT_PERMITTED
    if option.channel_id in blocked:
        return Exclusion.BLOCKED
    if not has_contact_data(client, option.kind, reachable):
        return Exclusion.NO_CONTACT_DATA
    return None


def blocked_channels(blocks: Iterable[ChannelBlock], client_id: int | None, at: datetime) -> frozenset[int]:
    return frozenset(b.channel_id for b in blocks if b.client_id == client_id and b.is_active(at))


def rank_channels(
    *,
    channels: Sequence[ChannelOption],
    rule: Rule,
    type_id: int,
    client: Client,
    blocks: Iterable[ChannelBlock],
    now: datetime,
    permitted: Collection[int] | None,
    evidence: Mapping[int, Evidence],
    settings: DecisionSettings,
    reachable: Collection[ChannelKind] = (),
) -> ChannelRanking:
    """Rank the channels the client may be reached on by smoothed success rate; exclude the rest.

    ``permitted`` is the set of channels the sender may use (None: all); ``evidence`` the
    recency-weighted counts per channel id under the settings' objective.
    """
    blocked = blocked_channels(blocks, client.id, now)
    order = priority_order(rule, channels)
    candidates: list[tuple[ChannelOption, Estimate]] = []
    excluded: list[ExcludedChannel] = []
    for option in sorted(channels, key=lambda c: order[c.channel_id]):
        reason = exclusion(
            option,
            rule=rule,
            type_id=type_id,
            client=client,
            blocked=blocked,
            permitted=permitted,
            reachable=reachable,
        )
        if reason is not None:
            excluded.append(ExcludedChannel(option.channel_id, reason))
            continue
        candidates.append((option, estimate(evidence.get(option.channel_id, Evidence()), settings)))
    candidates.sort(key=lambda pair: (-pair[1].rate, order[pair[0].channel_id]))
    ranked = tuple(
        RankedChannel(option.channel_id, rank, figures, order[option.channel_id])
        for rank, (option, figures) in enumerate(candidates, start=1)
    )
    return ChannelRanking(ranked, tuple(excluded), _explain(ranked, excluded, settings))


def reranked(
    ranking: ChannelRanking, estimates: Mapping[int, Estimate], settings: DecisionSettings
) -> ChannelRanking:
    """``ranking`` with some ranked channels' estimates replaced, ordered again: what
    ``rank_channels`` gives when only those channels' evidence differs (a client's own counters
    laid over the evidence a shared ranking was made with)."""
    if not estimates:
        return ranking
    candidates = [(c, estimates.get(c.channel_id, c.estimate)) for c in ranking.ranked]
    candidates.sort(key=lambda pair: (-pair[1].rate, pair[0].priority))
    ranked = tuple(
        # A channel keeping its place and figures keeps its (immutable) entry.
        channel
        if channel.rank == rank and channel.estimate is figures
        else RankedChannel(channel.channel_id, rank, figures, channel.priority)
        for rank, (channel, figures) in enumerate(candidates, start=1)
    )
    return ChannelRanking(ranked, ranking.excluded, _explain(ranked, ranking.excluded, settings))


def _explain(
    ranked: Sequence[RankedChannel], excluded: Sequence[ExcludedChannel], settings: DecisionSettings
) -> str:
    if not ranked:
        head = "no channel can reach the client"
    else:
        best = ranked[0]
        figures = best.estimate
        if figures.level is Level.RULE:
            head = f"channel {best.channel_id} by the rule's priority (too little data at every level)"
        else:
            head = (
                f"channel {best.channel_id}: smoothed {settings.objective.value} rate {figures.rate:.3f} "
                f"decided at the {figures.level.value} level ({figures.successes:g} of {figures.attempts:g}, "
                f"prior {figures.prior:.3f})"
            )
    parts = [head]
    if excluded:
        parts.append("excluded: " + ", ".join(f"{e.channel_id} ({e.reason.value})" for e in excluded))
    parts.append(settings.describe())
    return "; ".join(parts)
