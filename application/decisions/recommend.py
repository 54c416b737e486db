"""Recommendations: the channel and time to reach a client (or a group), with the figures why.

``decide_for_send`` is the seam for the sending path: it works inside the caller's unit of work,
so a send with ``"channels": "auto"`` / ``"at": "auto"`` decides with the same inputs it queues with.
"""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from application.clients.bookings import holding
from application.clients.projects_and_clients import Clients
from application.decisions.evidence import EvidenceSet, evidence_from, load_evidence, tallies, with_own
from application.decisions.ports import SlotCounts, StatsScope
from application.ports import Clock, UnitOfWork, UnitOfWorkFactory
from application.queries import Query
from application.searches import ChannelBlockFields, CommunicationFields, RuleFields, TelegramLinkFields
from domain.availability import Owner, blocking_bookings
from domain.clients import Booking, ChannelBlock, Client
from domain.decisions import (
    ChannelOption,
    ChannelRanking,
    Decision,
    DecisionMemo,
    DecisionRequest,
    DecisionSettings,
    SendingWindow,
    decide,
    decide_many,
    rank_channels,
    seed_for,
)
from domain.decisions.channels import blocked_channels, reranked
from domain.decisions.evidence import Estimate, estimate
from domain.dictionaries import ChannelKind
from domain.errors import NotFound
from domain.organisation import Department
from domain.rules import Rule

MAX_CHANNELS = 500
DECISION_BATCH = 1_000
"""Clients decided together (``decide_many``): the Thompson shares of a thousand clients are one
numpy batch, and only a thousand clients' evidence is held at a time."""
WEEK = timedelta(days=7)


@dataclass(frozen=True)
class RecommendationRequest:
    """The command asking which channel and time suit one client."""

    client: int | str
    """The client's id, or a key the clients catalog finds it by (its email)."""
    type_id: int
    department_id: int
    after: datetime | None = None
    asking: Owner | None = None
    """Who would send: bookings held by this owner do not keep the client away."""


@dataclass(frozen=True)
class GroupRecommendationRequest:
    """The command asking which channel and time suit a group of clients."""

    group_id: int
    type_id: int
    department_id: int
    after: datetime | None = None


MAX_DISTRIBUTION = 1_000
"""Members decided for a group's distribution (a question answered while the caller waits); a
larger group is described by its first ones, by id."""


@dataclass(frozen=True)
class Share:
    key: tuple[int, ...]
    """A channel id, or a local (weekday, hour)."""
    clients: int


@dataclass(frozen=True)
class Distribution:
    """What the members of a group get, each decided with their own history and contact data."""

    members: int
    decided: int
    """Members decided (at most MAX_DISTRIBUTION); those without a choice count as undecided."""
    undecided: int
    channels: list[Share]
    slots: list[Share]


@dataclass(frozen=True)
class Recommendation:
    """A recommended channel and time, with the evidence behind it."""

    client_id: int | None
    group_id: int | None
    ranking: ChannelRanking
    decision: Decision | None
    """None when no channel, or no slot within the horizon, is allowed."""
    time_zone: str
    explanation: str
    distribution: Distribution | None = None
    """For a group: the members' choices."""


async def _rule_for(uow: UnitOfWork, department_id: int, type_id: int, at: datetime) -> Rule:
    """The department's first active rule that allows the type; else a rule that allows everything."""
    rules = await uow.rules.find(
        Query((RuleFields.department_id.eq(department_id), RuleFields.active.eq(True)), limit=100)
    )
    for rule in rules:
        if not rule.allowed_type_ids or type_id in rule.allowed_type_ids:
            return rule
    return Rule(
        department_id=department_id, name="(no rule: everything allowed)", create_time=at, update_time=at
    )


async def _department(uow: UnitOfWork, department_id: int) -> Department:
    department = await uow.departments.get(department_id)
    if department is None:
        raise NotFound("department", department_id)
    return department


async def _channels(uow: UnitOfWork) -> list[ChannelOption]:
    found = await uow.channels.find(Query(limit=MAX_CHANNELS))
    return [ChannelOption(c.id, c.kind, c.active) for c in found if c.id is not None]


