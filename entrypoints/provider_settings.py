"""Provider settings (SPEC §8, issue 12): which providers serve each channel kind, in what order."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_TWILIO_API_URL = "https://api.twilio.com"
DEFAULT_TELEGRAM_API_URL = "https://api.telegram.org"


@dataclass(frozen=True)
class ProviderSettings:
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_from: str | None = None
    twilio_messaging_service_sid: str | None = None
    twilio_whatsapp_from: str | None = None
    twilio_api_url: str = DEFAULT_TWILIO_API_URL
    """Twilio's REST address; a local stub's in tests and the benchmark."""
    twilio_concurrency: int = 50
    twilio_timeout: float = 10.0
    telegram_bot_token: str | None = None
    telegram_webhook_secret: str | None = None
    """What Telegram sends as ``X-Telegram-Bot-Api-Secret-Token`` (setWebhook's ``secret_token``)."""
    telegram_bot_username: str | None = None
    """The bot's @username without the @, for deep links ``https://t.me/<username>?start=<code>``."""
    telegram_api_url: str = DEFAULT_TELEGRAM_API_URL
    """The Bot API's address; a local stub's in tests."""
    telegram_timeout: float = 10.0
    sms_providers: tuple[str, ...] = ("sandbox",)
    """Providers of SMS channels in failover order, e.g. ``twilio,sandbox``."""
    messenger_providers: tuple[str, ...] = ("sandbox",)
    email_providers: tuple[str, ...] = ()
    """Empty: EMAIL_PROVIDER (``smtp`` or ``sandbox``) as before."""
    push_providers: tuple[str, ...] = ("sandbox",)
    circuit_failures: int = 5
    """Consecutive transient failures that open a provider's circuit."""
    circuit_cooldown_seconds: float = 30.0
    """How long an open circuit keeps a provider out before one probe message may try it."""

    def __repr__(self) -> str:  # secrets never reach a log through a repr
        return (
            f"ProviderSettings(sms={self.sms_providers}, messenger={self.messenger_providers}, "
            f"twilio_account_sid={self.twilio_account_sid!r}, twilio_auth_token='***', "
            "telegram_bot_token='***', telegram_webhook_secret='***')"
        )

    @property
    def twilio_configured(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token)

    @classmethod
    def from_env(cls, env: dict[str, str]) -> ProviderSettings:
        return cls(
            twilio_account_sid=env.get("TWILIO_ACCOUNT_SID") or None,
            twilio_auth_token=env.get("TWILIO_AUTH_TOKEN") or None,
            twilio_from=env.get("TWILIO_FROM") or None,
            twilio_messaging_service_sid=env.get("TWILIO_MESSAGING_SERVICE_SID") or None,
            twilio_whatsapp_from=env.get("TWILIO_WHATSAPP_FROM") or None,
            twilio_api_url=env.get("TWILIO_API_URL") or DEFAULT_TWILIO_API_URL,
            twilio_concurrency=int(env.get("TWILIO_CONCURRENCY", "50")),
            twilio_timeout=float(env.get("TWILIO_TIMEOUT_SECONDS", "10")),
            telegram_bot_token=env.get("TELEGRAM_BOT_TOKEN") or None,
            telegram_webhook_secret=env.get("TELEGRAM_WEBHOOK_SECRET") or None,
            telegram_bot_username=(env.get("TELEGRAM_BOT_USERNAME") or "").lstrip("@") or None,
            telegram_api_url=env.get("TELEGRAM_API_URL") or DEFAULT_TELEGRAM_API_URL,
            telegram_timeout=float(env.get("TELEGRAM_TIMEOUT_SECONDS", "10")),
            sms_providers=_list(env.get("SMS_PROVIDERS", "sandbox")),
            messenger_providers=_list(env.get("MESSENGER_PROVIDERS", "sandbox")),
            email_providers=_list(env.get("EMAIL_PROVIDERS", "")),
            push_providers=_list(env.get("PUSH_PROVIDERS", "sandbox")),
            circuit_failures=int(env.get("CIRCUIT_FAILURES", "5")),
            circuit_cooldown_seconds=float(env.get("CIRCUIT_COOLDOWN_SECONDS", "30")),
        )


def _list(text: str) -> tuple[str, ...]:
    return tuple(item.strip().lower() for item in text.split(",") if item.strip())
