"""Statistics routes (/api/v1/stats/…), JSON or CSV (``format=csv`` or ``Accept: text/csv``)."""

# No `from __future__ import annotations`: Litestar must see the answer Structs.

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, Schema
from litestar.params import QueryParameter

from application.decisions.statistics import Statistics, StatsQuery
from domain.access import Principal
from entrypoints.http.auth import read_statistics
from entrypoints.http.controllers.clients import owner_of
from entrypoints.http.resource import use_case
from entrypoints.http.schemas.statistics import (
    AutoOut,
    AvailabilityOut,
    BestTimeCellOut,
    ChannelStatOut,
    EmployeeStatOut,
    ResponsesOut,
    SurveyAnswerStatOut,
    TypeStatOut,
    auto_out,
    availability_out,
    best_time_out,
    channel_stats,
    employee_stats,
    responses_out,
    survey_stats,
    to_csv,
    type_stats,
)

Format = Annotated[Literal["json", "csv"] | None, QueryParameter(description="csv: the same rows as CSV")]


def stats_query(
    since: Annotated[date | None, QueryParameter(name="from", description="first local day")] = None,
    until: Annotated[date | None, QueryParameter(name="to", description="last local day")] = None,
    client_id: Annotated[int | None, QueryParameter(name="clientId", ge=1)] = None,
    group_id: Annotated[int | None, QueryParameter(name="groupId", ge=1)] = None,
    type_id: Annotated[int | None, QueryParameter(name="communicationTypeId", ge=1)] = None,
    channel_id: Annotated[int | None, QueryParameter(name="channelId", ge=1)] = None,
    department_id: Annotated[int | None, QueryParameter(name="departmentId", ge=1)] = None,
) -> StatsQuery:
    return StatsQuery(client_id, group_id, type_id, channel_id, since, until, department_id)


@dataclass
class AlsoCsv(Operation):
    """Documents the CSV form of a statistic beside its JSON."""

    def __post_init__(self) -> None:
        ok = (self.responses or {}).get("200")
        content = getattr(ok, "content", None)
        if content is not None:
            content["text/csv"] = OpenAPIMediaType(
                schema=Schema(
                    type=OpenAPIType.STRING, description="the same rows, a header of their JSON names"
                )
            )


def _answer(request: Request[Any, Any, Any], fmt: str | None, body: Any) -> Any:
    wants_csv = fmt == "csv" or (fmt is None and "text/csv" in request.headers.get("accept", ""))
    if wants_csv:
        return Response(to_csv(body), media_type="text/csv")
    return body


class StatisticsController(Controller):
    path = "/api/v1/stats"
    tags = ["statistics"]  # noqa: RUF012
    guards = [read_statistics]  # noqa: RUF012
    dependencies = {  # noqa: RUF012
        "statistics": use_case("statistics"),
        "asked": Provide(stats_query, sync_to_thread=False),
    }

    @get(
        "/channels",
        operation_class=AlsoCsv,
        summary="Channels ranked by delivered count and rate, with response rates",
    )
    async def channels(
        self,
        request: Request[Any, Any, Any],
        statistics: NamedDependency[Statistics],
        asked: NamedDependency[StatsQuery],
        format: Format = None,
    ) -> list[ChannelStatOut]:
        return _answer(request, format, channel_stats(await statistics.channels(asked)))

    @get("/types", operation_class=AlsoCsv, summary="Communication types that ended successfully (delivered)")
    async def types(
        self,
        request: Request[Any, Any, Any],
        statistics: NamedDependency[Statistics],
        asked: NamedDependency[StatsQuery],
        format: Format = None,
    ) -> list[TypeStatOut]:
        return _answer(request, format, type_stats(await statistics.types(asked)))

    @get("/responses", operation_class=AlsoCsv, summary="Response vs ignore")
    async def responses(
        self,
        request: Request[Any, Any, Any],
        statistics: NamedDependency[Statistics],
        asked: NamedDependency[StatsQuery],
        format: Format = None,
    ) -> ResponsesOut:
        return _answer(request, format, responses_out(await statistics.responses(asked)))

    @get(
        "/best-time",
        operation_class=AlsoCsv,
        summary="The 7 x 24 success matrix by weekday and hour, in client local time",
    )
    async def best_time(
        self,
        request: Request[Any, Any, Any],
        statistics: NamedDependency[Statistics],
        asked: NamedDependency[StatsQuery],
        format: Format = None,
    ) -> list[BestTimeCellOut]:
        return _answer(request, format, best_time_out(await statistics.best_time(asked)))

    @get(
        "/availability",
        operation_class=AlsoCsv,
        summary="The success share, and whether the scope's clients may be contacted now, with reasons",
    )
    async def availability(
        self,
        request: Request[Principal, Any, Any],
        statistics: NamedDependency[Statistics],
        asked: NamedDependency[StatsQuery],
        format: Format = None,
    ) -> AvailabilityOut:
        found = await statistics.availability(asked, owner_of(request.user))
        return _answer(request, format, availability_out(found))

    @get("/surveys", operation_class=AlsoCsv, summary="Survey answers by question")
    async def surveys(
        self,
        request: Request[Any, Any, Any],
        statistics: NamedDependency[Statistics],
        asked: NamedDependency[StatsQuery],
        format: Format = None,
    ) -> list[SurveyAnswerStatOut]:
        return _answer(request, format, survey_stats(await statistics.surveys(asked)))

    @get(
        "/employees",
        operation_class=AlsoCsv,
        summary="Per employee: communications that ended, delivered and response rates",
    )
    async def employees(
        self,
        request: Request[Any, Any, Any],
        statistics: NamedDependency[Statistics],
        asked: NamedDependency[StatsQuery],
        format: Format = None,
    ) -> list[EmployeeStatOut]:
        return _answer(request, format, employee_stats(await statistics.employees(asked)))

    @get(
        "/auto",
        operation_class=AlsoCsv,
        summary="Lift of automatic sends over the rule: holdout, and off-policy (IPS, doubly robust)",
        description=(
            "From the decisions logged with each automatic send and the outcomes of those sends: the "
            "holdout's difference of rates with a 95% Wald interval, and what the fixed rule would have "
            "achieved on the same traffic, estimated from the logged propensities."
        ),
    )
    async def auto(
        self,
        request: Request[Any, Any, Any],
        statistics: NamedDependency[Statistics],
        asked: NamedDependency[StatsQuery],
        format: Format = None,
    ) -> AutoOut:
        return _answer(request, format, auto_out(await statistics.auto(asked)))


CONTROLLERS = [StatisticsController]
