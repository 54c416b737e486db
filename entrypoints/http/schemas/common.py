"""What every resource's schemas share: strictness, partial changes, pages (times: ``times``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, time
from typing import Annotated, Any, ClassVar, TypeVar

import msgspec

from application.queries import Page

T = TypeVar("T")
C = TypeVar("C")

ClockTime = Annotated[str, msgspec.Meta(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", examples=["09:00"])]
Weekday = Annotated[int, msgspec.Meta(ge=0, le=6, description="0 = Monday … 6 = Sunday")]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Id = Annotated[int, msgspec.Meta(ge=1)]


class In(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, frozen=True, rename="camel"):
    """A request body: unknown fields are refused, JSON names are camelCase."""

    renames: ClassVar[Mapping[str, str]] = {}
    """Struct field -> domain attribute, where the API's name differs from the domain's."""
    converters: ClassVar[Mapping[str, Callable[[Any], Any]]] = {}
    """Struct field -> how its value becomes the domain's value object."""

    def _given(self, without: tuple[str, ...] = ()) -> dict[str, Any]:
        """The fields that were given, by domain attribute name; ``UNSET`` ones are left out."""
        given = {}
        for name in self.__struct_fields__:
            value = getattr(self, name)
            if value is msgspec.UNSET or name in without:
                continue
            if name in self.converters and value is not None:
                value = self.converters[name](value)
            given[self.renames.get(name, name)] = value
        return given

    def as_command(self, command: type[C], *, without: tuple[str, ...] = ()) -> C:
        """The use case's command (a frozen dataclass named by domain attributes) from this body;
        for a partial-change body, fields not given stay ``UNSET`` in the command (``patch_for``)."""
        return command(**self._given(without))


def patch_of(
    create: type[In],
    *,
    without: tuple[str, ...] = (),
    extra: tuple[tuple[str, Any], ...] = (),
    name: str | None = None,
) -> Any:
    """The partial-change body of a resource from its create body: the same fields, names,
    limits, renames and converters, each one optional (absent stays, null clears where the
    create body allows null); plus ``extra`` (name, type) fields only a change has."""
    given = [(f.name, f.type) for f in msgspec.structs.fields(create) if f.name not in without]
    fields = [(n, t | msgspec.UnsetType, msgspec.UNSET) for n, t in [*given, *extra]]
    namespace = {"renames": create.renames, "converters": create.converters, "__module__": create.__module__}
    return msgspec.defstruct(
        name or create.__name__.removesuffix("In") + "Patch", fields, bases=(In,), namespace=namespace
    )


class Out(msgspec.Struct, kw_only=True, rename="camel"):
    """An answer body, camelCase."""


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with milliseconds, as the seeds show: ``2023-04-12T23:13:48.363+00:00``."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def aware(moment: datetime) -> datetime:
    """A time without an offset is read as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def clock_time(text: str) -> time:
    return time.fromisoformat(text)


def sort_field(name: str) -> str:
    """A sort field as the API names it (``-createTime``) to the domain's name (``-create_time``)."""
    sign = "-" if name.startswith("-") else ""
    return sign + "".join(f"_{c.lower()}" if c.isupper() else c for c in name.lstrip("-"))


def page_struct(item: type[Out]) -> type[msgspec.Struct]:
    """The answer of a list route: one page of items, the total, and where the page starts."""
    return msgspec.defstruct(
        f"{item.__name__}Page",
        [("items", list[item]), ("total", int), ("limit", int), ("offset", int)],
        kw_only=True,
    )


def to_page(page: Page[Any], convert: Callable[[Any], T], struct: type[msgspec.Struct]) -> Any:
    return struct(
        items=[convert(i) for i in page.items], total=page.total, limit=page.limit, offset=page.offset
    )


def ids(values: Iterable[int] | None) -> list[int]:
    return sorted(set(values or ()))
