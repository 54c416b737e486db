"""What a send (POST /api/v1/sends) and a mailing (POST /api/v1/mailings) both ask for, stated once:
the type, the channels, the sender's department, the content, the audience's group or project,
and when."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from domain.errors import ValidationFailed
from entrypoints.http.schemas.common import Id, In


def send_time(at: str | None) -> datetime | None:
    """The ``at`` of a send or mailing: None when absent or "auto"; 400 naming ``at`` otherwise."""
    if at is None or at == "auto":
        return None
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        raise ValidationFailed.field("at", 'an ISO 8601 time with an offset, or "auto"') from None
    if moment.tzinfo is None:
        raise ValidationFailed.field("at", "give the time with its offset")
    return moment


ChannelList = Annotated[list[Id], msgspec.Meta(min_length=1, max_length=20)]
"""A priority list of channel ids (each request words its own description)."""
TimeText = Annotated[str, msgspec.Meta(max_length=64, examples=["2026-12-01T10:00:00+03:00", "auto"])]
"""A time with its offset, or "auto" (each request words its own description)."""


class SendRequest(In):
    """The fields a send and a mailing share; a mailing words ``channels`` and ``at`` its own way."""

    communication_type_id: Id
    channels: (
        Annotated[
            ChannelList,
            msgspec.Meta(
                description=(
                    'A priority list of channel ids, or "auto": the learned best channel per client. '
                    "Left out, the send is auto when an active rule of the department has autoSelect on."
                )
            ),
        ]
        | Literal["auto"]
        | None
    ) = None
    department_id: Id | None = None
    """Defaults to the sender's department; required when the sender belongs to none."""
    document_id: Id | None = None
    subject: Annotated[str, msgspec.Meta(max_length=1000)] | None = None
    text: Annotated[str, msgspec.Meta(max_length=100_000)] | None = None
    html: Annotated[str, msgspec.Meta(max_length=500_000)] | None = None
    variables: dict[str, Any] = msgspec.field(default_factory=dict)
    group_id: Id | None = None
    project_id: Id | None = None
    at: (
        Annotated[
            TimeText,
            msgspec.Meta(description='ISO 8601 with an offset, or "auto": the learned best time per client.'),
        ]
        | None
    ) = None

    @property
    def channel_ids(self) -> tuple[int, ...]:
        """The channels named, in priority order (none for "auto" or left out)."""
        return tuple(self.channels) if isinstance(self.channels, list) else ()

    @property
    def auto_channels(self) -> bool:
        return self.channels == "auto"

    @property
    def auto_time(self) -> bool:
        return self.at == "auto"

    @property
    def moment(self) -> datetime | None:
        """The time given in ``at`` (None when left out or "auto")."""
        return send_time(self.at)
