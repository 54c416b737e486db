"""Permissions, the grants roles carry, and the check that answers "may this user do that"."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from domain.errors import PermissionDenied


class Permission(StrEnum):
    MANAGE_SYSTEM = "manage_system"
    MANAGE_CLIENTS = "manage_clients"
    READ_STATISTICS = "read_statistics"
    SEND_COMMUNICATIONS = "send_communications"


@dataclass(frozen=True, kw_only=True)
class Grant:
    """One permission of a role. For sending, empty sets mean every type / every channel."""

    permission: Permission
    type_ids: frozenset[int] = field(default_factory=frozenset)
    channel_ids: frozenset[int] = field(default_factory=frozenset)

    def allows_send(self, type_id: int, channel_id: int) -> bool:
        return (
            self.permission is Permission.SEND_COMMUNICATIONS
            and (not self.type_ids or type_id in self.type_ids)
            and (not self.channel_ids or channel_id in self.channel_ids)
        )


class PrincipalKind(StrEnum):
    EMPLOYEE = "employee"
    SERVICE_ACCOUNT = "service_account"
    PROCESS = "process"
    """Switchboard itself acting with no logged-in user: the dispatcher, a provider callback, the PBX."""


class Process(StrEnum):
    """The processes that act on their own; history names them ``process:<name>``."""

    DISPATCHER = "dispatcher"
    PROVIDER = "provider"
    PBX = "pbx"
    CALL_CENTER = "call_center"
    SCHEDULER = "scheduler"


@dataclass(frozen=True, kw_only=True)
class Principal:
    """Who is acting: an authenticated employee or service account with its grants."""

    kind: PrincipalKind
    id: int
    login: str
    grants: tuple[Grant, ...]
    department_id: int | None = None

    @classmethod
    def process(cls, process: Process, *permissions: Permission) -> Principal:
        """A process acting on its own behalf, with only the permissions its job needs."""
        return cls(
            kind=PrincipalKind.PROCESS,
            id=0,
            login=process.value,
            grants=tuple(Grant(permission=p) for p in permissions),
        )

    @property
    def actor(self) -> str:
        """How history entries name this principal, e.g. ``employee:5`` or ``process:dispatcher``."""
        if self.kind is PrincipalKind.PROCESS:
            return f"{self.kind.value}:{self.login}"
        return f"{self.kind.value}:{self.id}"

    def has(self, permission: Permission) -> bool:
        # Managing the system implies every other permission: the administrator can do all.
        return any(g.permission in (permission, Permission.MANAGE_SYSTEM) for g in self.grants)

    def require(self, permission: Permission) -> None:
        if not self.has(permission):
            raise PermissionDenied(permission.value)

    def require_send(self, type_id: int, channel_id: int) -> None:
        if any(
            g.permission is Permission.MANAGE_SYSTEM or g.allows_send(type_id, channel_id)
            for g in self.grants
        ):
            return
        raise PermissionDenied(
            Permission.SEND_COMMUNICATIONS.value, f"communication type {type_id} on channel {channel_id}"
        )


def merge_grants(grant_lists: Iterable[Iterable[Grant]]) -> tuple[Grant, ...]:
    """All grants of a user's roles, duplicates removed, in a stable order."""
    seen: dict[Grant, None] = {}
    for grants in grant_lists:
        for grant in grants:
            seen.setdefault(grant, None)
    return tuple(seen)
