"""A browser's Web Push subscription (the W3C Push API's ``PushSubscription``), kept per client.

The endpoint is the push service's URL for that browser; ``p256dh`` (the browser's P-256 public key,
uncompressed) and ``auth`` (its 16-byte auth secret) are what the payload is encrypted to (RFC 8291).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from domain.entity import Entity, Problems

_BASE64URL = re.compile(r"^[A-Za-z0-9_-]+={0,2}$")
MAX_ENDPOINT = 2048


def base64url_bytes(text: str) -> bytes | None:
    """The bytes of an (unpadded) base64url text; None when it is not base64url."""
    if not _BASE64URL.match(text):
        return None
    try:
        return base64.urlsafe_b64decode(text.rstrip("=") + "=" * (-len(text.rstrip("=")) % 4))
    except (binascii.Error, ValueError):
        return None


@dataclass(eq=False, kw_only=True)
class PushSubscription(Entity):
    client_id: int
    endpoint: str
    p256dh: str
    """The browser's ECDH public key: base64url of the 65-byte uncompressed P-256 point."""
    auth: str
    """The browser's auth secret: base64url of 16 bytes."""
    expiration_time: datetime | None = None
    """When the browser said the subscription ends, if it said."""

    def __post_init__(self) -> None:
        problems = Problems()
        parts = urlsplit(self.endpoint)
        if len(self.endpoint) > MAX_ENDPOINT:
            problems.add("endpoint", f"must be at most {MAX_ENDPOINT} characters")
        elif parts.scheme != "https" or not parts.hostname:
            problems.add("endpoint", "must be an https URL of the push service")
        key = base64url_bytes(self.p256dh)
        if key is None or len(key) != 65 or key[0] != 4:
            problems.add("keys.p256dh", "must be base64url of a 65-byte uncompressed P-256 public key")
        secret = base64url_bytes(self.auth)
        if secret is None or len(secret) != 16:
            problems.add("keys.auth", "must be base64url of a 16-byte auth secret")
        problems.raise_if_any()