async def decide_for_send(
    uow: UnitOfWork,
    client: Client,
    request: RecommendationRequest,
    *,
    now: datetime,
    settings: DecisionSettings,
    seed: int | None = None,
) -> Recommendation:
    """Channel ranking and time for one client (as the caller read it), inside the caller's unit of
    work; ``request.client`` is not read again."""
    assert client.id is not None
    client_id = client.id
    if await uow.communication_types.get(request.type_id) is None:
        raise NotFound("communication type", request.type_id)
    department = await _department(uow, request.department_id)
    start = max(now, request.after or now)
    rule = await _rule_for(uow, department.id or 0, request.type_id, now)
    blocks = await uow.channel_blocks.find(
        Query((ChannelBlockFields.client_id.eq(client_id),), limit=MAX_CHANNELS)
    )
    bookings = blocking_bookings(await holding(uow, now, [client_id]), now, request.asking)
    recent = await uow.communications.find(
        Query(
            (
                CommunicationFields.client_id.eq(client_id),
                CommunicationFields.create_time.gte(start - WEEK),
            ),
            limit=1000,
        )
    )
    groups = await uow.client_groups.groups_of(client_id)
    evidence = await load_evidence(
        uow.stats, client_id=client.id, group_ids=groups, type_id=request.type_id, now=now, settings=settings
    )
    ranking = rank_channels(
        channels=await _channels(uow),
        rule=rule,
        type_id=request.type_id,
        client=client,
        blocks=blocks,
        now=start,
        permitted=None,
        evidence=evidence.by_channel,
        settings=settings,
        reachable=await _reachable(uow, client_id),
    )
    zone = client.time_zone or department.time_zone
    window = SendingWindow.of(
        rule=rule,
        time_zone=zone,
        working_hours=department.working_hours,
        bookings=bookings,
        sends=[c.scheduled_at or c.create_time for c in recent if c.status.value != "cancelled"],
        since=start,
    )
    identity = (
        seed
        if seed is not None
        else seed_for("recommendation", client.id, request.type_id, start.isoformat())
    )
    decision = decide(
        ranking=ranking,
        window=window,
        start=start,
        slot_evidence=evidence.by_slot,
        settings=settings,
        seed=identity,
    )
    explanation = decision.explanation if decision is not None else f"no allowed time; {ranking.explanation}"
    return Recommendation(client.id, None, ranking, decision, zone, f"rule {rule.name!r}: {explanation}")


@dataclass(frozen=True, kw_only=True)
class AudienceRequest:
    """A send's audience as the send path has already loaded it, for ``decide_for_audience``."""

    type_id: int
    department: Department
    clients: Mapping[int, Client]
    starts: Mapping[int, datetime | None] = field(default_factory=dict)
    """Each client's requested time (None: now)."""
    blocks: Mapping[int, Sequence[ChannelBlock]] = field(default_factory=dict)
    bookings: Mapping[int, Sequence[Booking]] = field(default_factory=dict)
    """Every booking holding the client; those of the sender do not keep it away."""
    last_sent: Mapping[int, datetime | None] = field(default_factory=dict)
    reachable: Mapping[int, frozenset[ChannelKind]] = field(default_factory=dict)
    """Channel kinds each client is reachable on through facts beyond its record (a linked chat)."""
    permitted: Collection[int] | None = None
    """The channels the sender may use for the type (None: all)."""
    only_channels: Collection[int] | None = None
    """When the send names its channels and asks only for the time."""
    group_id: int | None = None
    """The send's group, whose counters are the group level of every member."""
    owner: Owner | None = None
    seed_key: str = ""


async def decide_for_audience(
    uow: UnitOfWork, request: AudienceRequest, *, now: datetime, settings: DecisionSettings
) -> dict[int, Decision | None]:
    """The decision for every client of a send, in a few set-based reads (the batch twin of
    ``decide_for_send``: same rule, counters, ranking and policy; the group level is the send's
    group). Clients without counters of their own share one evidence set.
    """
    department = request.department
    rule = await _rule_for(uow, department.id or 0, request.type_id, now)
    options = await _channels(uow)
    if request.only_channels is not None:
        options = [o for o in options if o.channel_id in request.only_channels]
    ids = list(request.clients)
    own = await uow.stats.slot_counts_by_client(ids, request.type_id)
    group = (
        tallies(
            await uow.stats.slot_counts(StatsScope(group_ids=(request.group_id,), type_id=request.type_id)),
            now=now,
            settings=settings,
        )
        if request.group_id is not None
        else tallies([], now=now, settings=settings)
    )
    everybody = tallies(
        await uow.stats.slot_counts(StatsScope(type_id=request.type_id)), now=now, settings=settings
    )
    shared = evidence_from([], group, everybody, now=now, settings=settings)
    with cycles_collected_after():
        return _decide_audience(request, rule, options, own, shared, now=now, settings=settings)


