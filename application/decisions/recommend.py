"""Recommendations: the channel and time to reach a client (or a group), with the figures why.

``decide_for_send`` is the seam for the sending path: it works inside the caller's unit of work,
so a send with ``"channels": "auto"`` / ``"at": "auto"`` decides with the same inputs it queues with.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from application.clients.bookings import holding
from application.decisions.evidence import load_evidence
from application.ports import Clock, UnitOfWork, UnitOfWorkFactory
from application.queries import Query
from application.searches import ChannelBlockFields, CommunicationFields, RuleFields
from domain.availability import Owner, blocking_bookings
from domain.clients import Client
from domain.decisions import (
    ChannelOption,
    ChannelRanking,
    Decision,
    DecisionSettings,
    SendingWindow,
    decide,
    rank_channels,
    seed_for,
)
from domain.errors import NotFound
from domain.organisation import Department
from domain.rules import Rule

MAX_CHANNELS = 500
WEEK = timedelta(days=7)


@dataclass(frozen=True)
class RecommendationRequest:
    """The command asking which channel and time suit one client."""

    client_id: int
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
    request: RecommendationRequest,
    *,
    now: datetime,
    settings: DecisionSettings,
    seed: int | None = None,
) -> Recommendation:
    """Channel ranking and time for one client, inside the caller's unit of work."""
    client = await uow.clients.get(request.client_id)
    if client is None:
        raise NotFound("client", request.client_id)
    if await uow.communication_types.get(request.type_id) is None:
        raise NotFound("communication type", request.type_id)
    department = await _department(uow, request.department_id)
    start = max(now, request.after or now)
    rule = await _rule_for(uow, department.id or 0, request.type_id, now)
    blocks = await uow.channel_blocks.find(
        Query((ChannelBlockFields.client_id.eq(request.client_id),), limit=MAX_CHANNELS)
    )
    bookings = blocking_bookings(await holding(uow, now, [request.client_id]), now, request.asking)
    recent = await uow.communications.find(
        Query(
            (
                CommunicationFields.client_id.eq(request.client_id),
                CommunicationFields.create_time.gte(start - WEEK),
            ),
            limit=1000,
        )
    )
    groups = await uow.client_groups.groups_of(request.client_id)
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


class Recommendations:
    """Answers "how and when to reach this client (or this group)"; a question, never a send."""

    def __init__(
        self, uow_factory: UnitOfWorkFactory, clock: Clock, settings: DecisionSettings | None = None
    ) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        # Explore and hold out only when sending: the recommendation is the plain best answer.
        self._settings = replace(settings or DecisionSettings(), exploration_share=0.0, holdout_share=0.0)

    async def for_client(self, request: RecommendationRequest) -> Recommendation:
        """The ranked channels, the excluded ones with reasons, and the best allowed time."""
        async with self._uow_factory(read_only=True) as uow:
            return await decide_for_send(uow, request, now=self._clock.now(), settings=self._settings)

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
        return Recommendation(None, request.group_id, ranking, decision, department.time_zone, explanation)
