"""Recommendation routes (/api/v1): how and when to reach a client or a group, and why."""

# No `from __future__ import annotations`: Litestar must see the answer Structs.

from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from application.clients import ClientGroups
from application.decisions.recommend import GroupRecommendationRequest, RecommendationRequest, Recommendations
from domain.access import Principal
from entrypoints.http.auth import read_statistics
from entrypoints.http.controllers.clients import owner_of
from entrypoints.http.controllers.importing import CONTROLLERS as IMPORT
from entrypoints.http.controllers.statistics import CONTROLLERS as STATISTICS
from entrypoints.http.controllers.surveys import CONTROLLERS as SURVEYS
from entrypoints.http.resource import use_case
from entrypoints.http.schemas.common import aware
from entrypoints.http.schemas.decisions import (
    GroupRecommendationOut,
    RecommendationOut,
    group_recommendation_out,
    recommendation_out,
)

TypeId = Annotated[int, QueryParameter(name="communicationTypeId", ge=1, description="the type to send")]
DepartmentId = Annotated[int, QueryParameter(name="departmentId", ge=1, description="whose rule and hours")]
After = Annotated[datetime | None, QueryParameter(description="not before this time (ISO 8601; default now)")]


class RecommendationsController(Controller):
    tags = ["decisions"]  # noqa: RUF012
    guards = [read_statistics]  # noqa: RUF012
    dependencies = {  # noqa: RUF012
        "client_groups": use_case("client_groups"),
        "recommendations": use_case("recommendations"),
    }

    @get(
        "/api/v1/clients/{key:str}/recommendation",
        summary="The best channel and time to reach a client, with the figures that decided",
    )
    async def for_client(
        self,
        request: Request[Principal, Any, Any],
        recommendations: NamedDependency[Recommendations],
        key: FromPath[str],
        type_id: TypeId,
        department_id: DepartmentId,
        after: After = None,
    ) -> RecommendationOut:
        asked = RecommendationRequest(
            client=key,
            type_id=type_id,
            department_id=department_id,
            after=None if after is None else aware(after),
            asking=owner_of(request.user),
        )
        return recommendation_out(await recommendations.for_client(asked))

    @get(
        "/api/v1/client-groups/{key:str}/recommendation",
        summary="What a member of the group without history of their own would get",
    )
    async def for_group(
        self,
        client_groups: NamedDependency[ClientGroups],
        recommendations: NamedDependency[Recommendations],
        key: FromPath[str],
        type_id: TypeId,
        department_id: DepartmentId,
        after: After = None,
    ) -> GroupRecommendationOut:
        group = await client_groups.find(key)
        assert group.id is not None
        asked = GroupRecommendationRequest(
            group_id=group.id,
            type_id=type_id,
            department_id=department_id,
            after=None if after is None else aware(after),
        )
        return group_recommendation_out(await recommendations.for_group(asked))


DECISIONS = [RecommendationsController, *IMPORT, *STATISTICS, *SURVEYS]
