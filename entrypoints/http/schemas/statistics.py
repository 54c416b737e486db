"""Answers of /api/v1/stats/…: JSON Structs, and the same rows as CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Annotated, Any

import msgspec

from application.decisions.statistics import Cell, Figures
from entrypoints.http.schemas.common import Out

Rate = Annotated[float, msgspec.Meta(ge=0, le=1, examples=[0.62])]


class ChannelStatOut(Out):
    channel_id: Annotated[int, msgspec.Meta(examples=[1])]
    rank: Annotated[int, msgspec.Meta(examples=[1])]
    attempts: Annotated[int, msgspec.Meta(examples=[1200])]
    delivered: Annotated[int, msgspec.Meta(examples=[744])]
    delivered_rate: Rate
    responses: Annotated[int, msgspec.Meta(examples=[180])]
    response_rate: Rate


class TypeStatOut(Out):
    communication_type_id: Annotated[int, msgspec.Meta(examples=[1])]
    delivered: Annotated[int, msgspec.Meta(examples=[744])]
    attempts: Annotated[int, msgspec.Meta(examples=[1200])]
    delivered_rate: Rate


class ResponsesOut(Out):
    attempts: Annotated[int, msgspec.Meta(examples=[1200])]
    responses: Annotated[int, msgspec.Meta(examples=[180])]
    ignored: Annotated[int, msgspec.Meta(examples=[1020])]
    response_rate: Rate
    ignore_rate: Rate


class BestTimeCellOut(Out):
    weekday: Annotated[int, msgspec.Meta(ge=0, le=6, description="0 = Monday, client local time")]
    hour: Annotated[int, msgspec.Meta(ge=0, le=23, description="client local time")]
    attempts: int
    delivered: int
    delivered_rate: Rate
    responses: int
    response_rate: Rate


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 6) if whole else 0.0


def channel_stats(rows: Sequence[Figures]) -> list[ChannelStatOut]:
    return [
        ChannelStatOut(
            channel_id=f.key,
            rank=rank,
            attempts=f.attempts,
            delivered=f.delivered,
            delivered_rate=_rate(f.delivered, f.attempts),
            responses=f.responses,
            response_rate=_rate(f.responses, f.attempts),
        )
        for rank, f in enumerate(rows, start=1)
    ]


def type_stats(rows: Sequence[Figures]) -> list[TypeStatOut]:
    return [
        TypeStatOut(
            communication_type_id=f.key,
            delivered=f.delivered,
            attempts=f.attempts,
            delivered_rate=_rate(f.delivered, f.attempts),
        )
        for f in rows
    ]


def responses_out(f: Figures) -> ResponsesOut:
    return ResponsesOut(
        attempts=f.attempts,
        responses=f.responses,
        ignored=f.ignored,
        response_rate=_rate(f.responses, f.attempts),
        ignore_rate=_rate(f.ignored, f.attempts),
    )


def best_time_out(cells: Sequence[Cell]) -> list[BestTimeCellOut]:
    return [
        BestTimeCellOut(
            weekday=c.weekday,
            hour=c.hour,
            attempts=c.attempts,
            delivered=c.delivered,
            delivered_rate=_rate(c.delivered, c.attempts),
            responses=c.responses,
            response_rate=_rate(c.responses, c.attempts),
        )
        for c in cells
    ]


def to_csv(items: Sequence[Out] | Out) -> str:
    """The rows with a header of their JSON names."""
    rows: list[dict[str, Any]] = msgspec.to_builtins(list(items) if isinstance(items, Sequence) else [items])
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return out.getvalue()
