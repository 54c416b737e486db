"""Column types that carry domain values: aware UTC times and small value objects as JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from domain.access import Grant, Permission
from domain.organisation import WorkingDay
from domain.rules import QuietHours, QuietHoursPolicy


class UtcDateTime(sa.TypeDecorator[datetime]):
    """Stored as UTC; always read back timezone-aware, on SQLite as on PostgreSQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: give a timezone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], datetime | None]:
        # One Python call per value where TypeDecorator's chain makes two: a client read has two times.
        parse = self.impl_instance.dialect_impl(dialect).result_processor(dialect, coltype)
        aware = self.process_result_value
        if parse is None:
            return lambda value: aware(value, dialect)

        def process(value: Any) -> datetime | None:
            if value is None:
                return None
            moment: datetime | None = parse(value)
            if moment is None:
                return None
            return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)

        return process


class JsonValue(sa.TypeDecorator[Any]):
    """A value object stored as JSON through a pair of plain conversion functions."""

    impl = sa.JSON
    cache_ok = True

    def __init__(self, dump: Callable[[Any], Any], load: Callable[[Any], Any]) -> None:
        super().__init__()
        self._dump = dump
        self._load = load

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else self._dump(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else self._load(value)

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], Any] | None:
        chained = super().result_processor(dialect, coltype)
        if dialect.name != "sqlite" or chained is None:
            return chained  # asyncpg's codec hands over decoded values: nothing to shorten
        # SQLite hands JSON over as its text: decoded and loaded in one call, where the chain of
        # TypeDecorator, SQLite's JSON type and the JSON type makes four (a client row has three
        # such columns). Anything else (a number SQLite stored as one) takes the chain.
        decode = getattr(dialect, "_json_deserializer", None) or json.loads
        load = self._load

        def process(value: Any) -> Any:
            if type(value) is not str:
                return chained(value)
            decoded = decode(value)
            return None if decoded is None else load(decoded)

        return process


def _grants_dump(grants: tuple[Grant, ...]) -> list[dict[str, Any]]:
    return [
        {
            "permission": g.permission.value,
            "type_ids": sorted(g.type_ids),
            "channel_ids": sorted(g.channel_ids),
        }
        for g in grants
    ]


def _grants_load(raw: list[dict[str, Any]]) -> tuple[Grant, ...]:
    return tuple(
        Grant(
            permission=Permission(g["permission"]),
            # Rows written before the keys were snake_case spell them in camelCase.
            type_ids=frozenset(g.get("type_ids", g.get("typeIds", ()))),
            channel_ids=frozenset(g.get("channel_ids", g.get("channelIds", ()))),
        )
        for g in raw
    )


def _hours_dump(days: tuple[WorkingDay, ...]) -> list[list[Any]]:
    return [[d.weekday, d.opens.isoformat("minutes"), d.closes.isoformat("minutes")] for d in days]


def _hours_load(raw: list[list[Any]]) -> tuple[WorkingDay, ...]:
    return tuple(WorkingDay(int(d[0]), time.fromisoformat(d[1]), time.fromisoformat(d[2])) for d in raw)


def _quiet_dump(q: QuietHours) -> list[str]:
    return [q.start.isoformat("minutes"), q.end.isoformat("minutes"), q.policy.value]


def _quiet_load(raw: list[str]) -> QuietHours:
    # Rows written before the policy existed hold two values: they meant "defer".
    policy = QuietHoursPolicy(raw[2]) if len(raw) > 2 else QuietHoursPolicy.DEFER
    return QuietHours(time.fromisoformat(raw[0]), time.fromisoformat(raw[1]), policy)


def Grants() -> JsonValue:  # noqa: N802 - reads like a column type
    return JsonValue(_grants_dump, _grants_load)


def WorkingHours() -> JsonValue:  # noqa: N802
    return JsonValue(_hours_dump, _hours_load)


def QuietHoursType() -> JsonValue:  # noqa: N802
    return JsonValue(_quiet_dump, _quiet_load)


def JsonList() -> JsonValue:  # noqa: N802
    return JsonValue(list, list)


def JsonDict() -> JsonValue:  # noqa: N802
    return JsonValue(dict, dict)


class EnumText(sa.TypeDecorator[Any]):
    """A StrEnum stored as its plain value, so dictionaries of codes stay readable in SQL."""

    impl = sa.String
    cache_ok = True

    def __init__(self, enum_cls: type[Any], length: int = 32) -> None:
        super().__init__(length)
        self._enum = enum_cls
        # Dict lookups, not a call of the enum class and its ``value`` property per value: a batch
        # of communications converts a few statuses for each of its rows. Anything else (a value
        # of another type that the enum still accepts) falls back to the enum itself.
        self._values = {member: member.value for member in enum_cls}
        self._members = {member.value: member for member in enum_cls}

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if type(value) is self._enum:
            return self._values[value]
        return self._enum(value).value

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        member = self._members.get(value) if isinstance(value, str) else None
        return self._enum(value) if member is None else member


class PlainFloat(sa.TypeDecorator[float]):
    """A float column whose rows convert without the driver's column type (the fast path has none)."""

    impl = sa.Float
    cache_ok = True

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], float | None]:
        return lambda value: None if value is None else float(value)
