"""Web Push settings (issue 12): the VAPID key pair and subject; PUSH_PROVIDERS=webpush selects it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PushSettings:
    vapid_private_key: str | None = None
    """VAPID_PRIVATE_KEY, base64url raw (32 bytes) or DER; unset: made once and kept in the database."""
    vapid_public_key: str | None = None
    """VAPID_PUBLIC_KEY: optional; when given it must be the private key's (checked at start)."""
    vapid_subject: str = "mailto:switchboard@localhost"
    """VAPID_SUBJECT: a ``mailto:`` or ``https:`` contact push services may write to."""
    concurrency: int = 50
    timeout: float = 10.0
    ttl: int = 24 * 3600
    ca_file: str | None = None
    """WEBPUSH_CA_FILE: extra certificate authorities to trust (a private push service, tests)."""

    def __repr__(self) -> str:  # the private key never reaches a log through a repr
        return f"PushSettings(vapid_subject={self.vapid_subject!r})"

    @classmethod
    def from_env(cls, env: dict[str, str]) -> PushSettings:
        return cls(
            vapid_private_key=env.get("VAPID_PRIVATE_KEY") or None,
            vapid_public_key=env.get("VAPID_PUBLIC_KEY") or None,
            vapid_subject=env.get("VAPID_SUBJECT") or "mailto:switchboard@localhost",
            concurrency=int(env.get("WEBPUSH_CONCURRENCY", "50")),
            timeout=float(env.get("WEBPUSH_TIMEOUT_SECONDS", "10")),
            ttl=int(env.get("WEBPUSH_TTL_SECONDS", str(24 * 3600))),
            ca_file=env.get("WEBPUSH_CA_FILE") or None,
        )
