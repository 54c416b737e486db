"""A provider's circuit breaker: closed, open for a cool-down after repeated failures, half-open probe.

Times are seconds on a monotonic scale the caller passes in (no clock reads here). A transient failure
counts; a success, or a final rejection of one message (the provider answered, the message was bad),
resets the count, unless the call began before the circuit last opened: such an answer tells about
the provider before it failed, so it neither closes the circuit nor frees the half-open probe's slot
(only the probe's own answer does). A provider that asked us to wait (429 with ``Retry-After``) is
paused for that long at once, whatever the count.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from domain.dictionaries import ChannelKind
from domain.entity import Entity, Problems


class CircuitState(StrEnum):
    CLOSED = "closed"
    """Messages go through."""
    OPEN = "open"
    """Paused until the cool-down ends; the channel's other providers carry the load."""
    HALF_OPEN = "half_open"
    """The cool-down is over: one probe message may try; its outcome closes or reopens the circuit."""


@dataclass(kw_only=True)
class CircuitBreaker:
    failures_to_open: int = 5
    cooldown: float = 30.0
    state: CircuitState = CircuitState.CLOSED
    consecutive_failures: int = 0
    open_until: float = 0.0
    opened_at: float = -math.inf
    """When the circuit last opened: answers to calls begun before then are stale."""
    probing: bool = False
    last_failure: str | None = None
    opened_count: int = 0

    def __post_init__(self) -> None:
        if self.failures_to_open < 1 or self.cooldown < 0:
            raise ValueError("a circuit breaker opens after at least one failure, with a cool-down >= 0")

    def allows(self, now: float) -> bool:
        """Whether a message may try this provider now (taking the half-open probe slot if so)."""
        if self.state is CircuitState.CLOSED:
            return True
        if self.state is CircuitState.OPEN:
            if now < self.open_until:
                return False
            self.state = CircuitState.HALF_OPEN
            self.probing = False
        if self.probing:
            return False
        self.probing = True
        return True

    def succeeded(self, began: float) -> None:
        """The provider answered a call admitted (``allows``) at ``began``."""
        if self.state is CircuitState.OPEN:
            return  # open admits nothing: the call began before, or its probe was overtaken
        if self.state is CircuitState.HALF_OPEN and began < self.open_until:
            return  # not the probe, which was admitted once the cool-down was over
        if began < self.opened_at:
            return  # a closed circuit's count is not reset by news from before it last opened
        self.state = CircuitState.CLOSED
        self.consecutive_failures = 0
        self.probing = False

    def failed(self, now: float, reason: str, *, retry_after: float | None = None) -> None:
        self.consecutive_failures += 1
        self.last_failure = reason
        if retry_after is not None and retry_after > 0:
            self._open(now, max(retry_after, 0.0))
        elif self.state is CircuitState.HALF_OPEN or self.consecutive_failures >= self.failures_to_open:
            self._open(now, self.cooldown)

    def _open(self, now: float, pause: float) -> None:
        if self.state is not CircuitState.OPEN:
            self.opened_count += 1
            self.opened_at = now
        self.state = CircuitState.OPEN
        self.open_until = max(self.open_until, now + pause)
        self.probing = False


# --- configured providers -------------------------------------------------------------


class ProviderKind(StrEnum):
    SANDBOX = "sandbox"
    TWILIO = "twilio"
    """Twilio SMS."""
    TWILIO_WHATSAPP = "twilio_whatsapp"
    TELEGRAM = "telegram"
    """A Telegram bot (Bot API ``sendMessage``) for Messenger channels."""
    WEBPUSH = "webpush"
    """Web Push to clients' browsers, signed with a VAPID key pair, for Push channels."""


@dataclass(frozen=True)
class KindRules:
    channel_kinds: frozenset[ChannelKind]
    settings: frozenset[str]
    secrets: frozenset[str]
    required: tuple[frozenset[str], ...] = ()
    """Each set: at least one of these settings or secrets must be given."""
    prefixes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """A setting that, when given, must start with one of these (a VAPID subject is a mailto: or https:)."""


_TWILIO_SETTINGS = frozenset(
    {"account_sid", "from_number", "messaging_service_sid", "whatsapp_from", "api_url"}
)