@contextmanager
def cycles_collected_after() -> Iterator[None]:
    """No cyclic garbage collection inside the block (it runs after it instead).

    Deciding for an audience allocates millions of short-lived objects (rankings, windows,
    figures) while the send's clients and facts, hundreds of thousands of objects, are alive: the
    collector's full passes over them cost as much as the decisions themselves (issue 10's bench:
    more than a second of a 100,000-client send). Reference counting still frees everything the
    decisions drop; nothing awaits inside, so no other task runs with the collector paused.
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _decide_audience(
    request: AudienceRequest,
    rule: Rule,
    options: Sequence[ChannelOption],
    own: Mapping[int, Sequence[SlotCounts]],
    shared: EvidenceSet,
    *,
    now: datetime,
    settings: DecisionSettings,
) -> dict[int, Decision | None]:
    department = request.department
    memo = DecisionMemo(settings, shared.by_slot)
    rankings: dict[tuple[object, ...], ChannelRanking] = {}
    windows: dict[tuple[str, datetime], SendingWindow] = {}
    capped = any(c is not None for c in (rule.max_per_day, rule.max_per_week, rule.min_interval_minutes))
    asked: list[DecisionRequest] = []
    found: list[Decision | None] = []
    for client_id, client in request.clients.items():
        start = max(now, request.starts.get(client_id) or now)
        blocks = request.blocks.get(client_id, ())
        reachable = request.reachable.get(client_id, frozenset())
        counted = client_id in own
        evidence = (
            with_own(shared, tallies(own[client_id], now=now, settings=settings)) if counted else shared
        )
        # On the shared evidence, a client's ranking depends only on what it can be reached on.
        key = (
            bool(client.phones),
            client.email is not None,
            bool(client.social_media),
            blocked_channels(blocks, client.id, start),
            reachable,
            start,
        )
        ranking = rankings.get(key)
        if ranking is None:
            ranking = rankings[key] = rank_channels(
                channels=options,
                rule=rule,
                type_id=request.type_id,
                client=client,
                blocks=blocks,
                now=start,
                permitted=request.permitted,
                evidence=shared.by_channel,
                settings=settings,
                reachable=reachable,
            )
        if counted:  # its own channels' figures replaced
            ranking = reranked(ranking, _own_estimates(ranking, evidence, shared, settings), settings)
        last = request.last_sent.get(client_id)
        zone = client.time_zone or department.time_zone
        held = blocking_bookings(request.bookings.get(client_id, ()), now, request.owner)
        # Without bookings held by others, or a send a cap counts, the window is the zone's.
        alike = (zone, start) if not held and (last is None or not capped) else None
        window = windows.get(alike) if alike is not None else None
        if window is None:
            window = SendingWindow.of(
                rule=rule,
                time_zone=zone,
                working_hours=department.working_hours,
                bookings=held,
                sends=() if last is None else (last,),
                since=start,
            )
            if alike is not None:
                windows[alike] = window
        asked.append(
            DecisionRequest(
                ranking, window, start, evidence.by_slot, seed_for("send", request.seed_key, client_id)
            )
        )
        if len(asked) == DECISION_BATCH:
            found.extend(decide_many(asked, settings=settings, memo=memo))
            asked = []
    found.extend(decide_many(asked, settings=settings, memo=memo))
    return dict(zip(request.clients, found, strict=True))


def _own_estimates(
    ranking: ChannelRanking, evidence: EvidenceSet, shared: EvidenceSet, settings: DecisionSettings
) -> dict[int, Estimate]:
    """The estimates of the ranked channels whose evidence is not the shared one."""
    return {
        c.channel_id: estimate(evidence.by_channel[c.channel_id], settings)
        for c in ranking.ranked
        if evidence.by_channel.get(c.channel_id) is not shared.by_channel.get(c.channel_id)
    }


class Recommendations:
    """Answers "how and when to reach this client (or this group)"; a question, never a send."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        clients: Clients,
        settings: DecisionSettings | None = None,
    ) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self._clients = clients
        # Explore and hold out only when sending: the recommendation is the plain best answer.
        self._settings = replace(settings or DecisionSettings(), exploration_share=0.0, holdout_share=0.0)

    async def for_client(self, request: RecommendationRequest) -> Recommendation:
        """The ranked channels, the excluded ones with reasons, and the best allowed time."""
        async with self._uow_factory(read_only=True) as uow:
            client = await self._clients.load_by_key(uow, request.client)
            return await decide_for_send(uow, client, request, now=self._clock.now(), settings=self._settings)

    async def for_group(self, request: GroupRecommendationRequest) -> Recommendation:
        """What a member without history of their own gets: the group's ranking and best time.

        Contact data, blocks and bookings are the members' own; the answer excludes none of them.
        """
        now = self._clock.now()
        async with self._uow_factory(read_only=True) as uow:
            group = await uow.client_groups.get(request.group_id)
            if group is None:
                raise NotFound("client group", request.group_id)
            department = await _department(uow, request.department_id)
            rule = await _rule_for(uow, request.department_id, request.type_id, now)
            evidence = await load_evidence(
                uow.stats,
                client_id=None,
                group_ids=[request.group_id],
                type_id=request.type_id,
                now=now,
                settings=self._settings,
            )
            channels = await _channels(uow)
            distribution = await self._distribution(uow, request, department, now)
        # A stand-in member reachable on every channel.
        member = Client(
            phones=["+10000000000"],
            email="member@example.invalid",
            social_media={"any": "member"},
            create_time=now,
            update_time=now,
        )
        start = max(now, request.after or now)
        ranking = rank_channels(
            channels=channels,
            rule=rule,
            type_id=request.type_id,
            client=member,
            blocks=(),
            now=start,
            permitted=None,
            evidence=evidence.by_channel,
            settings=self._settings,
        )
        window = SendingWindow.of(
            rule=rule, time_zone=department.time_zone, working_hours=department.working_hours, since=start
        )
        decision = decide(
            ranking=ranking,
            window=window,
            start=start,
            slot_evidence=evidence.by_slot,
            settings=self._settings,
            seed=seed_for("group recommendation", request.group_id, request.type_id, start.isoformat()),
        )
        explanation = (
            decision.explanation if decision is not None else f"no allowed time; {ranking.explanation}"
        )
        return Recommendation(
            None, request.group_id, ranking, decision, department.time_zone, explanation, distribution
        )

    async def _distribution(
        self, uow: UnitOfWork, request: GroupRecommendationRequest, department: Department, now: datetime
    ) -> Distribution:
        members = await uow.sends.group_members(request.group_id)
        sample = sorted(members)[:MAX_DISTRIBUTION]
        clients: dict[int, Client] = {}
        for start in range(0, len(sample), 5_000):
            clients.update(await uow.clients.get_many(sample[start : start + 5_000]))
        known = await uow.sends.facts(sample, now)
        after = max(now, request.after or now)
        decided = await decide_for_audience(
            uow,
            AudienceRequest(
                type_id=request.type_id,
                department=department,
                clients=clients,
                starts=dict.fromkeys(clients, after),
                blocks={i: f.blocks for i, f in known.items()},
                bookings={i: f.bookings for i, f in known.items()},
                last_sent={i: f.last_sent_at for i, f in known.items()},
                group_id=request.group_id,
                seed_key="group recommendation",
            ),
            now=now,
            settings=self._settings,
        )
        by_channel: Counter[int] = Counter()
        by_slot: Counter[tuple[int, int]] = Counter()
        for choice in decided.values():
            if choice is not None:
                by_channel[choice.channel_id] += 1
                by_slot[(choice.time.weekday, choice.time.hour)] += 1
        return Distribution(
            members=len(members),
            decided=len(decided),
            undecided=sum(1 for c in decided.values() if c is None),
            channels=[Share((k,), n) for k, n in sorted(by_channel.items(), key=lambda i: (-i[1], i[0]))],
            slots=[Share(k, n) for k, n in sorted(by_slot.items(), key=lambda i: (-i[1], i[0]))],
        )


async def _reachable(uow: UnitOfWork, client_id: int) -> frozenset[ChannelKind]:
    """The kinds one client reaches through stored facts beyond its record: a linked Telegram chat."""
    link = await uow.telegram_links.first(TelegramLinkFields.client_id.eq(client_id))
    return frozenset({ChannelKind.MESSENGER}) if link is not None and link.linked else frozenset()
