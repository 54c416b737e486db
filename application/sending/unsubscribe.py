"""Signed one-click unsubscribe links (RFC 8058): who may leave which channel, without logging in."""

from __future__ import annotations

import binascii
import hashlib
import hmac
from dataclasses import dataclass

_URL_SAFE = bytes.maketrans(b"+/", b"-_")


@dataclass(frozen=True)
class Unsubscription:
    client_id: int
    channel_id: int


class UnsubscribeTokens:
    """Tokens that name a client and a channel and cannot be forged without the secret."""

    def __init__(self, secret: bytes) -> None:
        if not secret:
            raise ValueError("an unsubscribe secret is required")
        # Keyed once; a token signs on a copy (a bulk send signs one token per client).
        self._keyed = hmac.new(secret, digestmod=hashlib.blake2b)

    def _signature(self, payload: str) -> str:
        signing = self._keyed.copy()
        signing.update(payload.encode())
        signed = binascii.b2a_base64(signing.digest()[:16], newline=False)
        return signed.rstrip(b"=").translate(_URL_SAFE).decode()

    def issue(self, client_id: int, channel_id: int) -> str:
        payload = f"{client_id}.{channel_id}"
        return f"{payload}.{self._signature(payload)}"

    def read(self, token: str) -> Unsubscription | None:
        """The unsubscription a token stands for; None for anything malformed or forged."""
        parts = token.split(".")
        if len(parts) != 3 or not all(p.isascii() and p.isdigit() for p in parts[:2]):
            return None
        payload = f"{parts[0]}.{parts[1]}"
        if not hmac.compare_digest(self._signature(payload), parts[2]):
            return None
        return Unsubscription(int(parts[0]), int(parts[1]))


def unsubscribe_url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/unsubscribe/{token}"
