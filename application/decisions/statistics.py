"""Statistics of SPEC §4 from the counters: channels, types, the best-time matrix, responses.

Every figure reads the counters kept with the writes (StatsReadModel); none scans the history.
Rates are per attempt (a communication that ended: done or failed); raw activity is never ranked.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from zoneinfo import available_timezones

from application.clients.bookings import holding
from application.decisions.ports import SlotCounts, StatsScope, SurveyCount
from application.ports import Clock, UnitOfWork, UnitOfWorkFactory
from application.queries import Condition
from application.searches import ClientFields
from domain.availability import HoursKind, Owner, availability, blocking_bookings, outside_hours
from domain.decisions.evaluation import Lift, lifts_of_sums
from domain.errors import NotFound, ValidationFailed
from domain.rules import Rule
from domain.sending.windows import zone


@dataclass(frozen=True)
class StatsQuery:
    """Which counters a statistics read asks for: the scope, the period and the grouping."""

    client_id: int | None = None
    group_id: int | None = None
    type_id: int | None = None
    channel_id: int | None = None
    since: date | None = None
    until: date | None = None
    department_id: int | None = None

    def scope(self) -> StatsScope:
        if self.client_id is not None and self.group_id is not None:
            raise ValidationFailed.field("group_id", "ask for one client or one group, not both")
        if self.since and self.until and self.since > self.until:
            raise ValidationFailed.field("since", "must not be after until")
        return StatsScope(
            client_id=self.client_id,
            group_ids=() if self.group_id is None else (self.group_id,),
            type_id=self.type_id,
            channel_id=self.channel_id,
            since=self.since,
            until=self.until,
            department_id=self.department_id,
        )


@dataclass(frozen=True)
class Figures:
    """Counts and rates of one row of a statistic (a channel, a type, a weekday x hour)."""

    key: int
    attempts: int
    delivered: int
    responses: int

    @property
    def delivered_rate(self) -> float:
        return self.delivered / self.attempts if self.attempts else 0.0

    @property
    def response_rate(self) -> float:
        return self.responses / self.attempts if self.attempts else 0.0

    @property
    def ignored(self) -> int:
        return self.attempts - self.responses


@dataclass(frozen=True)
class Cell:
    weekday: int
    hour: int
    attempts: int
    delivered: int
    responses: int


def _by(rows: Sequence[SlotCounts], field: str) -> list[Figures]:
    sums: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in rows:
        total = sums[getattr(row, field)]
        total[0] += row.attempts
        total[1] += row.delivered
        total[2] += row.responses
    return [Figures(key, *values) for key, values in sums.items() if values[0]]


@dataclass(frozen=True)
class ReasonCount:
    reason: str
    clients: int


@dataclass(frozen=True)
class AvailabilityFigures:
    """The scope's success share, and how many of its clients may be contacted now, and why not."""

    figures: Figures
    clients: int
    contactable_now: int
    reasons: list[ReasonCount]


OPTED_OUT = "opted out of communications (available is false)"
BOOKED = "booked by another owner now"
NOT_A_WEEKDAY = "not an allowed weekday of the department's rules, in the client's time zone"
QUIET_HOURS = "within the quiet hours of the department's rules, in the client's time zone"
_HOURS_LABELS = {HoursKind.WEEKDAY: NOT_A_WEEKDAY, HoursKind.QUIET_HOURS: QUIET_HOURS}


@cache
def _zone_names() -> tuple[str, ...]:
    # Read once: the tz database does not change while the process runs.
    return tuple(sorted(available_timezones()))


@dataclass(frozen=True)
class _Hours:
    """The rules and the department's zone (for clients who have none) that availability weighs."""

    rules: Sequence[Rule]
    default_zone: str | None

    def blocked_zones(self, now: datetime) -> dict[HoursKind | None, set[str | None]]:
        """The zones (None: clients with no zone) kept away now, per reason and in all (key None)."""
        blocked: dict[HoursKind | None, set[str | None]] = {None: set()}
        for kind in HoursKind:
            blocked[kind] = set()
        if not self.rules:
            return blocked
        for name in (*_zone_names(), None):
            tz = zone(name or self.default_zone)
            for reason in outside_hours(self.rules, now, tz):
                blocked[reason.kind].add(name)
                blocked[None].add(name)
        return blocked


@dataclass(frozen=True)
class AutoFigures:
    """The proof of lift of automatic sends: by holdout, and off-policy from logged propensities."""

    decisions: int
    by_mode: dict[str, int]
    holdout: Lift
    inverse_propensity: Lift
    doubly_robust: Lift


class _SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


async def _count_in_zones(uow: UnitOfWork, criteria: Sequence[Condition], zones: set[str | None]) -> int:
    """Clients matching ``criteria`` whose zone is one of ``zones`` (None: clients with no zone)."""
    named = sorted(z for z in zones if z is not None)
    found = await uow.clients.count(*criteria, ClientFields.time_zone.in_(named)) if named else 0
    if None in zones:
        found += await uow.clients.count(*criteria, ClientFields.time_zone.is_null())
    return found


