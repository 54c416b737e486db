"""The missed-call card of seed 004 and its state machine (SPEC §5.1).

A card gathers the missed calls of one phone number while it is open (``missed``). An employee
calls back and writes down what came of it (``called_back``), or books the client for repair.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from domain.entity import Entity
from domain.errors import Conflict, InvalidTransition, ValidationFailed

MACHINE: Final = "missed call"
BOOKED_NOTE: Final = "Записался на ремонт"


class MissedCallStatus(StrEnum):
    MISSED = "missed"  # "Пропущен": in the queue, waiting to be called back
    CALLED_BACK = "called_back"  # "Перезвонили": worked, out of the queue


_S = MissedCallStatus

# The whole table: a card leaves the queue once, and nothing brings it back.
MISSED_CALL_TRANSITIONS: Mapping[MissedCallStatus, frozenset[MissedCallStatus]] = MappingProxyType(
    {_S.MISSED: frozenset({_S.CALLED_BACK}), _S.CALLED_BACK: frozenset()}
)


def missed_call_allows(current: MissedCallStatus, target: MissedCallStatus) -> bool:
    return target in MISSED_CALL_TRANSITIONS[current]


class ChangesNotSaved(Conflict):
    """Seed 004 §2.4: a card still in ``missed`` keeps no changes (HTTP 409)."""

    def __init__(self) -> None:
        super().__init__(
            "missed call: changes to a card still in 'missed' are not saved; "
            "set status 'called_back' with a result"
        )


@dataclass(eq=False, kw_only=True)
class MissedCall(Entity):
    phone: str
    """The caller's number, normalised (E.164) when it is a phone number, else as the PBX sent it."""
    client_id: int | None = None
    employee_id: int | None = None
    """The employee whose phone rang, when the PBX target is known."""
    status: MissedCallStatus = MissedCallStatus.MISSED
    result: str | None = None
    calls: int = 1
    first_call_at: datetime
    last_call_at: datetime
    called_back_by: int | None = None
    called_back_at: datetime | None = None

    @classmethod
    def register(
        cls, *, phone: str, at: datetime, client_id: int | None = None, employee_id: int | None = None
    ) -> MissedCall:
        return cls(
            phone=phone,
            client_id=client_id,
            employee_id=employee_id,
            first_call_at=at,
            last_call_at=at,
            create_time=at,
            update_time=at,
        )

    @property
    def is_open(self) -> bool:
        return self.status is MissedCallStatus.MISSED

    def add_call(self, *, at: datetime) -> None:
        """Another missed call from the same number while the card is open."""
        if not self.is_open:
            raise InvalidTransition(MACHINE, self.status.value, "add a call")
        self.calls += 1
        self.first_call_at = min(self.first_call_at, at)
        self.last_call_at = max(self.last_call_at, at)
        self.update_time = at

    def forget_call(self, *, at: datetime) -> bool:
        """A call counted here turned out answered (a late event); True when no call is left."""
        if not self.is_open:
            return False
        self.calls -= 1
        self.update_time = at
        return self.calls <= 0

    def edit(self, *, status: MissedCallStatus, result: str | None, employee_id: int, at: datetime) -> None:
        """The card form's Save: only a called-back card with a result is kept."""
        if status is MissedCallStatus.MISSED:
            raise ChangesNotSaved()
        if result is None or not result.strip():
            raise ValidationFailed.field("result", "a called-back card needs a result")
        if self.status is MissedCallStatus.CALLED_BACK:
            # Already worked: the write-up may still be corrected; who and when stay.
            self.result = result
            self.update_time = at
            return
        self._move(status)
        self.result = result
        self.called_back_by = employee_id
        self.called_back_at = at
        self.update_time = at

    def book(self, *, employee_id: int, at: datetime) -> None:
        """Seed 004 §2.6: the client booked a repair; the card is called back and leaves the queue."""
        self._move(MissedCallStatus.CALLED_BACK)
        self.result = f"{self.result}\n{BOOKED_NOTE}" if self.result and self.result.strip() else BOOKED_NOTE
        self.called_back_by = employee_id
        self.called_back_at = at
        self.update_time = at

    def _move(self, target: MissedCallStatus) -> None:
        if not missed_call_allows(self.status, target):
            raise InvalidTransition(MACHINE, self.status.value, target.value)
        self.status = target
