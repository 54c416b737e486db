"""VAPID key pairs as the Web Push world writes them: base64url, raw 32-byte private, 65-byte public."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid
from py_vapid.utils import b64urlencode


def generate_private_key() -> str:
    """A new P-256 private key, base64url of its 32 raw bytes (what ``VAPID_PRIVATE_KEY`` takes)."""
    key = ec.generate_private_key(ec.SECP256R1())
    return str(b64urlencode(key.private_numbers().private_value.to_bytes(32, "big")))


def public_key_of(private_key: str) -> str:
    """The application server key browsers subscribe with: base64url of the uncompressed point.

    ``private_key`` is base64url raw (32 bytes) or DER, as py_vapid reads it; a bad one raises ValueError.
    """
    try:
        vapid = Vapid.from_string(private_key)
    except Exception as error:  # py_vapid raises bare exceptions of several kinds for bad keys
        raise ValueError(f"VAPID_PRIVATE_KEY is not a P-256 private key: {type(error).__name__}") from None
    point = vapid.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return str(b64urlencode(point))


class VapidKeyPairs:
    """The ``VapidKeyMaker`` port over the two functions above."""

    def generate(self) -> str:
        return generate_private_key()

    def public_of(self, private_key: str) -> str:
        return public_key_of(private_key)
