"""Telephony settings (SPEC §5): the Beeline PBX, Asterisk ARI and the call center (CCS)."""

from __future__ import annotations

from dataclasses import dataclass

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
