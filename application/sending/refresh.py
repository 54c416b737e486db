"""Delivery refresh: ask the providers that can poll for the statuses of messages still in flight."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

from application.communications.listing import CommunicationFilter, canonical_uuid
from application.communications.ports import Keyset
from application.ports import UnitOfWorkFactory
from application.queries import Criterion, Query
from application.searches import CommunicationFields
from application.sending.ports import ChannelSender, StatusReport
from application.sending.reports import DeliveryReports
from domain.access import Permission, Principal
from domain.communications import DeliveryStatus
from domain.communications.statuses import DELIVERY_TRANSITIONS
from domain.errors import ValidationFailed

BATCH = 500
"""Communications per read and per provider call: bounded memory and request sizes."""

IN_FLIGHT = tuple(
    s for s, onward in DELIVERY_TRANSITIONS.items() if onward and s is not DeliveryStatus.QUEUED
)
"""Delivery statuses a provider's report may still move (queued ones have no provider message yet)."""


@dataclass(frozen=True, kw_only=True)
class RefreshScope:
    """Which communications to refresh: exactly one of these."""

    uuid: str | None = None
    all: bool = False
    department_id: int | None = None
    client_id: int | None = None
    group_id: int | None = None

    def criteria(self) -> tuple[Criterion, ...]:
        given = [
            name
            for name, value in (
                ("uuid", self.uuid),
                ("all", self.all or None),
                ("department_id", self.department_id),
                ("client_id", self.client_id),
                ("group_id", self.group_id),
            )
            if value is not None
        ]
        if len(given) != 1:
            raise ValidationFailed.field(
                "scope", "give exactly one of uuid, all, department_id, client_id, group_id"
            )
        scope = CommunicationFilter(
            uuids=(canonical_uuid(self.uuid),) if self.uuid is not None else (),
            department_id=self.department_id,
            client_id=self.client_id,
            client_group_id=self.group_id,
            delivery_statuses=IN_FLIGHT,
        )
        return (*scope.criteria(), CommunicationFields.provider_message_id.is_null(False))


@dataclass(frozen=True)
class RefreshOutcome:
    asked: int
    """Communications whose status a provider was asked for."""
    changed: int
    """Of those, how many moved on their delivery machine."""


def polls(sender: ChannelSender) -> bool:
    """Whether the provider answers status queries (an adapter says ``polls = False`` when not)."""
    return bool(getattr(sender, "polls", True))


class DeliveryRefresh:
    """Asks the polling providers for the statuses of the in-flight communications of a scope."""

    def __init__(
        self, uow_factory: UnitOfWorkFactory, senders: Sequence[ChannelSender], reports: DeliveryReports
    ) -> None:
        self._uow = uow_factory
        self._pollers = {s.provider: s for s in senders if polls(s)}
        self._reports = reports

    async def __call__(self, principal: Principal, scope: RefreshScope) -> RefreshOutcome:
        principal.require(Permission.SEND_COMMUNICATIONS)
        criteria = scope.criteria()
        asked = changed = 0
        after: Keyset | None = None
        while True:
            async with self._uow(read_only=True) as uow:
                batch = await uow.communications.find(Query(criteria, order_by=("id",), limit=BATCH), after)
            by_provider: dict[str, dict[str, str]] = defaultdict(dict)
            for c in batch:
                if c.provider in self._pollers and c.provider_message_id:
                    by_provider[c.provider][c.provider_message_id] = c.uuid
            reports: list[StatusReport] = []
            for provider, uuids in by_provider.items():
                asked += len(uuids)
                answered = await self._pollers[provider].statuses(list(uuids))
                # Providers that do not echo our uuid are matched by their own message id.
                reports.extend(
                    r if r.uuid else replace(r, uuid=uuids.get(r.provider_message_id)) for r in answered
                )
            if reports:
                changed += await self._reports.apply(reports)
            if len(batch) < BATCH:
                return RefreshOutcome(asked=asked, changed=changed)
            last = batch[-1].id
            assert last is not None
            after = Keyset(value=last, id=last)
