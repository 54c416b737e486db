"""Call-center campaigns of seed 003 (SPEC §5.3): what a dialled contact's CDR status means."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from domain.communications.statuses import LifecycleStatus

ANSWERED: Final = "ANSWERED"


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
