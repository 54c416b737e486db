"""The report of missed calls over a period, filtered and grouped by any field (seed 004 §2.8)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from application.ports import UnitOfWorkFactory
from application.telephony.missed_calls import MissedCallView, views
from application.telephony.ports import MissedCallSearch
from domain.errors import ValidationFailed

MAX_PERIOD_CARDS = 100_000
"""A report reads its period's cards; a period holding more asks for a narrower one."""


class GroupBy(StrEnum):
    DAY = "day"
    HOUR = "hour"
    PHONE = "phone"
    CLIENT = "client"
    EMPLOYEE = "employee"
    STATUS = "status"


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


def _key(group_by: GroupBy, zone: ZoneInfo) -> Callable[[MissedCallView], tuple[str, str | None]]:
    if group_by is GroupBy.DAY:
        return lambda v: (v.first_call_at.astimezone(zone).strftime("%Y-%m-%d"), None)
    if group_by is GroupBy.HOUR:
        return lambda v: (v.first_call_at.astimezone(zone).strftime("%Y-%m-%dT%H:00"), None)
    if group_by is GroupBy.PHONE:
        return lambda v: (v.phone, None)
    if group_by is GroupBy.CLIENT:
        return lambda v: (str(v.client_id) if v.client_id is not None else "", v.client_name)
    if group_by is GroupBy.EMPLOYEE:
        return lambda v: (str(v.employee_id) if v.employee_id is not None else "", None)
    return lambda v: (v.status.value, None)


class MissedCallReports:
    """Missed calls counted by period, department or number, for a report."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def report(self, query: ReportQuery) -> MissedCallReport:
        """Cards whose calls fall in [since, until), grouped when asked, with totals."""
        if query.until <= query.since:
            raise ValidationFailed.field("to", "must be after from")
        try:
            zone = ZoneInfo(query.time_zone)
        except (KeyError, ValueError):
            raise ValidationFailed.field("time_zone", f"unknown time zone {query.time_zone!r}") from None
        search = replace(
            query.search, since=query.since, until=query.until, limit=MAX_PERIOD_CARDS + 1, offset=0
        )
        async with self._uow_factory(read_only=True) as uow:
            cards = await uow.missed_calls.find(search)
            if len(cards) > MAX_PERIOD_CARDS:
                raise ValidationFailed.field(
                    "to", f"the period holds over {MAX_PERIOD_CARDS} cards: narrow it"
                )
            items = await views(uow, cards)
        groups: list[ReportGroup] = []
        if query.group_by is not None:
            key_of = _key(query.group_by, zone)
            buckets: dict[tuple[str, str | None], list[MissedCallView]] = {}
            for view in items:
                buckets.setdefault(key_of(view), []).append(view)
            groups = [
                ReportGroup(
                    key=key,
                    label=label,
                    cards=len(members),
                    calls=sum(m.calls for m in members),
                    called_back=sum(1 for m in members if m.called_back_by is not None),
                )
                for (key, label), members in sorted(buckets.items(), key=lambda kv: kv[0][0])
            ]
        return MissedCallReport(
            since=query.since,
            until=query.until,
            group_by=query.group_by,
            total_cards=len(items),
            total_calls=sum(v.calls for v in items),
            groups=groups,
            items=[] if query.group_by is not None else items,
        )
