"""Survey answers in and out: POST /api/v1/communications/{key}/survey-responses."""

from __future__ import annotations

from typing import Annotated

import msgspec

from application.decisions.ports import DecisionRecord
from domain.communications.surveys import MAX_TEXT, SurveyAnswer
from entrypoints.http.schemas.common import In, Out, iso


class SurveyAnswerIn(In):
    question: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_TEXT, examples=["How was the visit?"])]
    answer: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_TEXT, examples=["Good"])]

    def to_command(self) -> SurveyAnswer:
        return SurveyAnswer(self.question, self.answer)


class SurveyAnswerOut(Out):
    question: Annotated[str, msgspec.Meta(examples=["How was the visit?"])]
    answer: Annotated[str, msgspec.Meta(examples=["Good"])]


class SurveyResponsesOut(Out):
    communication_id: Annotated[int, msgspec.Meta(examples=[42])]
    uuid: Annotated[str, msgspec.Meta(examples=["0b0f6c3e-2f55-4c1a-9a43-4b2f3f8f1c11"])]
    recorded: Annotated[int, msgspec.Meta(examples=[2], description="answers stored by this request")]
    answers: list[SurveyAnswerOut]


class SendDecisionOut(Out):
    communication_id: Annotated[int, msgspec.Meta(examples=[42])]
    mode: Annotated[str, msgspec.Meta(examples=["greedy"], description="greedy, explore or holdout")]
    objective: Annotated[str, msgspec.Meta(examples=["response"])]
    propensity: Annotated[float, msgspec.Meta(gt=0, le=1, examples=[0.9])]
    matches_rule: Annotated[bool, msgspec.Meta(description="what went out is what the fixed rule would send")]
    rule_channel_id: int
    rule_at: Annotated[str, msgspec.Meta(examples=["2026-12-01T10:00:00+03:00"])]
    predicted_rate: Annotated[float, msgspec.Meta(examples=[0.31], description="of the choice, when made")]
    predicted_rule_rate: Annotated[float, msgspec.Meta(examples=[0.22])]
    explanation: str


def send_decision_out(found: DecisionRecord) -> SendDecisionOut:
    # By hand: the predicted rates are rounded, and the names differ (predicted_chosen).
    return SendDecisionOut(
        communication_id=found.communication_id,
        mode=found.mode,
        objective=found.objective,
        propensity=found.propensity,
        matches_rule=found.matches_rule,
        rule_channel_id=found.rule_channel_id,
        rule_at=iso(found.rule_at) or "",
        predicted_rate=round(found.predicted_chosen, 6),
        predicted_rule_rate=round(found.predicted_rule, 6),
        explanation=found.explanation,
    )
