"""Outbound calling campaigns run by the call center (seed 003, SPEC §5.3).

Switchboard makes the campaign from a client group or a list, sends it (``sendCampaign``), may close
it early (``closeCampaign``), and takes the call center's callbacks: one ``updateCampaign`` per dialled
contact (each attempt a Call communication, done when ANSWERED, else failed with the CDR status) and
one ``finishCampaign`` with the totals. Callbacks repeated verbatim change nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from application.ports import Clock, UnitOfWork, UnitOfWorkFactory
from application.queries import Query
from application.searches import ClientFields
from application.telephony.call_log import (
    CallDictionary,
    call_dictionary,
    call_summary,
    open_call_communication,
)
from application.telephony.ports import CallCenter, CampaignOrder, ContactToCall
from domain.access import Permission, Principal, Process
from domain.communications.statuses import Direction, LifecycleStatus
from domain.errors import Conflict, NotFound, ValidationFailed
from domain.telephony.call_records import CallRecord
from domain.telephony.campaigns import ANSWERED, CallCampaign, CampaignContact, CampaignStatus, verdict_of

ACTOR = f"process:{Process.CALL_CENTER.value}"
MAX_CONTACTS = 10_000


@dataclass(frozen=True, kw_only=True)
class NewCampaign:
    """The command to start a call-center campaign over an audience."""

    name: str
    start_at: datetime
    end_at: datetime
    type_id: int | None = None
    client_group_id: int | None = None
    client_ids: tuple[int, ...] = ()


@dataclass(frozen=True, kw_only=True)
class CallUpdate:
    """Seed 003 ``updateCampaign``: one dialled contact's call, as the call center's CDR has it."""

    campaign_id: int
    contact_id: int
    phone: str
    agent: str | None
    station: str | None
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    duration: int | None
    ring_time: int | None
    recording_url: str | None
    status: str
    call_id: str | None


@dataclass(frozen=True, kw_only=True)
class CampaignFinish:
    campaign_id: int
    status: str
    contact_total: int
    contact_success: int


@dataclass(frozen=True)
class CampaignPage:
    items: list[CallCampaign]
    total: int


def _unknown_campaign(campaign_id: int) -> ValidationFailed:
    return ValidationFailed.field("campaign_id", f"unknown campaign {campaign_id}")


class CallCampaigns:
    """Call-center campaigns: create one over an audience, follow it, take the call center's callbacks."""

    def __init__(
        self, uow_factory: UnitOfWorkFactory, clock: Clock, call_center: CallCenter | None, link_base: str
    ) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self._call_center = call_center
        self._link_base = link_base.rstrip("/")
        self._dictionary: CallDictionary | None = None

    async def create(self, principal: Principal, command: NewCampaign) -> CallCampaign:
        """A draft campaign over the group's or the listed clients that have a phone."""
        principal.require(Permission.SEND_COMMUNICATIONS)
        if (command.client_group_id is None) == (not command.client_ids):
            raise ValidationFailed.field("client_group_id", "give either a client group or a list of clients")
        now = self._clock.now()
        campaign = CallCampaign(
            name=command.name,
            start_at=command.start_at,
            end_at=command.end_at,
            type_id=command.type_id,
            client_group_id=command.client_group_id,
            create_time=now,
            update_time=now,
        )
        async with self._uow_factory() as uow:
            if command.client_group_id is not None:
                if await uow.client_groups.get(command.client_group_id) is None:
                    raise NotFound("client group", command.client_group_id)
                criterion = ClientFields.group_id.eq(command.client_group_id)
            else:
                criterion = ClientFields.id.in_(command.client_ids)
            clients = await uow.clients.find(Query((criterion,), limit=MAX_CONTACTS + 1))
            if len(clients) > MAX_CONTACTS:
                raise ValidationFailed.field(
                    "client_group_id", f"a campaign calls at most {MAX_CONTACTS} clients"
                )
            callable_clients = [c for c in clients if c.phones]
            if not callable_clients:
                raise ValidationFailed.field("client_group_id", "none of these clients has a phone number")
            campaign.contacts_total = len(callable_clients)
            campaign = await uow.call_campaigns.add(campaign)
            assert campaign.id is not None
            await uow.campaign_contacts.add_many(
                [
                    CampaignContact(
                        campaign_id=campaign.id,
                        client_id=c.id,
                        phone=c.phones[0],
                        create_time=now,
                        update_time=now,
                    )
                    for c in callable_clients
                ]
            )
            await uow.commit()
        return campaign

    async def get(self, campaign_id: int) -> CallCampaign:
        """One campaign by id (404 when unknown)."""
        async with self._uow_factory(read_only=True) as uow:
            return await self._load(uow, campaign_id)

    async def find(self, limit: int, offset: int) -> CampaignPage:
        """One page of campaigns."""
        async with self._uow_factory(read_only=True) as uow:
            return CampaignPage(
                await uow.call_campaigns.page(limit, offset), await uow.call_campaigns.total()
            )

    async def send(self, principal: Principal, campaign_id: int) -> CallCampaign:
        """Hands a draft to the call center; a refusal is kept on the campaign and answered 502."""
        principal.require(Permission.SEND_COMMUNICATIONS)
        call_center = self._require_call_center()
        async with self._uow_factory(read_only=True) as uow:
            campaign = await self._load(uow, campaign_id)
            if campaign.status is not CampaignStatus.DRAFT:
                raise Conflict(
                    f"call campaign {campaign_id} is {campaign.status.value}; only a draft is sent"
                )
            contacts = await uow.campaign_contacts.of_campaign(campaign_id)
        order = CampaignOrder(
            campaign_id=campaign_id,
            start=campaign.start_at,
            end=campaign.end_at,
            type_id=campaign.type_id,
            contacts=[
                ContactToCall(id=c.id or 0, phone=c.phone, link=self._link(c.client_id)) for c in contacts
            ],
        )
        try:
            await call_center.send_campaign(order)
        except Exception as error:
            message = str(error)
            await self._change(campaign_id, lambda c: c.refused(error=message, at=self._clock.now()))
            raise
        return await self._change(campaign_id, lambda c: c.sent(at=self._clock.now()))

    async def close(self, principal: Principal, campaign_id: int) -> CallCampaign:
        """Ends a sent campaign before its time (``closeCampaign``)."""
        principal.require(Permission.SEND_COMMUNICATIONS)
        campaign = await self.get(campaign_id)
        if campaign.status is CampaignStatus.SENT:
            await self._require_call_center().close_campaign(campaign_id)
        elif campaign.status is CampaignStatus.CLOSED:
            return campaign
        return await self._change(campaign_id, lambda c: c.close(at=self._clock.now()))

    async def record_call(self, update: CallUpdate) -> bool:
        """One ``updateCampaign``; False when it repeats one already recorded."""
        async with self._uow_factory() as uow:
            campaign = (
                await uow.call_campaigns.get(update.campaign_id) if 0 < update.campaign_id < 2**31 else None
            )
            if campaign is None:
                raise _unknown_campaign(update.campaign_id)
            contact = (
                await uow.campaign_contacts.get(update.contact_id) if 0 < update.contact_id < 2**31 else None
            )
            if contact is None or contact.campaign_id != campaign.id:
                raise ValidationFailed.field(
                    "contact_id", f"contact {update.contact_id} is not in campaign {campaign.id}"
                )
            key = f"ccs:{campaign.id}:{contact.id}:{update.call_id or update.started_at.isoformat()}"
            record = await uow.call_records.by_tracking_id(key)
            if record is not None and _same(record, update):
                return False
            if record is None:
                record = _record(key, update)
                record.communication_id = await self._open(uow, record, contact)
                record = await uow.call_records.add(record)
            else:
                _refresh(record, update, at=self._clock.now())
            await uow.call_records.update(record)
            await self._settle_communication(uow, record, update)
            was_called, was_successful = contact.called, contact.successful
            contact.called = True
            contact.successful = contact.successful or update.status.strip().upper() == ANSWERED
            contact.last_status = update.status
            contact.communication_id = record.communication_id
            contact.update_time = self._clock.now()
            await uow.campaign_contacts.update(contact)
            campaign.contacts_called += int(not was_called)
            campaign.contacts_successful += int(contact.successful and not was_successful)
            campaign.update_time = self._clock.now()
            await uow.call_campaigns.update(campaign)
            await uow.commit()
        return True

    async def finish(self, finish: CampaignFinish) -> CallCampaign:
        """``finishCampaign``: the campaign is closed with the call center's status and totals."""

        def apply(campaign: CallCampaign) -> None:
            campaign.close(at=self._clock.now(), status=finish.status)
            campaign.reported_total = finish.contact_total
            campaign.reported_successful = finish.contact_success

        if not 0 < finish.campaign_id < 2**31:
            raise _unknown_campaign(finish.campaign_id)
        return await self._change(finish.campaign_id, apply, missing=_unknown_campaign(finish.campaign_id))

    # -- internals ------------------------------------------------------------------------------

    def _require_call_center(self) -> CallCenter:
        if self._call_center is None:
            raise Conflict("no call center is configured (CCS_API_URL)")
        return self._call_center

    def _link(self, client_id: int | None) -> str | None:
        return f"{self._link_base}/api/v1/clients/{client_id}" if client_id is not None else None

    @staticmethod
    async def _load(uow: UnitOfWork, campaign_id: int) -> CallCampaign:
        found = await uow.call_campaigns.get(campaign_id) if 0 < campaign_id < 2**31 else None
        if found is None:
            raise NotFound("call campaign", campaign_id)
        return found

    async def _change(
        self, campaign_id: int, change: Callable[[CallCampaign], None], missing: Exception | None = None
    ) -> CallCampaign:
        async with self._uow_factory() as uow:
            campaign = await uow.call_campaigns.get(campaign_id)
            if campaign is None:
                raise missing or NotFound("call campaign", campaign_id)
            change(campaign)
            await uow.call_campaigns.update(campaign)
            await uow.commit()
        return campaign

    async def _open(self, uow: UnitOfWork, record: CallRecord, contact: CampaignContact) -> int | None:
        if self._dictionary is None:
            self._dictionary = await call_dictionary(uow)
        communication = await open_call_communication(
            uow,
            record,
            dictionary=self._dictionary,
            client_id=contact.client_id,
            employee_id=None,
            at=self._clock.now(),
            actor=ACTOR,
        )
        return communication.id

    async def _settle_communication(self, uow: UnitOfWork, record: CallRecord, update: CallUpdate) -> None:
        if record.communication_id is None:
            return
        communication = await uow.communications.get(record.communication_id)
        if communication is None:
            return
        communication.content = call_summary(record)
        if not communication.is_terminal:
            verdict = verdict_of(update.status)
            at = record.released_at or self._clock.now()
            if verdict.status is LifecycleStatus.DONE:
                communication.close(at=at, actor=ACTOR)
            else:
                communication.fail(at=at, actor=ACTOR, reason=verdict.reason or "UNKNOWN")
        await uow.communications.update(communication)


