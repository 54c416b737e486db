"""What mailings need from storage: the mailings, their runs, and the claim of due runs."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from domain.mailings import Mailing, MailingRun


class MailingRepository(Protocol):
    """Storage of mailings; ``claim_due`` is the only way a run starts."""

    async def add(self, entity: Mailing) -> Mailing: ...

    async def get(self, entity_id: int) -> Mailing | None: ...

    async def update(self, entity: Mailing) -> None: ...

    async def delete(self, entity_id: int) -> None: ...

    async def page(self, limit: int, offset: int) -> list[Mailing]:
        """Mailings by id, one page."""

    async def total(self) -> int: ...

    async def claim_due(self, now: datetime, limit: int) -> list[Mailing]:
        """Mark up to ``limit`` due mailings ``running`` with a lease and return them (see Mailing.is_due).

        Atomic: two workers claiming at the same moment never both get the same mailing.
        """


class MailingRunRepository(Protocol):
    """The runs of mailings; each names the send it made, so a send id leads to its mailing."""

    async def add(self, entity: MailingRun) -> MailingRun: ...

    async def get(self, entity_id: int) -> MailingRun | None: ...

    async def update(self, entity: MailingRun) -> None: ...

    async def of_mailing(self, mailing_id: int) -> list[MailingRun]:
        """The mailing's runs, oldest first."""

    async def open_run(self, mailing_id: int) -> MailingRun | None:
        """The run a crashed worker claimed and did not finish, if any."""

    async def mailings_of_sends(self, send_ids: Collection[int]) -> Mapping[int, int]:
        """Send id -> the mailing whose run made it, for those a run made (events filter by ``mailingId``)."""

    async def sends_of(self, mailing_id: int) -> Sequence[int]:
        """The send ids of the mailing's runs."""
