"""What providers tell us on their own: a message's status, and a client's reply.

Both arrive at public webhooks whose signature or secret the HTTP edge has checked before these use
cases run. A status is applied through the delivery state machine (late or out-of-order reports are
ignored there). A reply becomes an inbound communication of the client found by the sender's address,
and marks the latest outbound communication to them on that channel ``responded``.
"""

from __future__ import annotations

import uuid as uuid_module
from dataclasses import dataclass

from application.communications.listing import CommunicationFilter, canonical_uuid
from application.events.status import StatusWatch
from application.ports import Clock, PhoneNumberParser, UnitOfWork, UnitOfWorkFactory
from application.queries import Query
from application.searches import ChannelFields, ClientFields, CommunicationTypeFields
from application.sending.fallback import ChannelFallback, follow_up
from application.webhooks.outbox import publish_many, status_events
from domain.access import Principal, Process
from domain.communications import Communication, CommunicationKind, DeliveryStatus, Direction
from domain.dictionaries import ChannelKind
from domain.errors import NotFound

PROVIDER_PROCESS = Principal.process(Process.PROVIDER)
REPLY_TYPE = "personal"


@dataclass(frozen=True, kw_only=True)
class StatusCallback:
    provider: str
    uuid: str
    provider_message_id: str
    status: DeliveryStatus | None
    """None for a status that says nothing new (Twilio's ``queued``, ``accepted``)."""
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class InboundMessage:
    provider: str
    channel_kind: ChannelKind
    sender: str
    """The sender's address on the channel: a phone number in any notation, or a chat id."""
    text: str
    provider_message_id: str | None = None
    client_id: int | None = None
    """When the edge already knows the client (a linked Telegram chat); else found by phone."""


@dataclass(frozen=True, kw_only=True)
class InboundRecorded:
    communication: Communication
    responded_to: Communication | None


class ProviderCallbacks:
    """Applies status callbacks and records inbound replies (Twilio, Telegram)."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        phones: PhoneNumberParser,
        fallback: ChannelFallback | None = None,
    ) -> None:
        self._fallback = fallback
        self._uow = uow_factory
        self._clock = clock
        self._phones = phones

    async def status(self, callback: StatusCallback) -> bool:
        """Apply one provider status report; returns whether the communication's status changed."""
        if callback.status is None:
            return False
        now = self._clock.now()
        async with self._uow() as uow:
            communication = await uow.communications.get_by_uuid(canonical_uuid(callback.uuid))
            if communication is None:
                return False
            # A report for an earlier attempt through another provider says nothing about this one.
            if communication.provider_message_id not in (None, callback.provider_message_id):
                return False
            watch = StatusWatch([communication])
            changed = communication.record_delivery(
                callback.status, at=now, actor=f"provider:{callback.provider}", reason=callback.reason
            )
            if changed:
                # A failed or undelivered report tries the send's next channel (notes stored below).
                await follow_up(self._fallback, uow, [communication], now)
                await uow.communications.update(communication)
                await publish_many(uow, status_events([communication]), now)
                # The events log (SSE), and the send's completion when this was its last one open.
                await watch.record(uow, [communication])
                await uow.commit()
            return changed

    async def inbound(self, message: InboundMessage) -> InboundRecorded:
        """Record a client's message as an inbound fact and mark what it answers ``responded``."""
        now = self._clock.now()
        actor = f"provider:{message.provider}"
        async with self._uow() as uow:
            channel = await uow.channels.first(ChannelFields.kind.eq(message.channel_kind))
            kind = await uow.communication_types.first(CommunicationTypeFields.code.eq(REPLY_TYPE))
            if channel is None or kind is None or channel.id is None or kind.id is None:
                raise NotFound(
                    "dictionary entry", f"channel of kind {message.channel_kind} / type {REPLY_TYPE}"
                )
            client_id = message.client_id
            if client_id is None:
                client_id = await self._client_by_phone(uow, message.sender)
            inbound = Communication.open(
                uuid=str(uuid_module.uuid4()),
                kind=CommunicationKind.FACT,
                direction=Direction.INBOUND,
                type_id=kind.id,
                channel_id=channel.id,
                at=now,
                actor=actor,
                client_id=client_id,
                subject=f"Reply from {message.sender}",
                content=message.text,
            )
            inbound.provider = message.provider
            inbound.provider_message_id = message.provider_message_id
            inbound.close(at=now, actor=actor, result=message.text)
            inbound = await uow.communications.add(inbound)
            answered = None
            if client_id is not None:
                answered = await self._latest_outbound(uow, client_id, channel.id)
                watch = StatusWatch([answered] if answered is not None else [])
                if answered is not None and answered.record_delivery(
                    DeliveryStatus.RESPONDED, at=now, actor=actor
                ):
                    answered.edit(at=now, actor=actor, result=message.text)
                    answered.record_note(f"reply: communication {inbound.uuid}", at=now, actor=actor)
                    await uow.communications.update(answered)
                    await publish_many(uow, status_events([answered]), now)
                    await watch.record(uow, [answered])
            await uow.commit()
        return InboundRecorded(communication=inbound, responded_to=answered)

    async def _client_by_phone(self, uow: UnitOfWork, sender: str) -> int | None:
        e164 = self._phones.to_e164(sender)
        if e164 is None:
            return None
        client = await uow.clients.first(ClientFields.phone.eq(e164))
        return client.id if client is not None else None

    async def _latest_outbound(
        self, uow: UnitOfWork, client_id: int, channel_id: int
    ) -> Communication | None:
        criteria = CommunicationFilter(
            client_id=client_id, channel_ids=(channel_id,), direction=Direction.OUTBOUND
        ).criteria()
        found = await uow.communications.find(Query(criteria, order_by=("-create_time",), limit=1))
        return found[0] if found else None
