"""A communication's id in another system (seed 002 id-translations, e.g. Flora and Oracle)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.entity import Problems

SYSTEM_MAX_LENGTH = 64
EXTERNAL_ID_MAX_LENGTH = 255


@dataclass(eq=False, kw_only=True)
class IdTranslation:
    """Links one communication to its id in one other system.

    Both directions are unique: a system's id names one communication, and a communication
    has at most one id per system. Names are kept exactly as given (no case folding): the
    other system's ids are opaque to us.
    """

    id: int | None = None
    communication_id: int
    communication_uuid: str
    system: str
    external_id: str
    create_time: datetime

    def __post_init__(self) -> None:
        problems = Problems()
        problems.text("system", self.system, max_length=SYSTEM_MAX_LENGTH)
        problems.text("external_id", self.external_id, max_length=EXTERNAL_ID_MAX_LENGTH)
        for name, value in (("system", self.system), ("external_id", self.external_id)):
            if value and value != value.strip():
                problems.add(name, "must not start or end with spaces")
        problems.raise_if_any()
