"""Answers of /api/v1/stats/…: JSON Structs, and the same rows as CSV."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from typing import Annotated, Any

import msgspec

from application.decisions.ports import SurveyCount
from application.decisions.statistics import AutoFigures, AvailabilityFigures, Cell, Figures
from domain.decisions.evaluation import Lift
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


class EmployeeStatOut(Out):
    employee_id: Annotated[
        int, msgspec.Meta(examples=[7], description="0: communications without an employee (automatic)")
    ]
    attempts: Annotated[int, msgspec.Meta(examples=[310], description="communications that ended")]
    delivered: Annotated[int, msgspec.Meta(examples=[250])]
    delivered_rate: Rate
    responses: Annotated[int, msgspec.Meta(examples=[90])]
    response_rate: Rate


class SurveyAnswerStatOut(Out):
    question: Annotated[str, msgspec.Meta(examples=["How was the visit?"])]
    answer: Annotated[str, msgspec.Meta(examples=["Good"])]
    count: Annotated[int, msgspec.Meta(examples=[41])]
    share: Annotated[
        float, msgspec.Meta(ge=0, le=1, examples=[0.68], description="of the question's answers")
    ]


class ReasonOut(Out):
    reason: Annotated[str, msgspec.Meta(examples=["opted out of communications (available is false)"])]
    clients: Annotated[int, msgspec.Meta(examples=[12])]


class AvailabilityOut(Out):
    attempts: Annotated[int, msgspec.Meta(examples=[1200])]
    delivered: Annotated[int, msgspec.Meta(examples=[744])]
    success_share: Annotated[
        float, msgspec.Meta(ge=0, le=1, examples=[0.62], description="delivered / communications that ended")
    ]
    clients: Annotated[int, msgspec.Meta(examples=[100], description="clients in the scope")]
    contactable_now: Annotated[int, msgspec.Meta(examples=[87], description="of them, may be contacted now")]
    available_now: Annotated[
        bool, msgspec.Meta(description="whether every client of the scope may be contacted")
    ]
    reasons: list[ReasonOut]
    """Why the others may not, with how many clients each reason holds back."""


Maybe = Annotated[float | None, msgspec.Meta(description="null while an arm has no outcomes yet")]


class LiftOut(Out):
    method: Annotated[str, msgspec.Meta(examples=["holdout"])]
    lift: Annotated[float | None, msgspec.Meta(examples=[0.041], description="auto rate minus rule rate")]
    low: Annotated[float | None, msgspec.Meta(examples=[0.012], description="95% interval")]
    high: Annotated[float | None, msgspec.Meta(examples=[0.07])]
    auto_rate: Maybe
    rule_rate: Maybe
    count: Annotated[int, msgspec.Meta(examples=[5400], description="decisions it rests on")]


class AutoOut(Out):
    decisions: Annotated[int, msgspec.Meta(examples=[6000], description="logged decisions whose sends ended")]
    greedy: int
    explore: int
    holdout: int
    holdout_lift: LiftOut
    inverse_propensity: LiftOut
    doubly_robust: LiftOut


def _number(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 6)


def lift_out(lift: Lift) -> LiftOut:
    return LiftOut(
        method=lift.method,
        lift=_number(lift.difference.value),
        low=_number(lift.difference.low),
        high=_number(lift.difference.high),
        auto_rate=_number(lift.auto_rate),
        rule_rate=_number(lift.rule_rate),
        count=lift.difference.count,
    )


def auto_out(found: AutoFigures) -> AutoOut:
    return AutoOut(
        decisions=found.decisions,
        greedy=found.by_mode.get("greedy", 0),
        explore=found.by_mode.get("explore", 0),
        holdout=found.by_mode.get("holdout", 0),
        holdout_lift=lift_out(found.holdout),
        inverse_propensity=lift_out(found.inverse_propensity),
        doubly_robust=lift_out(found.doubly_robust),
    )


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


def employee_stats(rows: Sequence[Figures]) -> list[EmployeeStatOut]:
    return [
        EmployeeStatOut(
            employee_id=f.key,
            attempts=f.attempts,
            delivered=f.delivered,
            delivered_rate=_rate(f.delivered, f.attempts),
            responses=f.responses,
            response_rate=_rate(f.responses, f.attempts),
        )
        for f in rows
    ]


def survey_stats(rows: Sequence[SurveyCount]) -> list[SurveyAnswerStatOut]:
    totals: dict[str, int] = {}
    for row in rows:
        totals[row.question] = totals.get(row.question, 0) + row.count
    return [
        SurveyAnswerStatOut(
            question=r.question, answer=r.answer, count=r.count, share=_rate(r.count, totals[r.question])
        )
        for r in rows
    ]


def availability_out(found: AvailabilityFigures) -> AvailabilityOut:
    f = found.figures
    return AvailabilityOut(
        attempts=f.attempts,
        delivered=f.delivered,
        success_share=_rate(f.delivered, f.attempts),
        clients=found.clients,
        contactable_now=found.contactable_now,
        available_now=found.contactable_now == found.clients,
        reasons=[ReasonOut(reason=r.reason, clients=r.clients) for r in found.reasons],
    )


def _cell(value: Any) -> Any:
    if not isinstance(value, list):
        return value
    return "; ".join(
        ": ".join(str(v) for v in item.values()) if isinstance(item, dict) else str(item) for item in value
    )


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for name, value in row.items():
        if isinstance(value, dict):
            flat.update({f"{name}.{k}": _cell(v) for k, v in value.items()})
        else:
            flat[name] = _cell(value)
    return flat


def to_csv(items: Sequence[Out] | Out) -> str:
    """The rows with a header of their JSON names."""
    rows: list[dict[str, Any]] = msgspec.to_builtins(list(items) if isinstance(items, Sequence) else [items])
    # Nested lists (an availability's reasons) become one cell: "reason: clients; …"; nested
    # objects (a lift) spread into columns named by both.
    rows = [_flat(row) for row in rows]
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return out.getvalue()
