"""Providers on /api/v1: configuration in (secrets write-only), masked configuration and circuits out."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

import msgspec
from msgspec import UNSET, UnsetType

from application.providers.catalog import TestMessage, TestOutcome
from application.providers.router import ProviderState
from domain.dictionaries import ChannelKind
from domain.providers import Provider, ProviderKind
from entrypoints.http.schemas.common import In, Out
from entrypoints.http.schemas.times import SeedTime, Timestamp, answer
from entrypoints.http.wire_names import camel

ProviderName = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
Options = Annotated[dict[str, Annotated[str, msgspec.Meta(max_length=2048)]], msgspec.Meta(max_length=20)]
Priority = Annotated[int, msgspec.Meta(ge=0, le=1000)]
Rate = Annotated[float, msgspec.Meta(gt=0, le=100_000)]


def snake_keys(values: dict[str, str]) -> dict[str, str]:
    """``accountSid`` -> ``account_sid``: the API's names for the settings the domain knows."""
    return {"".join(f"_{c.lower()}" if c.isupper() else c for c in k): v for k, v in values.items()}


def camel_keys(values: dict[str, str]) -> dict[str, str]:
    return {camel(k): v for k, v in values.items()}


class ProviderIn(In):
    converters: ClassVar[dict[str, Any]] = {"settings": snake_keys, "secrets": snake_keys}

    name: ProviderName
    kind: ProviderKind
    channel_kind: ChannelKind
    settings: Options = msgspec.field(default_factory=dict)
    secrets: Options = msgspec.field(default_factory=dict)
    """Write-only: answers show them masked."""
    priority: Priority = 0
    rate_limit: Rate | None = None
    active: bool = True


class ProviderPatch(In):
    converters: ClassVar[dict[str, Any]] = {"settings": snake_keys, "secrets": snake_keys}

    name: ProviderName | UnsetType = UNSET
    kind: ProviderKind | UnsetType = UNSET
    channel_kind: ChannelKind | UnsetType = UNSET
    settings: Options | UnsetType = UNSET
    secrets: Options | UnsetType = UNSET
    """Secrets named replace the kept ones; an empty value removes one; those left out stay."""
    priority: Priority | UnsetType = UNSET
    rate_limit: Rate | None | UnsetType = UNSET
    active: bool | UnsetType = UNSET


class ProviderOut(Out):
    id: int
    name: str
    kind: ProviderKind
    channel_kind: ChannelKind
    settings: dict[str, str]
    secrets: dict[str, str]
    """Masked: ``****`` and at most the last four characters."""
    priority: int
    rate_limit: float | None
    active: bool
    create_time: Timestamp
    update_time: Timestamp


def provider_out(p: Provider) -> ProviderOut:
    # By hand: settings and secrets go out camelCase, the secrets masked.
    return ProviderOut(
        id=p.id or 0,
        name=p.name,
        kind=p.kind,
        channel_kind=p.channel_kind,
        settings=camel_keys(p.settings),
        secrets=camel_keys(p.masked_secrets),
        priority=p.priority,
        rate_limit=p.rate_limit,
        active=p.active,
        create_time=SeedTime(p.create_time),
        update_time=SeedTime(p.update_time),
    )


class TestIn(In):
    to: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=1600)] = "Switchboard test message"

    def to_command(self) -> TestMessage:
        return TestMessage(to=self.to, text=self.text)


class TestOut(Out):
    provider: str
    outcome: str
    """``sent``, ``rejected`` (a final no for this address) or ``retry`` (the provider failed)."""
    provider_message_id: str | None
    reason: str | None


def test_out(outcome: TestOutcome) -> TestOut:
    return answer(outcome, TestOut)


class CircuitOut(Out):
    provider: str
    channel_kind: ChannelKind
    priority: int
    circuit: str
    """``closed``, ``open`` (paused for ``openForSeconds``) or ``half_open`` (one probe may try)."""
    consecutive_failures: int
    open_for_seconds: float
    last_failure: str | None
    sent: int
    rejected: int
    failed: int


class CircuitsOut(Out):
    items: list[CircuitOut]


def circuits_out(states: list[ProviderState]) -> CircuitsOut:
    return CircuitsOut(items=[answer(s, CircuitOut) for s in states])
