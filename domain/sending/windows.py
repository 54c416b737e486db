"""When a rule lets a message reach a client: quiet hours and weekdays in the client's local time.

Pure functions of a moment and a time zone; nothing here reads a clock.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.rules import QuietHours

# A week and a day is enough to leave any quiet period on some allowed weekday; more means the
# rule allows no minute at all, which the rule itself forbids (an empty week is refused).
_SEARCH_LIMIT = timedelta(days=8)


def zone(name: str | None) -> ZoneInfo:
    """The named time zone; UTC for none or a name the platform does not know."""
    if not name:
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def in_quiet_hours(moment: datetime, quiet: QuietHours | None, tz: ZoneInfo) -> bool:
    if quiet is None:
        return False
    return quiet.contains(moment.astimezone(tz).time())


def on_allowed_weekday(moment: datetime, weekdays: Collection[int], tz: ZoneInfo) -> bool:
    return moment.astimezone(tz).weekday() in weekdays


def allowed_at(moment: datetime, quiet: QuietHours | None, weekdays: Collection[int], tz: ZoneInfo) -> bool:
    """Whether a message may go out at ``moment``: an allowed weekday and outside quiet hours."""
    return on_allowed_weekday(moment, weekdays, tz) and not in_quiet_hours(moment, quiet, tz)


def _local(day: datetime, at: time, tz: ZoneInfo) -> datetime:
    # A wall time that a DST jump skips resolves (fold=0) to an instant just after the gap, which
    # is still the first moment of that local period.
    return datetime.combine(day.date(), at, tzinfo=tz).astimezone(UTC)


def next_allowed(
    moment: datetime, quiet: QuietHours | None, weekdays: Collection[int], tz: ZoneInfo
) -> datetime | None:
    """``moment`` itself when it is allowed, else the first allowed minute after it.

    None only when no minute in the next eight days is allowed (a rule that allows nothing).
    The answer jumps from boundary to boundary (end of quiet hours, start of the next local
    day), so it costs a handful of steps, not one per minute.
    """
    candidate = moment
    limit = moment + _SEARCH_LIMIT
    while candidate <= limit:
        local = candidate.astimezone(tz)
        if local.weekday() not in weekdays:
            jump = _local(local + timedelta(days=1), time(0, 0), tz)
        elif quiet is not None and quiet.contains(local.time()):
            end_day = local if local.time() < quiet.end else local + timedelta(days=1)
            jump = _local(end_day, quiet.end, tz)
        else:
            return candidate
        # A DST jump can map a boundary back to or before where we stand; always move on.
        candidate = jump if jump > candidate else candidate + timedelta(minutes=1)
    return None