KIND_RULES: Mapping[ProviderKind, KindRules] = MappingProxyType(
    {
        ProviderKind.SANDBOX: KindRules(frozenset(ChannelKind), frozenset(), frozenset()),
        ProviderKind.TWILIO: KindRules(
            frozenset({ChannelKind.SMS}),
            _TWILIO_SETTINGS,
            frozenset({"auth_token"}),
            (
                frozenset({"account_sid"}),
                frozenset({"auth_token"}),
                frozenset({"from_number", "messaging_service_sid"}),
            ),
        ),
        ProviderKind.TWILIO_WHATSAPP: KindRules(
            frozenset({ChannelKind.MESSENGER}),
            _TWILIO_SETTINGS,
            frozenset({"auth_token"}),
            (frozenset({"account_sid"}), frozenset({"auth_token"}), frozenset({"whatsapp_from"})),
        ),
        ProviderKind.TELEGRAM: KindRules(
            frozenset({ChannelKind.MESSENGER}),
            frozenset({"api_url"}),
            # webhook_secret: what Telegram sends as X-Telegram-Bot-Api-Secret-Token.
            frozenset({"bot_token", "webhook_secret"}),
            (frozenset({"bot_token"}),),
        ),
        ProviderKind.WEBPUSH: KindRules(
            frozenset({ChannelKind.PUSH}),
            frozenset({"public_key", "subject"}),
            frozenset({"private_key"}),
            (frozenset({"private_key"}), frozenset({"subject"})),
            MappingProxyType({"subject": ("mailto:", "https://")}),
        ),
    }
)

DEFAULT_VAPID_SUBJECT = "mailto:switchboard@localhost"
"""The contact push services may write to, when VAPID_SUBJECT is not set."""


def mask(secret: str) -> str:
    """How a secret is shown: never more than its last four characters, and those only if long."""
    return "****" + secret[-4:] if len(secret) >= 12 else "****"


@dataclass(eq=False, kw_only=True)
class Provider(Entity):
    """A provider configured through the API: which adapter, for which channel kind, in what order.

    ``secrets`` are write-only: answers show ``masked_secrets`` and nothing logs them (the repr hides
    them too).
    """

    name: str
    kind: ProviderKind
    channel_kind: ChannelKind
    settings: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict, repr=False)
    priority: int = 0
    """Lower goes first; the channel kind's providers are tried in this order."""
    rate_limit: float | None = None
    """Messages a second at most; None: unlimited."""
    active: bool = True

    def __post_init__(self) -> None:
        problems = Problems()
        problems.text("name", self.name, max_length=64)
        rules = KIND_RULES[self.kind]
        if self.channel_kind not in rules.channel_kinds:
            allowed = ", ".join(sorted(rules.channel_kinds))
            problems.add("channel_kind", f"a {self.kind} provider serves {allowed}, not {self.channel_kind}")
        for name in sorted(set(self.settings) - rules.settings):
            problems.add(f"settings.{name}", f"not a setting of a {self.kind} provider")
        for name in sorted(set(self.secrets) - rules.secrets):
            problems.add(f"secrets.{name}", f"not a secret of a {self.kind} provider")
        given = {k for k, v in {**self.settings, **self.secrets}.items() if v and v.strip()}
        for name, starts in rules.prefixes.items():
            value = self.settings.get(name)
            if value and not value.startswith(starts):
                problems.add(f"settings.{name}", f"must start with {' or '.join(starts)}")
        for needed in rules.required:
            if not needed & given:
                where = "secrets" if needed <= rules.secrets else "settings"
                names = sorted(needed)
                message = "is required" if len(names) == 1 else f"one of {', '.join(names)} is required"
                problems.add(f"{where}.{names[0]}", message)
        if not 0 <= self.priority <= 1000:
            problems.add("priority", "must be between 0 and 1000")
        if self.rate_limit is not None and not 0 < self.rate_limit <= 100_000:
            problems.add("rate_limit", "must be above 0 and at most 100000 messages a second")
        problems.raise_if_any()

    @property
    def masked_secrets(self) -> dict[str, str]:
        return {name: mask(value) for name, value in self.secrets.items()}