class Statistics:
    """Answers of /api/v1/stats/…, for all time or a period, everybody, one client or a group."""

    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock | None = None) -> None:
        self._uow_factory = uow_factory
        self._clock = clock or _SystemClock()

    async def _rows(self, query: StatsQuery) -> list[SlotCounts]:
        scope = query.scope()
        async with self._uow_factory(read_only=True) as uow:
            return await uow.stats.slot_counts(scope)

    async def channels(self, query: StatsQuery) -> list[Figures]:
        """Channels ranked by delivered count, then delivered rate."""
        found = _by(await self._rows(query), "channel_id")
        return sorted(found, key=lambda f: (-f.delivered, -f.delivered_rate, f.key))

    async def types(self, query: StatsQuery) -> list[Figures]:
        """Communication types that ended successfully (delivered), most first."""
        found = _by(await self._rows(query), "type_id")
        return sorted((f for f in found if f.delivered), key=lambda f: (-f.delivered, f.key))

    async def responses(self, query: StatsQuery) -> Figures:
        """Response vs ignore over the whole scope (key 0)."""
        rows = await self._rows(query)
        return Figures(
            0, sum(r.attempts for r in rows), sum(r.delivered for r in rows), sum(r.responses for r in rows)
        )

    async def best_time(self, query: StatsQuery) -> list[Cell]:
        """The 7 x 24 matrix by local weekday and hour, every cell present (zeros included)."""
        sums: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0, 0])
        for row in await self._rows(query):
            total = sums[(row.weekday, row.hour)]
            total[0] += row.attempts
            total[1] += row.delivered
            total[2] += row.responses
        return [Cell(d, h, *sums.get((d, h), [0, 0, 0])) for d in range(7) for h in range(24)]

    async def employees(self, query: StatsQuery) -> list[Figures]:
        """Per employee (0: none, automatic sends): communications that ended and their rates, most first."""
        scope = query.scope()
        async with self._uow_factory(read_only=True) as uow:
            rows = await uow.stats.employee_counts(scope)
        found = [Figures(r.employee_id, r.attempts, r.delivered, r.responses) for r in rows]
        return sorted(found, key=lambda f: (-f.attempts, -f.response_rate, f.key))

    async def surveys(self, query: StatsQuery) -> list[SurveyCount]:
        """Survey answers by question, the most given answer first."""
        scope = query.scope()
        async with self._uow_factory(read_only=True) as uow:
            return await uow.survey_responses.counts(scope)

    async def availability(self, query: StatsQuery, asking: Owner | None = None) -> AvailabilityFigures:
        """The success share of the scope, and whether its clients may be contacted now, with reasons."""
        scope = query.scope()
        now = self._clock.now()
        async with self._uow_factory(read_only=True) as uow:
            rows = await uow.stats.slot_counts(scope)
            figures = Figures(
                0,
                sum(r.attempts for r in rows),
                sum(r.delivered for r in rows),
                sum(r.responses for r in rows),
            )
            if query.client_id is not None:
                return await self._one_client(uow, figures, query, now, asking)
            criteria = [] if query.group_id is None else [ClientFields.group_id.eq(query.group_id)]
            if query.group_id is not None and await uow.client_groups.get(query.group_id) is None:
                raise NotFound("client group", query.group_id)
            total = await uow.clients.count(*criteria)
            opted_out = await uow.clients.count(*criteria, ClientFields.available.eq(False))
            held = sorted({b.client_id for b in blocking_bookings(await holding(uow, now), now, asking)})
            booked = (
                await uow.clients.count(*criteria, ClientFields.available.eq(True), ClientFields.id.in_(held))
                if held
                else 0
            )
            # The rules' hours are counted among the clients neither opted out nor booked, so that
            # contactable = total - opted out - booked - kept away by the hours.
            free = [*criteria, ClientFields.available.eq(True)]
            if held:
                free.append(ClientFields.id.not_in(held))
            blocked = (await self._hours(uow, query, asking)).blocked_zones(now)
            counted = {kind: await _count_in_zones(uow, free, zones) for kind, zones in blocked.items()}
        reasons = [
            ReasonCount(r, n)
            for r, n in (
                (OPTED_OUT, opted_out),
                (BOOKED, booked),
                (NOT_A_WEEKDAY, counted[HoursKind.WEEKDAY]),
                (QUIET_HOURS, counted[HoursKind.QUIET_HOURS]),
            )
            if n
        ]
        return AvailabilityFigures(figures, total, total - opted_out - booked - counted[None], reasons)

    @staticmethod
    async def _hours(uow: UnitOfWork, query: StatsQuery, asking: Owner | None) -> _Hours:
        """The active rules of the asked department (``departmentId``, else the asker's)."""
        department_id = query.department_id or (asking.department_id if asking else None)
        if department_id is None:
            return _Hours((), None)
        department = await uow.departments.get(department_id)
        if department is None:
            raise NotFound("department", department_id)
        return _Hours(await uow.sends.active_rules(department_id), department.time_zone)

    async def _one_client(
        self, uow: UnitOfWork, figures: Figures, query: StatsQuery, now: datetime, asking: Owner | None
    ) -> AvailabilityFigures:
        client_id = query.client_id or 0
        client = await uow.clients.get(client_id)
        if client is None:
            raise NotFound("client", client_id)
        _, why = availability(client, await holding(uow, now, [client_id]), now, asking)
        hours = await self._hours(uow, query, asking)
        away = outside_hours(hours.rules, now, zone(client.time_zone or hours.default_zone))
        why = [*why, *(reason.message for reason in away)]
        return AvailabilityFigures(figures, 1, int(not why), [ReasonCount(r, 1) for r in why])

    async def auto(self, query: StatsQuery, confidence: float = 0.95) -> AutoFigures:
        """Lift of ``auto`` over the rule: holdout difference, IPS and doubly robust, with intervals."""
        scope = query.scope()
        async with self._uow_factory(read_only=True) as uow:
            by_mode = await uow.decisions.outcome_sums(scope)
        lifts = lifts_of_sums(by_mode, confidence)
        return AutoFigures(
            decisions=lifts.decisions,
            by_mode={mode: sums.outcomes for mode, sums in sorted(by_mode.items()) if sums.outcomes},
            holdout=lifts.holdout,
            inverse_propensity=lifts.inverse_propensity,
            doubly_robust=lifts.doubly_robust,
        )
