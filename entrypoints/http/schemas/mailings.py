"""Mailings as JSON: /api/v1/mailings (camelCase) and seed 001's POST /mailing/create (snake_case)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, Any, Literal

import msgspec

from application.mailings.mailings import MailingCommand, MailingProgress, RunProgress
from domain.errors import ValidationFailed
from domain.mailings import Mailing
from entrypoints.http.schemas.common import Id, In, Name, Out, iso
from entrypoints.http.schemas.send_request import ChannelList, SendRequest, TimeText
from entrypoints.http.schemas.times import SeedTime, Timestamp, seed_time

Cron = Annotated[str, msgspec.Meta(min_length=1, max_length=255, examples=["0 9 * * 1"])]
TimeZone = Annotated[str, msgspec.Meta(min_length=1, max_length=64, examples=["Europe/Moscow"])]


class MailingIn(SendRequest, kw_only=True):
    name: Name
    channels: (
        Annotated[
            ChannelList,
            msgspec.Meta(
                description=(
                    'A priority list of channel ids, or "auto": the learned best channel per client, '
                    "as in a send request. Left out, the mailing is auto when an active rule of the "
                    "department has autoSelect on."
                ),
            ),
        ]
        | Literal["auto"]
        | None
    ) = None
    client_ids: Annotated[list[Id], msgspec.Meta(max_length=100_000)] | None = None
    at: (
        Annotated[
            TimeText,
            msgspec.Meta(
                description=(
                    "Once, at this time (ISO 8601 with an offset; absent: as soon as it is started), "
                    'or "auto": each run starts when due and the learned best time is chosen per client.'
                ),
            ),
        ]
        | None
    ) = None
    cron: Cron | None = None
    """Recurring: a five-field cron expression, read in ``timeZone``."""
    time_zone: TimeZone = "UTC"
    start: bool = False
    """Create it started (scheduled) rather than as a draft; ignored when changing a mailing."""

    def to_command(self) -> MailingCommand:
        return MailingCommand(
            name=self.name,
            type_id=self.communication_type_id,
            department_id=self.department_id,
            channel_ids=self.channel_ids,
            auto_channels=self.auto_channels,
            auto_time=self.auto_time,
            document_id=self.document_id,
            subject=self.subject,
            text=self.text,
            html=self.html,
            variables=dict(self.variables),
            project_id=self.project_id,
            group_id=self.group_id,
            client_ids=tuple(self.client_ids or ()),
            at=self.moment,
            cron=self.cron,
            time_zone=self.time_zone,
            start=self.start,
        )


class MailingOut(Out):
    id: int
    name: str
    status: str
    communication_type_id: int
    department_id: int
    channels: list[int] | Literal["auto"]
    """The channel ids, or "auto" when the decisions choose the channel per client."""
    document_id: int | None
    subject: str | None
    text: str | None
    html: str | None
    variables: dict[str, Any]
    project_id: int | None
    group_id: int | None
    client_ids: list[int]
    at: str | None
    """The once time, or "auto" when the decisions choose the time per client."""
    cron: str | None
    time_zone: str
    next_run_at: Timestamp | None
    run_count: int
    last_run_at: Timestamp | None
    created_by: str
    create_time: Timestamp
    update_time: Timestamp


class MailingPageOut(Out):
    items: list[MailingOut]
    total: int


class RunOut(Out):
    run_id: int
    due_at: Timestamp
    state: str
    send_id: int | None
    """The send this run made; its communications carry it (GET /api/v1/sends/{sendId})."""
    accepted_count: int
    refused_count: int
    error: str | None
    lifecycle: dict[str, int]
    delivery: dict[str, int]


class MailingProgressOut(Out):
    mailing_id: int
    status: str
    run_count: int
    next_run_at: Timestamp | None
    lifecycle: dict[str, int]
    delivery: dict[str, int]
    runs: list[RunOut]


def mailing_out(mailing: Mailing) -> MailingOut:
    # By hand: channels and at may be "auto", and the type is communicationTypeId on the wire.
    return MailingOut(
        id=mailing.id or 0,
        name=mailing.name,
        status=mailing.status.value,
        communication_type_id=mailing.type_id,
        department_id=mailing.department_id,
        channels="auto" if mailing.auto_channels else list(mailing.channel_ids),
        document_id=mailing.document_id,
        subject=mailing.subject,
        text=mailing.text,
        html=mailing.html,
        variables=dict(mailing.variables),
        project_id=mailing.project_id,
        group_id=mailing.group_id,
        client_ids=list(mailing.client_ids),
        at="auto" if mailing.auto_time else iso(mailing.at),
        cron=mailing.cron,
        time_zone=mailing.time_zone,
        next_run_at=seed_time(mailing.next_run_at),
        run_count=mailing.run_count,
        last_run_at=seed_time(mailing.last_run_at),
        created_by=mailing.created_by,
        create_time=SeedTime(mailing.create_time),
        update_time=SeedTime(mailing.update_time),
    )


def run_out(progress: RunProgress) -> RunOut:
    # By hand: one run's fields and its counts, from two objects, the id as runId.
    run = progress.run
    return RunOut(
        run_id=run.id or 0,
        due_at=SeedTime(run.due_at),
        state=run.state.value,
        send_id=run.send_id,
        accepted_count=run.accepted_count,
        refused_count=run.refused_count,
        error=run.error,
        lifecycle=dict(progress.lifecycle),
        delivery=dict(progress.delivery),
    )


def progress_out(progress: MailingProgress) -> MailingProgressOut:
    # By hand: the mailing's figures and its runs', gathered from several objects.
    mailing = progress.mailing
    return MailingProgressOut(
        mailing_id=mailing.id or 0,
        status=mailing.status.value,
        run_count=mailing.run_count,
        next_run_at=seed_time(mailing.next_run_at),
        lifecycle=dict(progress.lifecycle),
        delivery=dict(progress.delivery),
        runs=[run_out(r) for r in progress.runs],
    )


# -- seed 001: POST /mailing/create ------------------------------------------------------------

IntOrDigits = Annotated[
    int | str, msgspec.Meta(description="an integer; the seed's examples write it as a string of digits")
]

SEED_STATUSES = {0: False, 1: True}
"""Seed 001's ``status``: 1 starts the mailing (it runs at ``event``), 0 keeps it a draft."""


