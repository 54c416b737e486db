"""The telephony part of the composition root: the PBX, click-to-call, the call center, use cases."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dependency_injector import containers, providers

from adapters.asterisk.ari import AsteriskAri
from adapters.beeline.api import BeelinePbx
from adapters.callcenter.ccs import CallCenterService
from adapters.memory.live_feed import Doorbell, InProcessFeed
from application.telephony.campaigns import CallCampaigns
from application.telephony.click_to_call import ClickToCall
from application.telephony.inbox import EventInbox, InboxProcessor, SeenEventsRetention
from application.telephony.missed_call_report import MissedCallReports
from application.telephony.missed_calls import MissedCalls
from application.telephony.pbx_events import PbxEvents
from application.telephony.subscriptions import PbxSubscriptionService, WebhookToken
from entrypoints.settings import TelephonySettings


def beeline(settings: TelephonySettings) -> BeelinePbx | None:
    if not settings.beeline_api_token:
        return None
    return BeelinePbx(settings.beeline_api_token, settings.beeline_api_url)


def click_to_call(settings: TelephonySettings) -> Any:
    chosen = settings.click_to_call_adapter
    if chosen == "beeline":
        return beeline(settings)
    if chosen == "asterisk" and settings.asterisk_ari_url:
        return AsteriskAri(
            settings.asterisk_ari_url,
            settings.asterisk_ari_user,
            settings.asterisk_ari_password,
            context=settings.asterisk_context,
            technology=settings.asterisk_technology,
            caller_id=settings.asterisk_caller_id,
        )
    return None


def call_center(settings: TelephonySettings) -> CallCenterService | None:
    if not settings.ccs_api_url:
        return None
    return CallCenterService(settings.ccs_api_url, time_zone=ZoneInfo(settings.ccs_time_zone))


def inbox_writers(engine: Any) -> int:
    """Concurrent inbox commits: several only where the database takes concurrent writers."""
    return 4 if engine is not None and engine.dialect.name == "postgresql" else 1


def seen_window(settings: TelephonySettings) -> timedelta:
    return timedelta(days=settings.pbx_seen_events_days)


class TelephonyContainer(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=TelephonySettings)
    public_url = providers.Dependency(instance_of=str)
    """The server's public base address (``PUBLIC_URL``), the one every link Switchboard hands out uses."""
    core = providers.DependenciesContainer()
    storage = providers.DependenciesContainer()

    uow = storage.uow_factory
    clock = core.clock

    feed = providers.Singleton(InProcessFeed)
    doorbell = providers.Singleton(Doorbell)
    pbx = providers.Singleton(beeline, settings)
    telephony = providers.Singleton(click_to_call, settings)
    call_center = providers.Singleton(call_center, settings)

    webhook_token = providers.Singleton(WebhookToken, uow, settings.provided.beeline_webhook_token)
    pbx_events = providers.Singleton(PbxEvents, uow, clock, core.phones, feed, doorbell)
    inbox_writers = providers.Callable(inbox_writers, storage.engine)
    event_inbox = providers.Singleton(EventInbox, uow, clock, writers=inbox_writers)
    inbox_processor = providers.Singleton(
        InboxProcessor, uow, pbx_events, batch=settings.provided.pbx_inbox_batch
    )
    seen_events_retention = providers.Singleton(
        SeenEventsRetention, uow, clock, window=providers.Factory(seen_window, settings)
    )
    missed_calls = providers.Singleton(MissedCalls, uow, clock, feed)
    missed_call_reports = providers.Singleton(MissedCallReports, uow)
    click_to_call = providers.Singleton(ClickToCall, uow, clock, telephony)
    call_campaigns = providers.Singleton(CallCampaigns, uow, clock, call_center, public_url)
    pbx_subscriptions = providers.Singleton(
        PbxSubscriptionService, uow, clock, pbx, webhook_token, public_url
    )
