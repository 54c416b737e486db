"""Time choice: the allowed slot within the horizon with the best smoothed rate by weekday x hour.

All local times (department hours, the rule's weekdays and quiet hours, the answer's weekday and
hour) are in the client's time zone, or the department's when the client has none.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from domain.clients import Booking
from domain.decisions.evidence import DecisionSettings, Estimate, Evidence, estimate
from domain.organisation import WorkingDay
from domain.rules import QuietHours, Rule

HOUR = timedelta(hours=1)
Cell = tuple[int, int]
"""(weekday, hour) in local time; weekday 0 is Monday."""


@dataclass(frozen=True)
class SendingWindow:
    """When the client may be contacted: every constraint on the moment, for one client."""

    time_zone: str
    working_hours: tuple[WorkingDay, ...] = ()
    """In the client's local time; empty means no limit."""
    allowed_weekdays: frozenset[int] = frozenset(range(7))
    quiet_hours: QuietHours | None = None
    holds: tuple[tuple[datetime, datetime], ...] = ()
    """Intervals [from, until) during which bookings held by others keep the client away."""
    sends: tuple[datetime, ...] = ()
    """Communications already sent or planned to the client, for the frequency caps."""
    max_per_day: int | None = None
    max_per_week: int | None = None
    min_interval: timedelta | None = None
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_zone", ZoneInfo(self.time_zone))

    @classmethod
    def of(
        cls,
        *,
        rule: Rule,
        time_zone: str,
        working_hours: tuple[WorkingDay, ...],
        bookings: Iterable[Booking] = (),
        sends: Iterable[datetime] = (),
        since: datetime,
    ) -> SendingWindow:
        """The window a rule, the department's hours and the bookings held by others make.

        ``bookings`` are the ones held by others than the sender (see availability.blocking_bookings).
        """
        return cls(
            time_zone=time_zone,
            working_hours=working_hours,
            allowed_weekdays=frozenset(rule.allowed_weekdays),
            quiet_hours=rule.quiet_hours,
            holds=tuple((since, b.before_date) for b in bookings if b.holds(since)),
            sends=_relevant_sends(rule, sends, since),
            max_per_day=rule.max_per_day,
            max_per_week=rule.max_per_week,
            min_interval=None
            if rule.min_interval_minutes is None
            else timedelta(minutes=rule.min_interval_minutes),
        )

    @property
    def zone(self) -> ZoneInfo:
        return self._zone

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self._zone)

    def allows(self, moment: datetime) -> bool:
        """Whether a communication may go out at ``moment`` (an aware datetime)."""
        local = self.local(moment)
        if local.weekday() not in self.allowed_weekdays:
            return False
        clock = local.time().replace(tzinfo=None)
        if self.working_hours:
            day = next((d for d in self.working_hours if d.weekday == local.weekday()), None)
            if day is None or not day.opens <= clock < day.closes:
                return False
        if self.quiet_hours is not None and self.quiet_hours.contains(clock):
            return False
        if any(start <= moment < until for start, until in self.holds):
            return False
        return self._within_caps(moment, local)

    def _within_caps(self, moment: datetime, local: datetime) -> bool:
        if self.min_interval is not None and any(abs(moment - s) < self.min_interval for s in self.sends):
            return False
        if self.max_per_day is not None:
            today = local.date()
            if sum(1 for s in self.sends if self.local(s).date() == today) >= self.max_per_day:
                return False
        if self.max_per_week is not None:
            week_start = moment - timedelta(days=7)
            if sum(1 for s in self.sends if week_start < s <= moment) >= self.max_per_week:
                return False
        return True

    def boundaries(self, start: datetime, end: datetime) -> Iterator[datetime]:
        """Moments in [start, end) where the answer of ``allows`` may change (besides ``start``)."""
        local_start = self.local(start)
        for day in self.working_hours:
            if day.weekday == local_start.weekday():
                yield _at(local_start.date(), day.opens, self._zone)
        if self.quiet_hours is not None:
            yield _at(local_start.date(), self.quiet_hours.end, self._zone)
        for _, until in self.holds:
            yield until
        if self.min_interval is not None:
            for s in self.sends:
                yield s + self.min_interval
        for s in self.sends:
            yield s + timedelta(days=7)


def _relevant_sends(rule: Rule, sends: Iterable[datetime], since: datetime) -> tuple[datetime, ...]:
    """The sends a frequency cap can still count from ``since`` on: none without caps, else those
    less than a week and a day (or the minimum interval) old, so equal windows compare equal."""
    if rule.max_per_day is None and rule.max_per_week is None and rule.min_interval_minutes is None:
        return ()
    reach = max(timedelta(days=8), timedelta(minutes=rule.min_interval_minutes or 0))
    return tuple(sorted(s for s in sends if s > since - reach))


def _at(day: date, clock: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, clock, tzinfo=zone)


@dataclass(frozen=True)
class Slot:
    at: datetime
    """The earliest allowed moment of the slot, in the client's time zone."""
    weekday: int
    hour: int

    @property
    def cell(self) -> Cell:
        return (self.weekday, self.hour)


