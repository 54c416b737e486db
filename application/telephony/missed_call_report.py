"""The report of missed calls over a period, filtered and grouped by any field (seed 004 §2.8)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from application.ports import UnitOfWorkFactory
from application.telephony.missed_calls import MissedCallView, views
from application.telephony.ports import MissedCallSearch, ReportKey
from domain.entity import full_name
from domain.errors import ValidationFailed

MAX_PERIOD_CARDS = 100_000
"""An ungrouped report lists its period's cards; a period holding more asks for grouping or a narrower
one. A grouped report is counted by storage and has no such limit."""


GroupBy = ReportKey
"""What a report groups by: day, hour, phone, client, employee or status."""


@dataclass(frozen=True, kw_only=True)
class ReportQuery:
    since: datetime
    until: datetime
    search: MissedCallSearch
    """Every other filter; its status may be None for all statuses."""
    group_by: GroupBy | None = None
    time_zone: str = "UTC"
    """Where days and hours begin."""


@dataclass(frozen=True, kw_only=True)
class ReportGroup:
    key: str
    label: str | None
    cards: int
    calls: int
    called_back: int


@dataclass(frozen=True, kw_only=True)
class MissedCallReport:
    since: datetime
    until: datetime
    group_by: GroupBy | None
    total_cards: int
    total_calls: int
    groups: list[ReportGroup]
    items: list[MissedCallView]
    """The cards themselves when not grouped."""


class MissedCallReports:
    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def report(self, query: ReportQuery) -> MissedCallReport:
        """Cards whose calls fall in [since, until), grouped by storage when asked, with totals."""
        if query.until <= query.since:
            raise ValidationFailed.field("to", "must be after from")
        try:
            ZoneInfo(query.time_zone)
        except (KeyError, ValueError):
            raise ValidationFailed.field("time_zone", f"unknown time zone {query.time_zone!r}") from None
        search = replace(query.search, since=query.since, until=query.until, limit=None, offset=0)
        if query.group_by is not None:
            return await self._grouped(query, query.group_by, search)
        async with self._uow_factory(read_only=True) as uow:
            cards = await uow.missed_calls.find(replace(search, limit=MAX_PERIOD_CARDS + 1))
            if len(cards) > MAX_PERIOD_CARDS:
                raise ValidationFailed.field(
                    "to", f"the period holds over {MAX_PERIOD_CARDS} cards: group it or narrow it"
                )
            items = await views(uow, cards)
        return MissedCallReport(
            since=query.since,
            until=query.until,
            group_by=None,
            total_cards=len(items),
            total_calls=sum(v.calls for v in items),
            groups=[],
            items=items,
        )

    async def _grouped(
        self, query: ReportQuery, group_by: ReportKey, search: MissedCallSearch
    ) -> MissedCallReport:
        async with self._uow_factory(read_only=True) as uow:
            counted = await uow.missed_calls.report(search, group_by, query.time_zone)
            names: dict[str, str | None] = {}
            if group_by is ReportKey.CLIENT:
                clients = await uow.clients.get_many(int(g.key) for g in counted if g.key)
                names = {
                    str(i): full_name(c.last_name, c.first_name, c.middle_name) or None
                    for i, c in clients.items()
                }
        groups = [
            ReportGroup(
                key=g.key, label=names.get(g.key), cards=g.cards, calls=g.calls, called_back=g.called_back
            )
            for g in counted
        ]
        return MissedCallReport(
            since=query.since,
            until=query.until,
            group_by=group_by,
            total_cards=sum(g.cards for g in groups),
            total_calls=sum(g.calls for g in groups),
            groups=groups,
            items=[],
        )
