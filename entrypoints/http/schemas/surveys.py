"""Survey answers in and out: POST /api/v1/communications/{key}/survey-responses."""

from __future__ import annotations

from typing import Annotated

import msgspec

from application.decisions.surveys import RecordedAnswers
from domain.communications.surveys import MAX_TEXT, SurveyAnswer
from entrypoints.http.schemas.common import In, Out


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


def survey_responses_out(found: RecordedAnswers) -> SurveyResponsesOut:
    return SurveyResponsesOut(
        communication_id=found.communication_id,
        uuid=found.uuid,
        recorded=found.recorded,
        answers=[SurveyAnswerOut(question=a.question, answer=a.answer) for a in found.answers],
    )