def allowed_slots(window: SendingWindow, start: datetime, horizon: timedelta) -> list[Slot]:
    """Every local hour within [start, start + horizon) with an allowed moment, chronologically."""
    end = start + horizon
    slots: list[Slot] = []
    for slot_start in _local_hours(window.zone, start, end):
        slot_end = min(slot_start + HOUR, end)
        first = max(slot_start, start)
        points = sorted({first, *(p for p in window.boundaries(first, slot_end) if first < p < slot_end)})
        moment = next((p for p in points if window.allows(p)), None)
        if moment is not None:
            local = window.local(moment)
            slots.append(Slot(local, local.weekday(), local.hour))
    return slots


def _local_hours(zone: ZoneInfo, start: datetime, end: datetime) -> Iterator[datetime]:
    """The starts of the local wall-clock hours overlapping [start, end), skipping DST gaps."""
    local = start.astimezone(zone)
    day = local.date()
    seen: set[datetime] = set()
    while True:
        for hour in range(24):
            wall = datetime.combine(day, time(hour), tzinfo=zone)
            real = wall.astimezone(UTC).astimezone(zone)
            if real.hour != hour:
                continue  # the hour does not exist on this day (clocks jumped forward)
            if real + HOUR <= start or real in seen:
                continue
            if real >= end:
                return
            seen.add(real)
            yield real
        day += timedelta(days=1)


@dataclass(frozen=True)
class TimeChoice:
    at: datetime
    weekday: int
    hour: int
    estimate: Estimate
    explanation: str
    evidence: Mapping[Cell, Evidence] = field(default_factory=dict, compare=False, repr=False)
    """The chosen channel's counts by cell, behind ``grid``."""
    channel_rate: float = field(default=0.5, compare=False, repr=False)
    settings: DecisionSettings = field(default_factory=DecisionSettings, compare=False, repr=False)

    @property
    def rate(self) -> float:
        return self.estimate.rate

    @cached_property
    def grid(self) -> tuple[tuple[Estimate, ...], ...]:
        """7 x 24 smoothed figures by local weekday and hour, for the chosen channel (on demand:
        a send keeps only the explanation, the recommendation API shows the grid)."""
        return slot_grid(self.evidence, self.settings, self.channel_rate)


def slot_grid(
    evidence: Mapping[Cell, Evidence], settings: DecisionSettings, channel_rate: float
) -> tuple[tuple[Estimate, ...], ...]:
    """The 7 x 24 estimates of one channel, each shrunk toward the channel's own rate."""
    return tuple(
        tuple(
            estimate(evidence.get((d, h), Evidence()), settings, root_prior=channel_rate) for h in range(24)
        )
        for d in range(7)
    )


def slot_root(channel_rate: float) -> float:
    """The prior the weekday x hour cells shrink toward: the channel's rate to 3 decimals, so the
    clients of a send share the cells' figures by a few hundred roots, not one per client."""
    return round(channel_rate, 3)


def choose_time(
    *,
    window: SendingWindow,
    start: datetime,
    evidence: Mapping[Cell, Evidence],
    channel_rate: float,
    settings: DecisionSettings,
) -> TimeChoice | None:
    """The allowed slot with the best smoothed rate; ties go to the earliest. None: no slot at all.

    ``start`` is the later of now and the requested time; ``evidence`` the counts by local
    weekday x hour for the chosen channel; ``channel_rate`` its smoothed rate, the grid's prior
    (to ``slot_root``'s 3 decimals).
    """
    slots = allowed_slots(window, start, timedelta(days=settings.horizon_days))
    if not slots:
        return None
    root = slot_root(channel_rate)
    best = best_slot(slots, slot_grid(evidence, settings, root))
    return make_choice(best, evidence, settings, root)


def best_slot(slots: Sequence[Slot], grid: tuple[tuple[Estimate, ...], ...]) -> Slot:
    best = slots[0]
    for slot in slots[1:]:
        if grid[slot.weekday][slot.hour].rate > grid[best.weekday][best.hour].rate:
            best = slot
    return best


def make_choice(
    slot: Slot, evidence: Mapping[Cell, Evidence], settings: DecisionSettings, channel_rate: float
) -> TimeChoice:
    """The time choice of ``slot`` on a channel with these counts by cell and this smoothed rate."""
    figures = estimate(evidence.get(slot.cell, Evidence()), settings, root_prior=channel_rate)
    explanation = (
        f"{slot.at.isoformat(timespec='minutes')} (weekday {slot.weekday}, hour {slot.hour} local): "
        f"smoothed rate {figures.rate:.3f} decided at the {figures.level.value} level "
        f"({figures.successes:g} of {figures.attempts:g}, prior {figures.prior:.3f}); "
        f"horizon {settings.horizon_days} days, ties to the earliest slot"
    )
    return TimeChoice(
        slot.at, slot.weekday, slot.hour, figures, explanation, evidence, channel_rate, settings
    )
