"""The cron calendar port, with croniter: five-field expressions read in an IANA time zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from croniter import CroniterBadCronError, croniter


class CroniterCalendar:
    """Cron times computed in the mailing's zone, so "09:00" stays 09:00 across a DST change."""

    def problem(self, expression: str) -> str | None:
        if len(expression.split()) != 5:
            return "a cron expression has five fields: minute hour day-of-month month day-of-week"
        try:
            croniter(expression)
        except (CroniterBadCronError, ValueError, KeyError) as error:
            return f"not a valid cron expression: {error}"
        return None

    def next_after(self, expression: str, zone: ZoneInfo, after: datetime) -> datetime:
        # Iterate on the zone's wall clock; the answer goes back to UTC, as storage keeps times.
        local = after.astimezone(zone)
        following: datetime = croniter(expression, local).get_next(datetime)
        return following.astimezone(UTC)
