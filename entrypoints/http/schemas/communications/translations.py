"""A communication's ids in other systems (id translations, seed 002)."""

from __future__ import annotations

from domain.communications import IdTranslation
from domain.errors import ValidationFailed
from entrypoints.http.schemas.common import In, Out
from entrypoints.http.schemas.communications.fields import CommunicationId, ExternalId, System, Uuid
from entrypoints.http.schemas.times import SeedTime, Timestamp


class TranslationIn(In):
    """Links a communication (by uuid or id) to its id in another system."""

    system: System
    external_id: ExternalId
    uuid: Uuid | None = None
    communication_id: CommunicationId | None = None

    def communication(self) -> int | str:
        if (self.uuid is None) == (self.communication_id is None):
            raise ValidationFailed.field("uuid", "give the communication's uuid or its communicationId")
        return self.communication_id if self.communication_id is not None else str(self.uuid)


class TranslationOut(Out):
    id: int
    communication_id: int
    uuid: str
    system: str
    external_id: str
    create_time: Timestamp


def translation_out(t: IdTranslation) -> TranslationOut:
    # By hand: the answer's uuid is the entity's communication_uuid.
    return TranslationOut(
        id=t.id or 0,
        communication_id=t.communication_id,
        uuid=t.communication_uuid,
        system=t.system,
        external_id=t.external_id,
        create_time=SeedTime(t.create_time),
    )
