"""Survey answers: recorded for communications of the Survey and Commercial survey types."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from application.ports import UnitOfWorkFactory
from domain.communications.surveys import SurveyAnswer, checked_answers, require_survey_type
from domain.errors import NotFound


@dataclass(frozen=True)
class RecordedAnswers:
    communication_id: int
    uuid: str
    recorded: int
    answers: list[SurveyAnswer]
    """Every answer the communication now holds, in the order given."""


class SurveyResponses:
    """Records what a client answered in a survey communication, counted in the statistics."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def record(self, key: int | str, answers: Sequence[SurveyAnswer]) -> RecordedAnswers:
        """Stores the answers of a communication (id or uuid); 409 when its type is not a survey."""
        checked = checked_answers(answers)
        async with self._uow_factory() as uow:
            communication = await (
                uow.communications.get(key) if isinstance(key, int) else uow.communications.get_by_uuid(key)
            )
            if communication is None or communication.id is None:
                raise NotFound("communication", key)
            kind = await uow.communication_types.get(communication.type_id)
            require_survey_type(kind.code if kind is not None else None, communication.uuid)
            recorded = await uow.survey_responses.add_many(communication, checked)
            stored = await uow.survey_responses.of(communication.id)
            await uow.commit()
        return RecordedAnswers(communication.id, communication.uuid, recorded, stored)
