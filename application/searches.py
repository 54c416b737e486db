"""The searchable fields of every aggregate: what a use case may filter, find or count by.

A ``Field`` names an attribute of the entity (checked when this module loads); a ``Relation`` is
kept by storage beside the entity (a client's phones and groups, a user's roles) and supports
``eq`` and ``in``; a ``Derived`` field is a list filter the use case rewrites into storage conditions
before storage sees it (a client's project given by code, a booking that is active now).
"""

from __future__ import annotations

from datetime import date, datetime

from application.queries import Field, Fields, Relation
from domain.clients import (
    Booking,
    BookingState,
    BookingStatusType,
    ChannelBlock,
    Client,
    ClientGroup,
    Project,
)
from domain.communications import (
    Communication,
    CommunicationKind,
    DeliveryStatus,
    Direction,
    IdTranslation,
    LifecycleStatus,
)
from domain.dictionaries import Channel, ChannelKind, CommunicationType, Document, DocumentKind
from domain.organisation import Company, Department, Employee, Role, ServiceAccount
from domain.providers import Provider, ProviderKind
from domain.push import PushSubscription
from domain.rules import Rule
from domain.telegram import TelegramLink
from domain.webhooks import DeliveryState, EventType, WebhookDelivery, WebhookSubscription


class Derived(Relation[object]):
    """A list filter the use case resolves into storage conditions (storage never sees it)."""

    __slots__ = ()


class CompanyFields(Fields):
    entity = Company
    id = Field[int]()
    name = Field[str]()
    code = Field[str]()


class DepartmentFields(Fields):
    entity = Department
    id = Field[int]()
    name = Field[str]()
    code = Field[str]()
    company_id = Field[int]()
    parent_id = Field[int]()


class RoleFields(Fields):
    entity = Role
    id = Field[int]()
    name = Field[str]()
    description = Field[str]()


class EmployeeFields(Fields):
    entity = Employee
    id = Field[int]()
    login = Field[str]()
    active = Field[bool]()
    first_name = Field[str]()
    last_name = Field[str]()
    middle_name = Field[str]()
    email = Field[str]()
    phone = Field[str]()
    department_id = Field[int]()
    extension = Field[str]()
    role_id = Relation[int]()
    """The employee holds this role."""


class ServiceAccountFields(Fields):
    entity = ServiceAccount
    id = Field[int]()
    login = Field[str]()
    active = Field[bool]()
    name = Field[str]()
    role_id = Relation[int]()
    """The service account holds this role."""


class ProjectFields(Fields):
    entity = Project
    id = Field[int]()
    name = Field[str]()
    code = Field[str]()


class ClientFields(Fields):
    entity = Client
    id = Field[int]()
    create_time = Field[datetime]()
    birth_date = Field[date]()
    first_name = Field[str]()
    last_name = Field[str]()
    middle_name = Field[str]()
    email = Field[str]()
    guid = Field[str]()
    available = Field[bool]()
    project_id = Field[int]()
    time_zone = Field[str]()
    """The client's IANA zone; null: the department's zone applies."""
    phone = Relation[str]()
    """One of the client's phones (E.164)."""
    group_id = Relation[int]()
    """The client is a member of this group."""
    tag = Relation[str]()
    """One of the client's tags."""
    project = Derived()
    """The client's project given by id or code (resolved by the use case)."""


class ClientGroupFields(Fields):
    entity = ClientGroup
    id = Field[int]()
    name = Field[str]()
    description = Field[str]()


class PushSubscriptionFields(Fields):
    entity = PushSubscription
    id = Field[int]()
    client_id = Field[int]()
    endpoint = Field[str]()


class TelegramLinkFields(Fields):
    entity = TelegramLink
    id = Field[int]()
    client_id = Field[int]()
    code = Field[str]()
    chat_id = Field[str]()


class ChannelBlockFields(Fields):
    entity = ChannelBlock
    id = Field[int]()
    client_id = Field[int]()
    channel_id = Field[int]()
    until = Field[datetime]()
    reason = Field[str]()
    active = Derived()
    """True: in force now; false: run out (resolved against the clock)."""


class BookingStatusFields(Fields):
    entity = BookingStatusType
    id = Field[int]()
    code = Field[BookingState]()
    name = Field[str]()


class BookingFields(Fields):
    entity = Booking
    id = Field[int]()
    client_id = Field[int]()
    before_date = Field[datetime]()
    status = Field[BookingState]()
    name = Field[str]()
    department_id = Field[int]()
    employee_id = Field[int]()
    active = Derived()
    """True: holding its client now (resolved against the clock)."""


class CommunicationTypeFields(Fields):
    entity = CommunicationType
    id = Field[int]()
    name = Field[str]()
    code = Field[str]()
    description = Field[str]()
    active = Field[bool]()


class ChannelFields(Fields):
    entity = Channel
    id = Field[int]()
    name = Field[str]()
    code = Field[str]()
    description = Field[str]()
    kind = Field[ChannelKind]()
    active = Field[bool]()
    dispatchable = Field[bool]()


class DocumentFields(Fields):
    entity = Document
    id = Field[int]()
    name = Field[str]()
    subject = Field[str]()
    kind = Field[DocumentKind]()
    locale = Field[str]()


class RuleFields(Fields):
    entity = Rule
    id = Field[int]()
    name = Field[str]()
    department_id = Field[int]()
    active = Field[bool]()


class CommunicationFields(Fields):
    entity = Communication
    id = Field[int]()
    uuid = Field[str]()
    type_id = Field[int]()
    channel_id = Field[int]()
    status = Field[LifecycleStatus]()
    delivery_status = Field[DeliveryStatus]()
    client_id = Field[int]()
    employee_id = Field[int]()
    department_id = Field[int]()
    project_id = Field[int]()
    mailing_id = Field[int]()
    document_id = Field[int]()
    direction = Field[Direction]()
    kind = Field[CommunicationKind]()
    create_time = Field[datetime]()
    scheduled_at = Field[datetime]()
    result = Field[str]()
    provider_message_id = Field[str]()
    client_group_id = Relation[int]()
    """The communication's client is a member of this group."""


class IdTranslationFields(Fields):
    entity = IdTranslation
    id = Field[int]()
    communication_id = Field[int]()
    system = Field[str]()
    external_id = Field[str]()


class ProviderFields(Fields):
    entity = Provider
    id = Field[int]()
    name = Field[str]()
    kind = Field[ProviderKind]()
    channel_kind = Field[ChannelKind]()
    priority = Field[int]()
    active = Field[bool]()


class WebhookSubscriptionFields(Fields):
    entity = WebhookSubscription
    id = Field[int]()
    url = Field[str]()
    active = Field[bool]()


class WebhookDeliveryFields(Fields):
    entity = WebhookDelivery
    id = Field[int]()
    subscription_id = Field[int]()
    event_type = Field[EventType]()
    state = Field[DeliveryState]()
    next_attempt_at = Field[datetime]()
    create_time = Field[datetime]()
