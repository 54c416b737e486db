"""A department's sending rules: what may be sent, on which channels, when and how often."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from enum import StrEnum

from domain.entity import Entity, Problems


class QuietHoursPolicy(StrEnum):
    """What a send that falls outside the rule's hours or weekdays gets."""

    DEFER = "defer"
    """Held to the next allowed minute in the client's time zone."""
    DROP = "drop"
    """Refused, with the reason why."""


@dataclass(frozen=True)
class QuietHours:
    """No sending between ``start`` and ``end`` in the client's local time; may wrap midnight."""

    start: time
    end: time
    policy: QuietHoursPolicy = QuietHoursPolicy.DEFER

    def contains(self, moment: time) -> bool:
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end


@dataclass(eq=False, kw_only=True)
class Rule(Entity):
    department_id: int
    name: str
    allowed_type_ids: list[int] = field(default_factory=list)
    """Empty means every type."""
    allowed_channel_ids: list[int] = field(default_factory=list)
    """Empty means every channel."""
    channel_priority: list[int] = field(default_factory=list)
    quiet_hours: QuietHours | None = None
    allowed_weekdays: list[int] = field(default_factory=lambda: list(range(7)))
    max_per_day: int | None = None
    max_per_week: int | None = None
    min_interval_minutes: int | None = None
    auto_select: bool = False
    active: bool = True

    def __post_init__(self) -> None:
        problems = Problems()
        problems.text("name", self.name)
        if any(not 0 <= d <= 6 for d in self.allowed_weekdays):
            problems.add("allowed_weekdays", "weekdays are 0 (Monday) to 6 (Sunday)")
        if not self.allowed_weekdays:
            # Empty type and channel lists mean "all"; an empty week would silently mean "never".
            problems.add("allowed_weekdays", "must list at least one day; deactivate the rule instead")
        if self.quiet_hours is not None and self.quiet_hours.start == self.quiet_hours.end:
            problems.add("quiet_hours", "start and end must differ")
        if len(set(self.channel_priority)) != len(self.channel_priority):
            problems.add("channel_priority", "a channel appears twice")
        if self.allowed_channel_ids and not set(self.channel_priority) <= set(self.allowed_channel_ids):
            problems.add("channel_priority", "lists a channel that the rule does not allow")
        for name, value in (
            ("max_per_day", self.max_per_day),
            ("max_per_week", self.max_per_week),
            ("min_interval_minutes", self.min_interval_minutes),
        ):
            if value is not None and value < 0:
                problems.add(name, "must not be negative")
        if (
            self.max_per_day is not None
            and self.max_per_week is not None
            and self.max_per_day > self.max_per_week
        ):
            problems.add("max_per_day", "cannot exceed max_per_week")
        problems.raise_if_any()

    def allows(self, *, type_id: int, channel_id: int) -> bool:
        return (not self.allowed_type_ids or type_id in self.allowed_type_ids) and (
            not self.allowed_channel_ids or channel_id in self.allowed_channel_ids
        )
