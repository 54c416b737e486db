"""POST /api/v1/communications/{key}/survey-responses: what a client answered in a survey."""

# No `from __future__ import annotations`: Litestar must see the answer Structs.

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from application.decisions.explain import SendDecisions
from application.decisions.surveys import SurveyResponses
from domain.access import Permission
from domain.keys import id_or_name
from entrypoints.http.auth import read_statistics, requires
from entrypoints.http.resource import use_case
from entrypoints.http.schemas.surveys import (
    SendDecisionOut,
    SurveyAnswerIn,
    SurveyResponsesOut,
    send_decision_out,
)
from entrypoints.http.schemas.times import answer


class SurveyResponsesController(Controller):
    tags = ["communications"]  # noqa: RUF012
    dependencies = {  # noqa: RUF012
        "survey_responses": use_case("survey_responses"),
        "send_decisions": use_case("send_decisions"),
    }

    @post(
        "/api/v1/communications/{key:str}/survey-responses",
        guards=[requires(Permission.SEND_COMMUNICATIONS)],
        status_code=201,
        summary="Record a client's survey answers (Survey and Commercial survey communications only)",
        description=(
            "A JSON array of {question, answer}, at most 500. The communication is named by id or "
            "uuid; one of another type is refused with 409. Answers add up in /api/v1/stats/surveys."
        ),
    )
    async def record(
        self,
        survey_responses: NamedDependency[SurveyResponses],
        key: FromPath[str],
        data: JSONBody[list[SurveyAnswerIn]],
    ) -> SurveyResponsesOut:
        found = await survey_responses.record(id_or_name(key), [a.to_command() for a in data])
        return answer(found, SurveyResponsesOut)

    @get(
        "/api/v1/communications/{key:str}/decision",
        guards=[read_statistics],
        summary="The decision an automatic send kept with this communication, and why",
    )
    async def decision(
        self, send_decisions: NamedDependency[SendDecisions], key: FromPath[str]
    ) -> SendDecisionOut:
        return send_decision_out(await send_decisions.of(id_or_name(key)))


CONTROLLERS = [SurveyResponsesController]
