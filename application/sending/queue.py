"""The dispatch queue port: claim due messages with a lease, then record what the provider said."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from application.sending.store import QueuedMessage


@dataclass(frozen=True, kw_only=True)
class Claimed:
    message: QueuedMessage
    lease_until: datetime
    send_id: int | None = None
    """The send that queued it, read with the row: its status events name the send without a lookup."""


@dataclass(frozen=True, kw_only=True)
class Settled:
    """What becomes of one claimed row: done, or due again at ``retry_at`` after ``attempts``."""

    communication_id: int
    attempts: int
    retry_at: datetime | None = None
    error: str | None = None


class DispatchQueue(Protocol):
    """The queue of messages waiting for the dispatcher."""

    async def claim(
        self,
        *,
        now: datetime,
        lease_until: datetime,
        owner: str,
        limit: int,
        skip: Collection[int] = (),
    ) -> list[Claimed]:
        """Lease up to ``limit`` due rows nobody holds (or whose lease expired), oldest first.

        ``skip``: communication ids the claimer is still recording, never taken again whatever their
        lease says. On PostgreSQL concurrent claimers skip each other's rows (``FOR UPDATE SKIP LOCKED``).
        """

    async def settle(self, owner: str, outcomes: Sequence[Settled]) -> list[int]:
        """Record outcomes of rows this owner still holds; returns the ids it did hold.

        A row whose lease expired and was claimed by another worker is left to that worker.
        """

    async def pending_count(self) -> int:
        """How many messages wait to be sent."""
