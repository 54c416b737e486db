"""Domain attribute names to the names of the route that was called: the one place they are renamed.

Domain errors name domain attributes (``allowed_weekdays``, ``phones[0]``, ``working_hours[1].opens``)
and mention them in their messages. Each contract spells them its own way: camelCase on ``/api/v1``
and on the CRM prototype and communications-service routes; the mailing-service contract
(``/project/...``, ``/client/...``, ``/mailing/...``) keeps snake_case, as its bodies do.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

Rename = Callable[[str], str]


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def snake(name: str) -> str:
    return name


def camel_with(renames: Mapping[str, str]) -> Rename:
    """camelCase after the route's own renames (``type_id`` is ``communicationTypeId`` on the wire)."""
    return lambda name: camel(renames.get(name, name))


COMMUNICATION_NAMES = camel_with({"type_id": "communication_type_id", "type_ids": "communication_type_id"})

ROUTE_FAMILIES: tuple[tuple[re.Pattern[str], Rename], ...] = (
    (re.compile(r"^/(project|client|mailing)/"), snake),  # the mailing-service contract
    (re.compile(r"^(/api)?/v\d/communications|^/v\d/dicts/"), COMMUNICATION_NAMES),
)


def names_of(path: str) -> Rename:
    """How the route at ``path`` spells domain attribute names."""
    return next((rename for pattern, rename in ROUTE_FAMILIES if pattern.match(path)), camel)


SEGMENT = re.compile(r"^([^\[]*)(.*)$")


def field_path(name: str, rename: Rename) -> str:
    """Renames each attribute of a field path, keeping list indexes: ``working_hours[0].opens``."""
    renamed = []
    for segment in name.split("."):
        match = SEGMENT.match(segment)
        assert match is not None  # the pattern matches every string
        attribute, index = match.groups()
        renamed.append(rename(attribute) + index)
    return ".".join(renamed)


QUOTED_OR_NAME = re.compile(r"'[^']*'|\"[^\"]*\"|\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


def in_message(message: str, rename: Rename) -> str:
    """Renames the snake_case attribute names a message mentions; quoted values stay as they are."""
    return QUOTED_OR_NAME.sub(lambda m: m.group(0) if m.group(0)[0] in "'\"" else rename(m.group(0)), message)
