"""The time format of the seed contracts, as a type an answer Struct can name.

msgspec writes a ``datetime`` its own way (``...48.363Z``, microseconds when there are any); the
CRM prototype contract, and every route since, write UTC with milliseconds and ``+00:00``:
``2023-04-12T23:13:48.363+00:00``. ``SeedTime`` carries that text, so that an answer is
``msgspec.convert(entity, XOut, from_attributes=True, dec_hook=from_domain)`` (see ``answer``) and
is encoded as a plain string (``TYPE_ENCODERS``) and documented as one (``SeedTimeSchema``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from operator import attrgetter
from typing import Annotated, Any, TypeVar

import msgspec
from litestar.openapi.spec import OpenAPIFormat, OpenAPIType, Schema
from litestar.plugins import OpenAPISchemaPlugin

T = TypeVar("T")

EXAMPLE = "2023-04-12T23:13:48.363+00:00"


class SeedTime:
    """A moment written as the seeds write it: UTC, milliseconds, ``+00:00``."""

    __slots__ = ("text",)

    def __init__(self, moment: datetime | date) -> None:
        if not isinstance(moment, datetime):
            moment = datetime.combine(moment, time(), UTC)  # a date is its midnight in UTC
        self.text = moment.astimezone(UTC).isoformat(timespec="milliseconds")

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"SeedTime({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SeedTime) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)


Timestamp = Annotated[SeedTime, msgspec.Meta(examples=[EXAMPLE])]
"""An answer's time, in the seeds' format."""


def from_domain(kind: type, value: Any) -> Any:
    """msgspec's ``dec_hook``: a domain ``datetime`` (or ``date``) becomes the answer's ``SeedTime``."""
    if kind is SeedTime and isinstance(value, date):
        return SeedTime(value)
    raise NotImplementedError(f"cannot convert {type(value).__name__} to {kind.__name__}")


def answer(source: Any, out: type[T]) -> T:
    """The answer Struct ``out`` from an entity (or any object) whose attributes it shares."""
    return msgspec.convert(source, out, from_attributes=True, dec_hook=from_domain)


TYPE_ENCODERS: dict[Any, Any] = {SeedTime: attrgetter("text")}
"""For Litestar's encoder: a ``SeedTime`` is written as its text (read in C, not through ``__str__``)."""


class SeedTimeSchema(OpenAPISchemaPlugin):
    """Documents a ``SeedTime`` as what it is on the wire: a date-time string."""

    @staticmethod
    def is_plugin_supported_type(value: Any) -> bool:
        return value is SeedTime

    def to_openapi_schema(self, field_definition: Any, schema_creator: Any) -> Schema:
        return Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.DATE_TIME)


def seed_time(moment: datetime | date | None) -> SeedTime | None:
    """``SeedTime`` for a hand-written converter's optional time (None stays None)."""
    return None if moment is None else SeedTime(moment)
