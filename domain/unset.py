"""``UNSET``: a field a partial change leaves as it is (None is a value: it clears the field)."""

from __future__ import annotations

from enum import Enum
from typing import Final


class Unset(Enum):
    """The type of ``UNSET``; a one-member enum, so that ``x is UNSET`` narrows the type."""

    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = Unset.UNSET
