"""Call-center campaigns of seed 003 (SPEC §5.3): what a dialled contact's CDR status means."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from domain.communications.statuses import LifecycleStatus
from domain.entity import Entity, Problems
from domain.errors import InvalidTransition

ANSWERED: Final = "ANSWERED"
MACHINE: Final = "call campaign"


@dataclass(frozen=True)
class CallVerdict:
    status: LifecycleStatus
    reason: str | None


def verdict_of(disposition: str) -> CallVerdict:
    """An Asterisk CDR disposition: ANSWERED -> done; NO ANSWER, BUSY, FAILED, anything else -> failed."""
    cleaned = disposition.strip()
    if cleaned.upper() == ANSWERED:
        return CallVerdict(LifecycleStatus.DONE, None)
    return CallVerdict(LifecycleStatus.FAILED, cleaned or "UNKNOWN")


class CampaignStatus(StrEnum):
    DRAFT = "draft"  # created in Switchboard, not yet sent to the call center
    SENT = "sent"  # accepted by the call center
    CLOSED = "closed"  # finished (the call center's finishCampaign) or closed early


CAMPAIGN_TRANSITIONS: Final = {
    CampaignStatus.DRAFT: frozenset({CampaignStatus.SENT, CampaignStatus.CLOSED}),
    CampaignStatus.SENT: frozenset({CampaignStatus.CLOSED}),
    CampaignStatus.CLOSED: frozenset[CampaignStatus](),
}


def campaign_allows(current: CampaignStatus, target: CampaignStatus) -> bool:
    return target in CAMPAIGN_TRANSITIONS[current]


@dataclass(eq=False, kw_only=True)
class CallCampaign(Entity):
    """An outbound calling campaign handed to the call center (seed 003)."""

    name: str
    status: CampaignStatus = CampaignStatus.DRAFT
    start_at: datetime
    end_at: datetime
    type_id: int | None = None
    """The call center's campaign type (seed 003 ``typeid``)."""
    client_group_id: int | None = None
    contacts_total: int = 0
    contacts_called: int = 0
    contacts_successful: int = 0
    finish_status: str | None = None
    """What the call center's finishCampaign said (``completed``, ``CANCELED``, ...)."""
    reported_total: int | None = None
    reported_successful: int | None = None
    sent_at: datetime | None = None
    closed_at: datetime | None = None
    last_error: str | None = None

    def __post_init__(self) -> None:
        problems = Problems()
        problems.text("name", self.name)
        if self.end_at <= self.start_at:
            problems.add("end_at", "must be after start_at")
        problems.raise_if_any()

    def sent(self, *, at: datetime) -> None:
        self._move(CampaignStatus.SENT)
        self.sent_at = at
        self.last_error = None
        self.update_time = at

    def refused(self, *, error: str, at: datetime) -> None:
        """The call center did not take it; it stays a draft and may be sent again."""
        self.last_error = error
        self.update_time = at

    def close(self, *, at: datetime, status: str | None = None) -> None:
        """Closed early by us, or finished by the call center (which reports its own status)."""
        if self.status is not CampaignStatus.CLOSED:
            self._move(CampaignStatus.CLOSED)
            self.closed_at = at
        if status is not None:
            self.finish_status = status
        self.update_time = at

    def _move(self, target: CampaignStatus) -> None:
        if not campaign_allows(self.status, target):
            raise InvalidTransition(MACHINE, self.status.value, target.value)
        self.status = target


@dataclass(eq=False, kw_only=True)
class CampaignContact(Entity):
    """One client to call in a campaign; its id is the ``contact_id`` the call center reports back."""

    campaign_id: int
    client_id: int | None = None
    phone: str
    communication_id: int | None = None
    """The Call communication of the latest attempt."""
    last_status: str | None = None
    """The latest attempt's CDR disposition."""
    called: bool = False
    successful: bool = False
