"""What every stored entity shares: an integer id and its create/update times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.errors import FieldError, ValidationFailed


@dataclass(eq=False, kw_only=True)
class Entity:
    """Identity is the id: two loaded copies of one row are the same entity."""

    id: int | None = None
    create_time: datetime
    update_time: datetime

    def touch(self, at: datetime) -> None:
        self.update_time = at

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self) or self.id is None:
            return other is self
        return bool(self.id == other.id)

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.id)) if self.id is not None else id(self)


def full_name(*parts: str | None) -> str:
    """Last, first and middle name as people write them, skipping the missing ones."""
    return " ".join(p for p in parts if p)


class Problems:
    """Collects field errors so that one request hears about all of them at once."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, field: str, message: str) -> None:
        self.errors.append(FieldError(field, message))

    def text(self, field: str, value: str | None, *, required: bool = True, max_length: int = 255) -> None:
        if value is None or not value.strip():
            if required:
                self.add(field, "must not be empty")
            return
        if len(value) > max_length:
            self.add(field, f"must be at most {max_length} characters")

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)
