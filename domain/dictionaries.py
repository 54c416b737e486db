"""Editable dictionaries: communication types, channels, documents, and their defaults."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.entity import Entity, Problems


@dataclass(eq=False, kw_only=True)
class CommunicationType(Entity):
    name: str
    code: str
    description: str | None = None
    active: bool = True

    def __post_init__(self) -> None:
        problems = Problems()
        problems.text("name", self.name)
        problems.text("code", self.code, max_length=64)
        problems.raise_if_any()


class ChannelKind(StrEnum):
    """What a channel needs from the client and which provider family can send on it."""

    SMS = "sms"
    EMAIL = "email"
    PUSH = "push"
    MESSENGER = "messenger"
    SOCIAL = "social"
    CALL = "call"
    VISIT = "visit"
    WEBSITE = "website"
    MOBILE_APP = "mobile_app"
    OTHER = "other"


@dataclass(eq=False, kw_only=True)
class Channel(Entity):
    name: str
    code: str
    kind: ChannelKind
    description: str | None = None
    dispatchable: bool = False
    """Whether a provider adapter sends on it; calls and visits are only recorded."""
    active: bool = True

    def __post_init__(self) -> None:
        problems = Problems()
        problems.text("name", self.name)
        problems.text("code", self.code, max_length=64)
        problems.raise_if_any()


class DocumentKind(StrEnum):
    TEXT = "text"
    EMAIL_TEMPLATE = "email_template"
    AUDIO = "audio"
    VIDEO = "video"
    FILE = "file"


@dataclass(eq=False, kw_only=True)
class Document(Entity):
    """Content of communications: a body with variables, or a link to media."""

    name: str
    kind: DocumentKind = DocumentKind.TEXT
    subject: str | None = None
    body: str | None = None
    media_url: str | None = None
    locale: str | None = None

    def __post_init__(self) -> None:
        problems = Problems()
        problems.text("name", self.name)
        problems.text("body", self.body, required=False, max_length=100_000)
        if self.kind in (DocumentKind.TEXT, DocumentKind.EMAIL_TEMPLATE) and not (self.body or "").strip():
            problems.add("body", f"a {self.kind.value} document needs a body")
        if self.kind in (DocumentKind.AUDIO, DocumentKind.VIDEO, DocumentKind.FILE) and not self.media_url:
            problems.add("media_url", f"a {self.kind.value} document needs a media URL")
        problems.raise_if_any()


@dataclass(frozen=True)
class DictionaryEntry:
    code: str
    name: str
    description: str


DEFAULT_COMMUNICATION_TYPES: tuple[DictionaryEntry, ...] = (
    DictionaryEntry("mass", "Массовая коммуникация", "Используется для массовой коммуникации с клиентами"),
    DictionaryEntry(
        "personal", "Персональная коммуникация", "Используется для персональной коммуникации с клиентом"
    ),
    DictionaryEntry(
        "informational", "Информационная коммуникация", "Используется для информирования клиентов"
    ),
    DictionaryEntry("survey", "Опрос", "Используется для опроса настроений клиента"),
    DictionaryEntry(
        "commercial_survey",
        "Коммерческий опрос",
        "Используется для опроса настроений клиента с коммерческой целью",
    ),
    DictionaryEntry(
        "service", "Сервисная коммуникация", "Используется для сервисной коммуникации с клиентами"
    ),
)


@dataclass(frozen=True)
class DefaultChannel:
    entry: DictionaryEntry
    kind: ChannelKind
    dispatchable: bool


DEFAULT_CHANNELS: tuple[DefaultChannel, ...] = (
    DefaultChannel(
        DictionaryEntry("sms", "SMS", "Отправка короткого текстового сообщения на телефон клиента"),
        ChannelKind.SMS,
        True,
    ),
    DefaultChannel(
        DictionaryEntry(
            "messenger", "Messenger", "Отправка короткого текстового сообщение в Messenger клиента"
        ),
        ChannelKind.MESSENGER,
        True,
    ),
    DefaultChannel(
        DictionaryEntry("email", "Email", "Отправка электронного письма"), ChannelKind.EMAIL, True
    ),
    DefaultChannel(DictionaryEntry("push", "Push", "Отправка PUSH сообщения"), ChannelKind.PUSH, True),
    DefaultChannel(
        DictionaryEntry("social", "Социальные сети", "Сообщение в социальной сети клиента"),
        ChannelKind.SOCIAL,
        False,
    ),
    DefaultChannel(
        DictionaryEntry("call", "Звонок", "Телефонный звонок клиенту или от клиента"), ChannelKind.CALL, False
    ),
    DefaultChannel(DictionaryEntry("visit", "Визит", "Визит клиента"), ChannelKind.VISIT, False),
    DefaultChannel(
        DictionaryEntry("website_request", "Заявка на сайте", "Заявка клиента на сайте"),
        ChannelKind.WEBSITE,
        False,
    ),
    DefaultChannel(
        DictionaryEntry(
            "mobile_app_request", "Заявка в мобильном приложении", "Заявка клиента в мобильном приложении"
        ),
        ChannelKind.MOBILE_APP,
        False,
    ),
)

DEFAULT_BOOKING_STATUSES: tuple[DictionaryEntry, ...] = (
    DictionaryEntry("booked", "Забронирован", "Забронирован на весь лимит времени."),
    DictionaryEntry("released", "Освобождён", "Бронирование снято до срока."),
    DictionaryEntry("expired", "Истёк", "Срок бронирования истёк."),
)
