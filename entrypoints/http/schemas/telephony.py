"""Telephony answers and requests: missed-call cards, their report, PBX subscriptions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from application.telephony.campaigns import NewCampaign
from application.telephony.missed_call_report import MissedCallReport
from application.telephony.missed_calls import EditMissedCall
from application.telephony.subscriptions import MAX_EXPIRES, MIN_EXPIRES, NewSubscription, SubscriptionList
from domain.telephony.missed_calls import MissedCallStatus
from domain.telephony.subscriptions import PbxSubscription, SubscriptionType
from entrypoints.http.schemas.common import Id, In, Out, aware
from entrypoints.http.schemas.times import SeedTime, Timestamp, answer, seed_time


class MissedCallOut(Out):
    id: int
    phone: str
    client_id: int | None
    client_name: str | None
    status: MissedCallStatus
    result: str | None
    calls: int
    first_call_at: Timestamp
    last_call_at: Timestamp
    called_back_by: int | None
    called_back_at: Timestamp | None


class MissedCallPageOut(Out):
    items: list[MissedCallOut]
    total: int


Result = Annotated[str, msgspec.Meta(max_length=10_000)]


class MissedCallPatch(In):
    """The card form's Save (seed 004 §2.4-2.5)."""

    status: MissedCallStatus
    result: Result | None = None

    def to_command(self) -> EditMissedCall:
        return EditMissedCall(status=self.status, result=self.result)


class ReportGroupOut(Out):
    key: str
    label: str | None
    cards: int
    calls: int
    called_back: int


class MissedCallReportOut(Out):
    date_from: Timestamp = msgspec.field(name="from")
    date_to: Timestamp = msgspec.field(name="to")
    group_by: str | None
    total_cards: int
    total_calls: int
    groups: list[ReportGroupOut]
    items: list[MissedCallOut]


def report_out(report: MissedCallReport) -> MissedCallReportOut:
    # By hand: the period is since/until in the report, from/to on the wire.
    return MissedCallReportOut(
        date_from=SeedTime(report.since),
        date_to=SeedTime(report.until),
        group_by=report.group_by.value if report.group_by else None,
        total_cards=report.total_cards,
        total_calls=report.total_calls,
        groups=[answer(g, ReportGroupOut) for g in report.groups],
        items=[answer(v, MissedCallOut) for v in report.items],
    )


Expires = Annotated[int, msgspec.Meta(ge=MIN_EXPIRES, le=MAX_EXPIRES, description="seconds asked for")]


class SubscriptionIn(In):
    """Seed 004's PUT /subscription fields; the url is Switchboard's own webhook."""

    pattern: Annotated[str, msgspec.Meta(min_length=1, max_length=255)] | None = None
    expires: Expires = 3600
    subscription_type: SubscriptionType = SubscriptionType.BASIC_CALL

    def to_command(self) -> NewSubscription:
        return NewSubscription(
            pattern=self.pattern, expires=self.expires, subscription_type=self.subscription_type
        )


class SubscriptionOut(Out):
    id: int
    pattern: str | None
    subscription_type: str
    requested_expires: int
    expires: int | None
    """Seconds the PBX granted."""
    expires_at: Timestamp | None
    subscription_id: str | None
    url: str
    state: str
    last_error: str | None
    create_time: Timestamp
    update_time: Timestamp


def subscription_out(s: PbxSubscription) -> SubscriptionOut:
    # By hand: the answer's expires is what the PBX granted (granted_expires).
    return SubscriptionOut(
        id=s.id or 0,
        pattern=s.pattern,
        subscription_type=s.subscription_type.value,
        requested_expires=s.requested_expires,
        expires=s.granted_expires,
        expires_at=seed_time(s.expires_at),
        subscription_id=s.subscription_id,
        url=s.url,
        state=s.state.value,
        last_error=s.last_error,
        create_time=SeedTime(s.create_time),
        update_time=SeedTime(s.update_time),
    )


class SubscriptionsOut(Out):
    webhook_url: str
    webhook_token: str
    items: list[SubscriptionOut]


def subscriptions_out(listing: SubscriptionList) -> SubscriptionsOut:
    return SubscriptionsOut(
        webhook_url=listing.webhook_url,
        webhook_token=listing.webhook_token,
        items=[subscription_out(s) for s in listing.items],
    )


class CallPhoneIn(In):
    employee_id: Id | None = None


class CallPlacedOut(Out):
    communication_uuid: str
    employee_id: int
    extension: str
    phone: str
    adapter: str
    call_id: str | None


class FinishCampaignIn(msgspec.Struct, kw_only=True, frozen=True):
    """Seed 003 ``finishCampaign``, field for field."""

    campaignid: int
    status: str
    contact_total: int
    contact_success: int


class UpdateCampaignIn(msgspec.Struct, kw_only=True, frozen=True):
    """Seed 003 ``updateCampaign``, field for field; times are ``%Y-%m-%d %H:%M:%S``."""

    campaignid: int
    contact_id: int
    phonenumber: str
    status: str
    starttime: str
    agentcode: str | None = None
    station_id: str | None = None
    answertime: str | None = None
    endtime: str | None = None
    duration: int | None = None
    ringtime: int | None = None
    link_down_record: str | None = None
    callid: str | None = None


class CampaignIn(In):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
    start_at: datetime
    end_at: datetime
    type_id: Id | None = None
    client_group_id: Id | None = None
    client_ids: list[Id] = msgspec.field(default_factory=list)

    def to_command(self) -> NewCampaign:
        return NewCampaign(
            name=self.name,
            start_at=aware(self.start_at),
            end_at=aware(self.end_at),
            type_id=self.type_id,
            client_group_id=self.client_group_id,
            client_ids=tuple(self.client_ids),
        )


class CampaignOut(Out):
    id: int
    name: str
    status: str
    start_at: Timestamp
    end_at: Timestamp
    type_id: int | None
    client_group_id: int | None
    contacts_total: int
    contacts_called: int
    contacts_successful: int
    finish_status: str | None
    reported_total: int | None
    reported_successful: int | None
    sent_at: Timestamp | None
    closed_at: Timestamp | None
    last_error: str | None
    create_time: Timestamp
    update_time: Timestamp


class CampaignPageOut(Out):
    items: list[CampaignOut]
    total: int
