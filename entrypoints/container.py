"""The composition root: the only place where a port meets its adapter."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from dependency_injector import containers, providers

from adapters.logins import PrecisLoginRules
from adapters.memory.live_feed import InProcessEventBus
from adapters.memory.unit_of_work import MemoryUnitOfWorkFactory
from adapters.phones import LibPhoneNumberParser
from adapters.sandbox.sender import SandboxSender
from adapters.schedules.cron import CroniterCalendar
from adapters.security import Argon2PasswordHasher
from adapters.sqlalchemy.engine import create_engine
from adapters.sqlalchemy.events import PgEventBus
from adapters.sqlalchemy.unit_of_work import SqlUnitOfWorkFactory
from adapters.system import SystemClock
from adapters.templates.jinja import JinjaRenderer
from application.authentication import Authenticate, CredentialCache, LoginThrottle, ThrottlePolicy
from application.bootstrap import Bootstrap
from application.clients import Availability, Bookings, ChannelBlocks, ClientGroups, Clients, Projects
from application.communications.bulk import BulkStatusUpdate
from application.communications.recording import Communications, random_uuid
from application.communications.translations import IdTranslations
from application.decisions.explain import SendDecisions
from application.decisions.importing import ImportHistory
from application.decisions.recommend import Recommendations
from application.decisions.statistics import Statistics
from application.decisions.surveys import SurveyResponses
from application.dictionaries import Channels, CommunicationTypes, Documents, Rules
from application.events.ports import EventBus
from application.events.stream import EventStream
from application.mailings.mailings import Mailings
from application.mailings.scheduler import MailingScheduler
from application.organisation import Companies, Departments, Employees, Roles, ServiceAccounts
from application.sending.fallback import ChannelFallback
from application.sending.materialise import InBackground, Materialiser
from application.sending.ports import ChannelSender
from application.sending.push import PushSubscriptions
from application.sending.refresh import DeliveryRefresh
from application.sending.reports import DeliveryReports
from application.sending.send import EmailIdentity, SendMessages
from application.sending.unsubscribe import UnsubscribeTokens
from application.sending.unsubscribing import Unsubscribe
from domain.decisions import DecisionSettings
from entrypoints.provider_settings import ProviderSettings
from entrypoints.providers_container import ProvidersContainer
from entrypoints.push_settings import PushSettings
from entrypoints.push_wiring import vapid_key_source
from entrypoints.secrets import secret_key, secret_sealer
from entrypoints.settings import Settings
from entrypoints.telephony_container import TelephonyContainer


class Core(containers.DeclarativeContainer):
    """Adapters that are not storage: clock, password hashing, phone numbers."""

    config = providers.Configuration()
    clock = providers.Singleton(SystemClock)
    hasher = providers.Singleton(Argon2PasswordHasher)
    phones = providers.Singleton(LibPhoneNumberParser, default_region=config.phone_region)
    logins = providers.Singleton(PrecisLoginRules)
    renderer = providers.Singleton(JinjaRenderer)
    sandbox = providers.Singleton(SandboxSender, clock)
    cron = providers.Singleton(CroniterCalendar)


def event_bus(database_url: str) -> EventBus:
    """The events doorbell: LISTEN/NOTIFY on PostgreSQL (several processes), in-process on SQLite."""
    local = InProcessEventBus()
    if database_url.startswith(("postgresql", "postgres")):
        return PgEventBus(database_url, local)
    return local


def polling_senders(sandbox: SandboxSender) -> list[ChannelSender]:
    """The configured providers, once each, for delivery refresh (the worker's choice of provider)."""
    from entrypoints.worker import senders

    return list({id(s): s for s in senders(sandbox, dict(os.environ)).values()}.values())


class SqlStorage(containers.DeclarativeContainer):
    config = providers.Configuration()
    engine = providers.Singleton(create_engine, config.database_url, pool_size=config.database_pool_size)
    events_bus = providers.Singleton(event_bus, config.database_url)
    sealer = providers.Singleton(secret_sealer, config.secret_key, config.previous_secret_keys)
    uow_factory = providers.Singleton(SqlUnitOfWorkFactory, engine, events_bus, sealer)


class MemoryStorage(containers.DeclarativeContainer):
    engine: providers.Provider[Any] = providers.Object(None)
    events_bus = providers.Singleton(InProcessEventBus)
    uow_factory = providers.Singleton(MemoryUnitOfWorkFactory, bus=events_bus)


class UseCases(containers.DeclarativeContainer):
    config = providers.Configuration()
    core = providers.DependenciesContainer()
    storage = providers.DependenciesContainer()

    uow = storage.uow_factory
    clock = core.clock

    credential_cache = providers.Singleton(CredentialCache, clock)
    login_throttle = providers.Singleton(
        LoginThrottle,
        clock,
        providers.Factory(
            ThrottlePolicy,
            max_failures=config.login_failures_per_minute,
            max_failures_per_source=config.login_failures_per_source_per_minute,
            max_failures_per_login=config.login_failures_per_login_per_minute,
            window=timedelta(minutes=1),
        ),
    )
    authenticate = providers.Singleton(Authenticate, uow, core.hasher, login_throttle, credential_cache)
    bootstrap = providers.Singleton(Bootstrap, uow, clock, core.hasher)

    companies = providers.Singleton(Companies, uow, clock)
    departments = providers.Singleton(Departments, uow, clock)
    roles = providers.Singleton(Roles, uow, clock, credential_cache)
    employees = providers.Singleton(Employees, uow, clock, core.hasher, credential_cache, core.logins)
    service_accounts = providers.Singleton(
        ServiceAccounts, uow, clock, core.hasher, credential_cache, core.logins
    )
    communications = providers.Singleton(Communications, uow, clock)
    bulk_status_update = providers.Singleton(BulkStatusUpdate, uow, clock)
    id_translations = providers.Singleton(IdTranslations, uow, clock)
    projects = providers.Singleton(Projects, uow, clock)
    clients = providers.Singleton(Clients, uow, clock, core.phones)
    client_groups = providers.Singleton(ClientGroups, uow, clock)
    channel_blocks = providers.Singleton(ChannelBlocks, uow, clock)
    bookings = providers.Singleton(Bookings, uow, clock)
    availability = providers.Singleton(Availability, uow, clock)
    communication_types = providers.Singleton(CommunicationTypes, uow, clock)
    channels = providers.Singleton(Channels, uow, clock)
    documents = providers.Singleton(Documents, uow, clock)
    rules = providers.Singleton(Rules, uow, clock)
    recommendations = providers.Singleton(Recommendations, uow, clock, clients)
    import_history = providers.Singleton(ImportHistory, uow, clock)
    statistics = providers.Singleton(Statistics, uow, clock)
    survey_responses = providers.Singleton(SurveyResponses, uow)
    send_decisions = providers.Singleton(SendDecisions, uow)
    email_identity = providers.Singleton(
        EmailIdentity,
        public_url=config.public_url,
        message_id_domain=config.message_id_domain,
        tokens=providers.Singleton(UnsubscribeTokens, config.secret_key),
    )
    unsubscribe = providers.Singleton(Unsubscribe, uow, clock, email_identity.provided.tokens)
    push_subscriptions = providers.Singleton(PushSubscriptions, uow, clock)
    decision_settings = providers.Singleton(
        DecisionSettings, exploration_share=config.exploration_share, holdout_share=config.holdout_share
    )
    materialiser = providers.Singleton(Materialiser, uow, clock, core.renderer, email_identity)
    # Started in the accepting process right after a bulk send's answer; workers run it as a job too.
    background_materialiser = providers.Singleton(InBackground, materialiser)
    send_messages = providers.Singleton(
        SendMessages,
        uow,
        clock,
        core.renderer,
        email_identity,
        random_uuid,
        decisions=decision_settings,
        pending_stored=background_materialiser.provided.ring,
    )
    channel_fallback = providers.Singleton(ChannelFallback, email_identity, random_uuid)
    event_stream = providers.Singleton(EventStream, uow, storage.events_bus)
    delivery_refresh = providers.Singleton(
        DeliveryRefresh,
        uow,
        providers.Singleton(polling_senders, core.sandbox),
        providers.Singleton(DeliveryReports, uow, clock, providers.List(), channel_fallback),
    )
    mailings = providers.Singleton(Mailings, uow, clock, core.cron)
    mailing_scheduler = providers.Singleton(MailingScheduler, uow, clock, core.cron, send_messages)


class Container(containers.DeclarativeContainer):
    config = providers.Configuration()
    core = providers.Container(Core, config=config)
    storage = providers.Container(SqlStorage, config=config)
    use_cases = providers.Container(UseCases, config=config, core=core, storage=storage)
    telephony_settings: providers.Provider[Any] = providers.Object(None)
    telephony = providers.Container(
        TelephonyContainer,
        settings=telephony_settings,
        public_url=config.public_url,
        core=core,
        storage=storage,
    )
    provider_settings: providers.Provider[Any] = providers.Object(ProviderSettings())
    push_settings: providers.Provider[Any] = providers.Object(PushSettings())
    delivery = providers.Container(
        ProvidersContainer,
        settings=provider_settings,
        push_settings=push_settings,
        public_url=config.public_url,
        core=core,
        storage=storage,
        fallback=use_cases.channel_fallback,
    )
    vapid_key = providers.Singleton(vapid_key_source, storage.uow_factory, push_settings, core.clock)


def build_container(settings: Settings) -> Container:
    container = Container()
    container.config.from_dict(
        {
            "database_url": settings.database_url,
            "phone_region": settings.phone_region,
            "login_failures_per_minute": settings.login_failures_per_minute,
            "login_failures_per_source_per_minute": settings.login_failures_per_source_per_minute,
            "login_failures_per_login_per_minute": settings.login_failures_per_login_per_minute,
            "database_pool_size": settings.database_pool_size,
            "public_url": settings.base_url,
            "message_id_domain": settings.message_id_domain,
            "secret_key": secret_key(settings),
            "previous_secret_keys": settings.previous_secret_keys,
            "exploration_share": settings.exploration_share,
            "holdout_share": settings.holdout_share,
        }
    )
    container.telephony_settings.override(providers.Object(settings.telephony))
    container.provider_settings.override(providers.Object(settings.providers))
    container.push_settings.override(providers.Object(settings.push))
    if settings.storage == "memory":
        container.storage.override(providers.Container(MemoryStorage))
    return container