def _number(value: int | str, name: str) -> int:
    if isinstance(value, int):
        number = value
    elif value.strip().isascii() and value.strip().isdigit():
        number = int(value.strip())
    else:
        raise ValidationFailed.field(name, "must be an integer")
    if number < 0 or number > 2**31 - 1:
        raise ValidationFailed.field(name, "out of range")
    return number


def _event(value: str) -> datetime:
    """A date (midnight UTC, as the seeds' dates are) or a full ISO 8601 time (UTC if no offset)."""
    text = value.strip()
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(), UTC)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationFailed.field("event", "must be a date (2020-08-02) or an ISO 8601 time") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class Seed001MailingIn(In, rename=None):
    name: Name
    project_id: Annotated[
        int | str,
        msgspec.Meta(description="the project: its id, or (as a string) its code", examples=["0236"]),
    ]
    template_id: Annotated[IntOrDigits, msgspec.Meta(examples=["156"])]
    status: Annotated[IntOrDigits, msgspec.Meta(description="1: active (runs at event); 0: draft")]
    channels: (
        Annotated[
            list[IntOrDigits],
            msgspec.Meta(
                min_length=1, max_length=20, description='channel ids, or "auto" (learned per client)'
            ),
        ]
        | Literal["auto"]
    )
    event: Annotated[str, msgspec.Meta(min_length=1, max_length=64, examples=["2020-08-02"])]

    def to_command(self) -> MailingCommand:
        status = _number(self.status, "status")
        if status not in SEED_STATUSES:
            raise ValidationFailed.field("status", "must be 0 (draft) or 1 (active)")
        project = self.project_id
        return MailingCommand(
            name=self.name,
            channel_ids=tuple(_number(c, "channels") for c in self.channels)
            if isinstance(self.channels, list)
            else (),
            auto_channels=self.channels == "auto",
            document_id=_number(self.template_id, "template_id"),
            project_id=project if isinstance(project, int) else None,
            project_code=project.strip() if isinstance(project, str) else None,
            at=_event(self.event),
            start=SEED_STATUSES[status],
        )
