"""Id translations (seed 002): a communication's id in another system, looked up either way."""

from __future__ import annotations

from dataclasses import dataclass

from application.communications.recording import CommunicationKey, load
from application.ports import Clock, UnitOfWorkFactory
from application.queries import MAX_PAGE_SIZE, Criterion, Page, Query
from application.searches import IdTranslationFields
from domain.access import Principal
from domain.communications import IdTranslation
from domain.errors import ValidationFailed


@dataclass(frozen=True, kw_only=True)
class TranslationFilter:
    """All given parts must hold: one communication's links, or who holds a system's id."""

    communication: CommunicationKey | None = None
    system: str | None = None
    external_id: str | None = None


class IdTranslations:
    """Links communications to their ids in other systems, and looks them up either way."""

    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow_factory = uow_factory
        self._clock = clock

    async def link(
        self, principal: Principal, communication: CommunicationKey, system: str, external_id: str
    ) -> IdTranslation:
        """Records that ``system`` knows the communication as ``external_id``.

        Linking is a change of the communication, so it needs the right to send it.
        Conflict (409) when the system's id names another communication, or when this one
        already has a different id in that system.
        """
        async with self._uow_factory() as uow:
            found = await load(uow, communication)
            principal.require_send(found.type_id, found.channel_id)
            assert found.id is not None
            translation = IdTranslation(
                communication_id=found.id,
                communication_uuid=found.uuid,
                system=system,
                external_id=external_id,
                create_time=self._clock.now(),
            )
            await uow.communications.add_translation(translation)
            await uow.commit()
        return translation

    async def find(self, filters: TranslationFilter, limit: int = 50, offset: int = 0) -> Page[IdTranslation]:
        """One page of id translations that meet the filter."""
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise ValidationFailed.field("limit", f"must be between 1 and {MAX_PAGE_SIZE}")
        if offset < 0:
            raise ValidationFailed.field("offset", "must not be negative")
        if filters.external_id is not None and filters.system is None:
            # An external id means nothing without the system that issued it.
            raise ValidationFailed.field("system", "is required with external_id")
        async with self._uow_factory(read_only=True) as uow:
            criteria: list[Criterion] = []
            if filters.communication is not None:
                found = await load(uow, filters.communication)
                assert found.id is not None
                criteria.append(IdTranslationFields.communication_id.eq(found.id))
            if filters.system is not None:
                criteria.append(IdTranslationFields.system.eq(filters.system))
            if filters.external_id is not None:
                criteria.append(IdTranslationFields.external_id.eq(filters.external_id))
            repo = uow.communications
            items = await repo.find_translations(
                Query(tuple(criteria), order_by=(IdTranslationFields.id.asc(),), limit=limit, offset=offset)
            )
            return Page(
                items=items, total=await repo.count_translations(*criteria), limit=limit, offset=offset
            )
