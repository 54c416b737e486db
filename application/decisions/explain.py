"""The decision an automatic send kept with a communication: mode, propensity, explanation."""

from __future__ import annotations

from application.decisions.ports import DecisionRecord
from application.ports import UnitOfWorkFactory
from domain.errors import NotFound


class SendDecisions:
    """Answers "why did this communication go on this channel at this time"."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def of(self, key: int | str) -> DecisionRecord:
        """The decision of a communication (id or uuid); 404 when it was not sent by ``auto``."""
        async with self._uow_factory(read_only=True) as uow:
            communication = await (
                uow.communications.get(key) if isinstance(key, int) else uow.communications.get_by_uuid(key)
            )
            if communication is None or communication.id is None:
                raise NotFound("communication", key)
            found = await uow.decisions.of(communication.id)
        if found is None:
            raise NotFound("decision of communication", key)
        return found
