"""Answers of the recommendation routes: ranked channels, excluded ones, and the chosen time."""

from __future__ import annotations

from typing import Annotated

import msgspec

from application.decisions.recommend import Distribution, Recommendation
from entrypoints.http.schemas.common import Out

Level = Annotated[
    str,
    msgspec.Meta(description="which level's data decided: client, group, all or rule", examples=["group"]),
]


class ChannelFigureOut(Out):
    channel_id: int
    rank: int
    successes: float
    """Recency-weighted successes at the deciding level."""
    attempts: float
    prior: float
    """The rate of the level above, toward which these counts were shrunk."""
    rate: float
    level: Level


class ExcludedChannelOut(Out):
    channel_id: int
    reason: Annotated[
        str,
        msgspec.Meta(
            examples=["blocked"], description="blocked, no_contact_data, not_allowed, not_permitted"
        ),
    ]


class TimeOut(Out):
    at: Annotated[
        str,
        msgspec.Meta(description="ISO time with the client's offset", examples=["2026-12-02T19:00:00+03:00"]),
    ]
    weekday: Annotated[int, msgspec.Meta(description="0 = Monday, in the client's time zone")]
    hour: int
    rate: float
    level: Level
    time_zone: str
    grid: Annotated[
        list[list[float]], msgspec.Meta(description="7 x 24 smoothed rates by local weekday and hour")
    ]


class RecommendationOut(Out):
    client_id: int
    channel_id: int | None
    """The channel chosen together with the time (the ranked channel whose best hour is best)."""
    channels: list[ChannelFigureOut]
    excluded: list[ExcludedChannelOut]
    time: TimeOut | None
    explanation: str


class ChannelShareOut(Out):
    channel_id: Annotated[int, msgspec.Meta(examples=[1])]
    clients: Annotated[int, msgspec.Meta(examples=[640])]
    share: Annotated[float, msgspec.Meta(ge=0, le=1, examples=[0.64], description="of the members decided")]


class SlotShareOut(Out):
    weekday: Annotated[int, msgspec.Meta(ge=0, le=6, description="0 = Monday, the member's local time")]
    hour: Annotated[int, msgspec.Meta(ge=0, le=23)]
    clients: Annotated[int, msgspec.Meta(examples=[120])]
    share: Annotated[float, msgspec.Meta(ge=0, le=1, examples=[0.12])]


class DistributionOut(Out):
    members: Annotated[int, msgspec.Meta(examples=[1000])]
    decided: Annotated[
        int, msgspec.Meta(examples=[1000], description="members decided (the first 1,000 by id)")
    ]
    undecided: Annotated[int, msgspec.Meta(examples=[12], description="no allowed channel or time")]
    channels: list[ChannelShareOut]
    slots: list[SlotShareOut]


class GroupRecommendationOut(Out):
    group_id: int
    channel_id: int | None
    channels: list[ChannelFigureOut]
    excluded: list[ExcludedChannelOut]
    time: TimeOut | None
    explanation: str
    distribution: DistributionOut
    """Each member decided with their own history, contact data and bookings: the group's choices."""


def _parts(r: Recommendation) -> dict[str, object]:
    channels = [
        ChannelFigureOut(
            channel_id=c.channel_id,
            rank=c.rank,
            successes=round(c.estimate.successes, 4),
            attempts=round(c.estimate.attempts, 4),
            prior=round(c.estimate.prior, 6),
            rate=round(c.estimate.rate, 6),
            level=c.estimate.level.value,
        )
        for c in r.ranking.ranked
    ]
    excluded = [
        ExcludedChannelOut(channel_id=e.channel_id, reason=e.reason.value) for e in r.ranking.excluded
    ]
    time = None
    if r.decision is not None:
        chosen = r.decision.time
        time = TimeOut(
            at=chosen.at.isoformat(timespec="seconds"),
            weekday=chosen.weekday,
            hour=chosen.hour,
            rate=round(chosen.rate, 6),
            level=chosen.estimate.level.value,
            time_zone=r.time_zone,
            grid=[[round(cell.rate, 4) for cell in row] for row in chosen.grid],
        )
    return {
        "channel_id": None if r.decision is None else r.decision.channel_id,
        "channels": channels,
        "excluded": excluded,
        "time": time,
        "explanation": r.explanation,
    }


def recommendation_out(r: Recommendation) -> RecommendationOut:
    # By hand (here and below): rates are rounded and shares computed for the answer.
    assert r.client_id is not None
    return RecommendationOut(client_id=r.client_id, **_parts(r))  # type: ignore[arg-type]


def _share(part: int, whole: int) -> float:
    return round(part / whole, 6) if whole else 0.0


def distribution_out(d: Distribution) -> DistributionOut:
    chosen = d.decided - d.undecided
    return DistributionOut(
        members=d.members,
        decided=d.decided,
        undecided=d.undecided,
        channels=[
            ChannelShareOut(channel_id=s.key[0], clients=s.clients, share=_share(s.clients, chosen))
            for s in d.channels
        ],
        slots=[
            SlotShareOut(weekday=s.key[0], hour=s.key[1], clients=s.clients, share=_share(s.clients, chosen))
            for s in d.slots
        ],
    )


def group_recommendation_out(r: Recommendation) -> GroupRecommendationOut:
    assert r.group_id is not None and r.distribution is not None
    return GroupRecommendationOut(
        group_id=r.group_id,
        distribution=distribution_out(r.distribution),
        **_parts(r),  # type: ignore[arg-type]
    )
