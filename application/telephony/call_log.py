"""Every call becomes a Call communication: the parts PBX events and call-center updates share."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from application.ports import PhoneNumberParser, UnitOfWork
from application.searches import ChannelFields, ClientFields, CommunicationTypeFields, EmployeeFields
from domain.communications import Communication, CommunicationKind, Direction
from domain.errors import NotFound
from domain.telephony.call_records import CallRecord

CALL_CHANNEL = "call"
CALL_TYPE = "personal"


@dataclass(frozen=True)
class CallDictionary:
    channel_id: int
    type_id: int


class LiveFeed(Protocol):
    """Tells open lists (SSE) that something changed, after the change is committed."""

    def publish(self, topic: str, payload: dict[str, object]) -> None: ...


async def call_dictionary(uow: UnitOfWork) -> CallDictionary:
    """The Call channel and the type calls are recorded with (the defaults the bootstrap seeds)."""
    channel = await uow.channels.first(ChannelFields.code.eq(CALL_CHANNEL))
    kind = await uow.communication_types.first(CommunicationTypeFields.code.eq(CALL_TYPE))
    if channel is None or kind is None:
        raise NotFound("dictionary entry", f"channel {CALL_CHANNEL!r} / type {CALL_TYPE!r}")
    return CallDictionary(channel.id or 0, kind.id or 0)


async def client_of(
    uow: UnitOfWork, phones: PhoneNumberParser, number: str | None
) -> tuple[str | None, int | None]:
    """The number in E.164 (as given when it is none) and the client it belongs to, if any."""
    if not number:
        return None, None
    e164 = phones.to_e164(number)
    if e164 is None:
        return number, None
    client = await uow.clients.first(ClientFields.phone.eq(e164))
    return e164, client.id if client is not None else None


async def employee_of(uow: UnitOfWork, target: str | None) -> int | None:
    if not target:
        return None
    local = target.split("@", 1)[0]
    for candidate in {target, local}:
        found = await uow.employees.first(EmployeeFields.extension.eq(candidate))
        if found is not None:
            return found.id
    return None


async def open_call_communication(
    uow: UnitOfWork,
    record: CallRecord,
    *,
    dictionary: CallDictionary,
    client_id: int | None,
    employee_id: int | None,
    at: datetime,
    actor: str,
) -> Communication:
    communication = new_call_communication(
        record, dictionary=dictionary, client_id=client_id, employee_id=employee_id, at=at, actor=actor
    )
    return await uow.communications.add(communication)


def new_call_communication(
    record: CallRecord,
    *,
    dictionary: CallDictionary,
    client_id: int | None,
    employee_id: int | None,
    at: datetime,
    actor: str,
) -> Communication:
    """The Call communication of a call, not yet stored (a batch stores many in one statement)."""
    return Communication.open(
        uuid=str(uuid.uuid4()),
        kind=CommunicationKind.FACT,
        direction=record.direction,
        type_id=dictionary.type_id,
        channel_id=dictionary.channel_id,
        at=record.started_at or at,
        actor=actor,
        client_id=client_id,
        employee_id=employee_id,
        subject=_subject(record),
    )


def _subject(record: CallRecord) -> str:
    towards = "from" if record.direction is Direction.INBOUND else "to"
    return f"Call {towards} {record.remote_number or 'a withheld number'}"


def call_summary(record: CallRecord) -> str:
    """The call's facts as the communication's content: times, duration, who, recording."""
    parts = [f"started {_iso(record.started_at)}"]
    if record.answered_at is not None:
        parts.append(f"answered {_iso(record.answered_at)}")
    if record.released_at is not None:
        parts.append(f"ended {_iso(record.released_at)}")
    parts.append(f"duration {record.duration_seconds} s")
    if record.ring_seconds is not None:
        parts.append(f"ringing {record.ring_seconds} s")
    if record.agent:
        parts.append(f"agent {record.agent}")
    if record.station:
        parts.append(f"station {record.station}")
    if record.recording_url:
        parts.append(f"recording {record.recording_url}")
    return "; ".join(parts)


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment is not None else "unknown"
