"""The send request as the use case receives it, and its answer."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from domain.sending.refusals import RefusalReason

ANSWER_LIST_LIMIT = 1_000
"""Above this many clients the answer carries counts only; the lists are paged under the send."""


@dataclass(frozen=True, kw_only=True)
class ScheduledRecipient:
    client_id: int
    at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class Audience:
    """Exactly one of: client ids, a group, a project, or clients each with their own time."""

    client_ids: tuple[int, ...] = ()
    group_id: int | None = None
    project_id: int | None = None
    recipients: tuple[ScheduledRecipient, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Content:
    document_id: int | None = None
    subject: str | None = None
    text: str | None = None
    html: str | None = None
    variables: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class SendCommand:
    type_id: int
    department_id: int | None = None
    content: Content
    audience: Audience
    channel_ids: tuple[int, ...]
    at: datetime | None = None
    idempotency_key: str | None = None
    auto_channels: bool = False
    """``"channels": "auto"``: the decisions choose the channel per client (channel_ids empty)."""
    auto_time: bool = False
    """``"at": "auto"``: the decisions choose the time per client."""

    def fingerprint(self) -> str:
        """What "the same body" means for an idempotency key: every field but the key itself."""
        canonical = repr(
            (
                self.type_id,
                self.department_id,
                self.content.document_id,
                self.content.subject,
                self.content.text,
                self.content.html,
                sorted((k, repr(v)) for k, v in self.content.variables.items()),
                self.audience,
                self.channel_ids,
                self.at,
                self.auto_channels,
                self.auto_time,
            )
        )
        return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class AcceptedItem:
    client_id: int
    uuid: str
    channel_id: int
    scheduled_at: datetime


@dataclass(frozen=True)
class RefusedItem:
    client_id: int
    reason: RefusalReason
    message: str


@dataclass(frozen=True)
class SendAnswer:
    send_id: int
    accepted_count: int
    refused_count: int
    accepted: tuple[AcceptedItem, ...] | None
    """None above ``ANSWER_LIST_LIMIT`` clients: page them under ``GET /api/v1/sends/{id}``."""
    refused: tuple[RefusedItem, ...] | None


@dataclass(frozen=True)
class SendProgress:
    send_id: int
    create_time: datetime
    accepted_count: int
    refused_count: int
    lifecycle: Mapping[str, int]
    delivery: Mapping[str, int]
    accepted: tuple[AcceptedItem, ...]
    refused: tuple[RefusedItem, ...]
