"""Survey answers: what a client answered in a communication of a survey type (SPEC §3 SurveyResponse)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from domain.errors import Conflict, FieldError, ValidationFailed

SURVEY_TYPE_CODES: frozenset[str] = frozenset({"survey", "commercial_survey"})
"""The communication types whose communications take answers: Survey and Commercial survey."""
MAX_TEXT = 500
"""Question and answer each; both are part of a counter key, which an index must hold."""
MAX_ANSWERS = 500


@dataclass(frozen=True)
class SurveyAnswer:
    question: str
    answer: str


def checked_answers(answers: Sequence[SurveyAnswer]) -> list[SurveyAnswer]:
    """The answers with surrounding blanks trimmed; every empty or overlong text is named."""
    if not answers:
        raise ValidationFailed.field("body", "give at least one answer")
    if len(answers) > MAX_ANSWERS:
        raise ValidationFailed.field("body", f"at most {MAX_ANSWERS} answers per request")
    errors: list[FieldError] = []
    found: list[SurveyAnswer] = []
    for index, item in enumerate(answers):
        question, answer = item.question.strip(), item.answer.strip()
        for name, text in (("question", question), ("answer", answer)):
            if not text:
                errors.append(FieldError(f"[{index}].{name}", "must not be empty"))
            elif len(text) > MAX_TEXT:
                errors.append(FieldError(f"[{index}].{name}", f"at most {MAX_TEXT} characters"))
        found.append(SurveyAnswer(question, answer))
    if errors:
        raise ValidationFailed(errors)
    return found


def require_survey_type(type_code: str | None, uuid: str) -> None:
    """Only Survey and Commercial survey communications take answers (HTTP 409 otherwise)."""
    if type_code not in SURVEY_TYPE_CODES:
        raise Conflict(
            f"communication {uuid} is of type {type_code or 'unknown'!r}; survey answers are taken "
            "only for the Survey and Commercial survey types"
        )
