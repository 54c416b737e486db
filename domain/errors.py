"""The domain's errors. The HTTP edge maps each kind to one status code."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from domain.keys import is_id_text


class DomainError(Exception):
    """Base of every error the core raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """The named thing does not exist (HTTP 404)."""

    def __init__(self, kind: str, key: object) -> None:
        # Ids read as numbers whichever way they arrived (path text or int); names keep their quotes.
        numeric = isinstance(key, int) or (isinstance(key, str) and is_id_text(key))
        shown = key if numeric else repr(key)
        super().__init__(f"{kind} {shown} not found")
        self.kind = kind
        self.key = key


class Conflict(DomainError):
    """The request contradicts what is stored: a duplicate, or a reference in use (HTTP 409)."""

    def __init__(self, message: str, references: Mapping[str, int] | None = None) -> None:
        super().__init__(message)
        self.references = dict(references or {})


class InvalidTransition(Conflict):
    """A state machine was asked for a move its table does not allow (HTTP 409)."""

    def __init__(self, machine: str, current: str, requested: str) -> None:
        super().__init__(f"{machine}: cannot move from {current!r} to {requested!r}")
        self.machine = machine
        self.current = current
        self.requested = requested


class PermissionDenied(DomainError):
    """The acting user lacks a permission (HTTP 403); names the missing permission."""

    def __init__(self, permission: str, detail: str = "") -> None:
        suffix = f" ({detail})" if detail else ""
        super().__init__(f"missing permission {permission!r}{suffix}")
        self.permission = permission


class FieldError:
    """One invalid field of a request: where it is and what is wrong with it."""

    __slots__ = ("field", "message")

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message

    def __repr__(self) -> str:
        return f"FieldError({self.field!r}, {self.message!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FieldError) and (self.field, self.message) == (
            other.field,
            other.message,
        )

    def __hash__(self) -> int:
        return hash((self.field, self.message))


class ValidationFailed(DomainError):
    """Input breaks a business rule (HTTP 400); lists every invalid field."""

    def __init__(self, errors: Sequence[FieldError] | str) -> None:
        if isinstance(errors, str):
            errors = [FieldError("", errors)]
        self.errors = list(errors)
        super().__init__("; ".join(f"{e.field}: {e.message}" if e.field else e.message for e in self.errors))

    @classmethod
    def field(cls, field: str, message: str) -> ValidationFailed:
        return cls([FieldError(field, message)])
