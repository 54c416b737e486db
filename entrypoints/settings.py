"""Settings from environment variables (12-factor). See .env.example for the list."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from entrypoints.provider_settings import ProviderSettings
from entrypoints.push_settings import PushSettings

DEFAULT_DATABASE_URL = "sqlite:///./data/switchboard.db"


# -- telephony (SPEC §5): the Beeline PBX, Asterisk ARI and the call center (CCS) ------------

DEFAULT_BEELINE_URL = "https://cloudpbx.beeline.ru/apis/portal"


@dataclass(frozen=True)
class TelephonySettings:
    beeline_api_url: str = DEFAULT_BEELINE_URL
    beeline_api_token: str | None = None
    beeline_webhook_token: str | None = None
    """The secret in the webhook URL; one is generated at first start and kept when unset."""
    pbx_check_seconds: int = 300
    """How often the worker asks the PBX whether its subscriptions still exist."""
    pbx_seen_events_days: float = 7.0
    """How long event ids are kept for deduplication; longer than the PBX's redelivery horizon."""
    pbx_inbox_batch: int = 1000
    """How many kept PBX events the worker applies per transaction."""
    click_to_call: str = ""
    """``beeline`` or ``asterisk``; empty: Beeline when its token is set, else Asterisk when set."""
    asterisk_ari_url: str | None = None
    asterisk_ari_user: str = ""
    asterisk_ari_password: str = ""
    asterisk_context: str = "from-internal"
    asterisk_technology: str = "PJSIP"
    asterisk_caller_id: str | None = None
    ccs_api_url: str | None = None
    ccs_callback_token: str | None = None
    ccs_time_zone: str = "UTC"
    """The call center's wall-clock zone: seed 003 times carry no offset."""

    @classmethod
    def from_env(cls, env: dict[str, str]) -> TelephonySettings:
        return cls(
            beeline_api_url=env.get("BEELINE_API_URL") or DEFAULT_BEELINE_URL,
            beeline_api_token=env.get("BEELINE_API_TOKEN") or None,
            beeline_webhook_token=env.get("BEELINE_WEBHOOK_TOKEN") or None,
            pbx_check_seconds=int(env.get("PBX_CHECK_SECONDS", "300")),
            pbx_seen_events_days=float(env.get("PBX_SEEN_EVENTS_DAYS", "7")),
            pbx_inbox_batch=int(env.get("PBX_INBOX_BATCH", "1000")),
            click_to_call=env.get("CLICK_TO_CALL", "").strip().lower(),
            asterisk_ari_url=env.get("ASTERISK_ARI_URL") or None,
            asterisk_ari_user=env.get("ASTERISK_ARI_USER", ""),
            asterisk_ari_password=env.get("ASTERISK_ARI_PASSWORD", ""),
            asterisk_context=env.get("ASTERISK_CONTEXT", "from-internal"),
            asterisk_technology=env.get("ASTERISK_TECHNOLOGY", "PJSIP"),
            asterisk_caller_id=env.get("ASTERISK_CALLER_ID") or None,
            ccs_api_url=env.get("CCS_API_URL") or None,
            ccs_callback_token=env.get("CCS_CALLBACK_TOKEN") or None,
            ccs_time_zone=env.get("CCS_TIME_ZONE", "UTC"),
        )

    @property
    def click_to_call_adapter(self) -> str | None:
        if self.click_to_call in ("beeline", "asterisk"):
            return self.click_to_call
        if self.beeline_api_token:
            return "beeline"
        if self.asterisk_ari_url:
            return "asterisk"
        return None


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    host: str = "0.0.0.0"
    port: int = 8181
    admin_password: str | None = None
    storage: str = "sql"
    """``sql`` (SQLite or PostgreSQL by DATABASE_URL) or ``memory`` (nothing kept; for trials)."""
    phone_region: str = "RU"
    log_level: str = "INFO"
    workers: int = 1
    login_failures_per_minute: int = 10
    """Failed logins a minute for one login from one source."""
    login_failures_per_source_per_minute: int = 100
    """Failed logins a minute from one source across every login (password spraying)."""
    login_failures_per_login_per_minute: int = 50
    """Failed logins a minute for one login across every source (distributed guessing)."""
    trusted_proxies: tuple[str, ...] = ()
    """Addresses or networks of reverse proxies whose X-Forwarded-For is believed; none by default."""
    cors_origins: tuple[str, ...] = ()
    """Origins besides the server's own that may send state-changing requests from a browser."""
    json_max_depth: int = 32
    """How deeply a JSON body may nest arrays and objects; deeper answers 400."""
    database_pool_size: int = 20
    """Connections each process keeps to PostgreSQL; requests beyond it wait for a free one."""
    telephony: TelephonySettings = field(default_factory=TelephonySettings)
    providers: ProviderSettings = field(default_factory=ProviderSettings)
    push: PushSettings = field(default_factory=PushSettings)
    public_url: str | None = None
    """The server's public base address, for every link it hands out; default http://localhost:<PORT>."""
    secret_key: str | None = None
    """Signs unsubscribe links and seals provider secrets at rest; without it a key is kept in
    ``data/secret.key`` (made on first start, mode 0600)."""
    previous_secret_keys: tuple[str, ...] = ()
    """SECRET_KEY_PREVIOUS: keys being rotated out; what they sealed still opens and is sealed anew."""
    message_id_domain: str = "switchboard.local"
    """The right-hand side of every email's Message-ID."""
    in_process_worker: bool = False
    """Run the dispatch worker inside the API process; ``serve`` does unless IN_PROCESS_WORKER=0."""
    exploration_share: float = 0.0
    """Of automatic send decisions, the share drawn by (seeded) Thompson sampling to keep learning."""
    holdout_share: float = 0.0
    """Of automatic send decisions, the share sent by the rule's fixed priority, to measure the lift."""

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://localhost:{self.port}").rstrip("/")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        return cls(
            database_url=env.get("DATABASE_URL", DEFAULT_DATABASE_URL),
            host=env.get("HOST", "0.0.0.0"),
            port=int(env.get("PORT", "8181")),
            admin_password=env.get("ADMIN_PASSWORD") or None,
            storage=env.get("STORAGE", "sql"),
            phone_region=env.get("PHONE_REGION", "RU"),
            log_level=env.get("LOG_LEVEL", "INFO"),
            workers=int(env.get("WEB_CONCURRENCY", "1")),
            login_failures_per_minute=int(env.get("LOGIN_FAILURES_PER_MINUTE", "10")),
            login_failures_per_source_per_minute=int(env.get("LOGIN_FAILURES_PER_SOURCE_PER_MINUTE", "100")),
            login_failures_per_login_per_minute=int(env.get("LOGIN_FAILURES_PER_LOGIN_PER_MINUTE", "50")),
            trusted_proxies=_list(env.get("TRUSTED_PROXIES", "")),
            cors_origins=_list(env.get("CORS_ORIGINS", "")),
            json_max_depth=int(env.get("JSON_MAX_DEPTH", "32")),
            database_pool_size=int(env.get("DATABASE_POOL_SIZE", "20")),
            telephony=TelephonySettings.from_env(env),
            providers=ProviderSettings.from_env(env),
            push=PushSettings.from_env(env),
            public_url=env.get("PUBLIC_URL") or None,
            secret_key=env.get("SECRET_KEY") or None,
            previous_secret_keys=_list(env.get("SECRET_KEY_PREVIOUS", "")),
            message_id_domain=env.get("MESSAGE_ID_DOMAIN", "switchboard.local"),
            in_process_worker=env.get("IN_PROCESS_WORKER", "1").lower() not in ("0", "false", "no"),
            exploration_share=float(env.get("DECISIONS_EXPLORATION_SHARE", "0")),
            holdout_share=float(env.get("DECISIONS_HOLDOUT_SHARE", "0")),
        )

    def ensure_data_dir(self) -> None:
        """SQLite wants its folder to exist before it creates the file."""
        prefix = "sqlite:///"
        if self.database_url.startswith(prefix) and ":memory:" not in self.database_url:
            Path(self.database_url[len(prefix) :]).parent.mkdir(parents=True, exist_ok=True)


def _list(text: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in text.split(",") if item.strip())
