"""The ``SecretSealer`` over Fernet, keyed by SECRET_KEY (and the previous keys while they rotate).

Fernet keys are derived with HKDF-SHA256 from the server secret, with their own ``info``: the same
SECRET_KEY that signs unsubscribe links never doubles as the encryption key itself. A sealed value is
``fernet:`` and the token; anything without that prefix was kept before sealing existed and is read
as plain text until the start-up pass seals it.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from application.ports import SecretsUnreadable

PREFIX = "fernet:"
_INFO = b"switchboard secrets at rest v1"


def fernet_key(secret: bytes) -> bytes:
    """The Fernet key of a server secret (any length, any bytes)."""
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret)
    return base64.urlsafe_b64encode(derived)


class FernetSealer:
    """Seals under the first key; opens what any of the keys sealed (for a rotation)."""

    def __init__(self, current: bytes, previous: Sequence[bytes] = ()) -> None:
        if not current:
            raise ValueError("an empty secret key cannot seal secrets")
        self._current = Fernet(fernet_key(current))
        self._any = MultiFernet([self._current, *(Fernet(fernet_key(k)) for k in previous if k)])

    def seal(self, plain: str) -> str:
        return PREFIX + self._current.encrypt(plain.encode()).decode("ascii")

    def open(self, kept: str) -> str:
        if not kept.startswith(PREFIX):
            return kept
        try:
            return self._any.decrypt(kept[len(PREFIX) :].encode("ascii")).decode()
        except (InvalidToken, UnicodeError):
            raise SecretsUnreadable(
                "a kept secret does not open with SECRET_KEY (nor SECRET_KEY_PREVIOUS): set the key it "
                "was sealed with, or list that key in SECRET_KEY_PREVIOUS while the new one takes over"
            ) from None

    def is_current(self, kept: str) -> bool:
        if not kept.startswith(PREFIX):
            return False
        try:
            self._current.decrypt(kept[len(PREFIX) :].encode("ascii"))
        except (InvalidToken, UnicodeError):
            return False
        return True