def _record(key: str, update: CallUpdate) -> CallRecord:
    record = CallRecord(
        call_key=key,
        direction=Direction.OUTBOUND,
        create_time=update.started_at,
        update_time=update.started_at,
    )
    _refresh(record, update, at=update.started_at)
    return record


def _refresh(record: CallRecord, update: CallUpdate, *, at: datetime) -> None:
    record.remote_number = update.phone
    record.target_id = update.station
    record.agent = update.agent
    record.station = update.station
    record.started_at = update.started_at
    record.answered_at = update.answered_at
    record.released_at = update.ended_at
    record.talk_seconds = update.duration
    record.ring_seconds = update.ring_time
    record.recording_url = update.recording_url
    record.release_cause = update.status
    record.external_call_id = update.call_id
    record.update_time = at


def _same(record: CallRecord, update: CallUpdate) -> bool:
    probe = CallRecord(
        call_key=record.call_key,
        direction=record.direction,
        create_time=record.create_time,
        update_time=record.update_time,
    )
    _refresh(probe, update, at=record.update_time)
    fields = ("remote_number", "agent", "station", "started_at", "answered_at", "released_at", "talk_seconds",
              "ring_seconds", "recording_url", "release_cause", "external_call_id")  # fmt: skip
    return all(getattr(probe, f) == getattr(record, f) for f in fields)
