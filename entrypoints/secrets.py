"""The server secret: from SECRET_KEY, or kept in the data folder; it signs links and seals secrets."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import Any

from adapters.sealing.fernet import FernetSealer
from application.ports import SecretsUnreadable
from entrypoints.settings import Settings

log = logging.getLogger("switchboard")
KEY_FILE = Path("data") / "secret.key"


def secret_key(settings: Settings, key_file: Path = KEY_FILE) -> bytes:
    """SECRET_KEY when set; else a random key made once and kept (0600), so links and secrets survive.

    In memory mode nothing is kept: a key per process is enough for trials and tests. With SQL storage
    a key that cannot be kept stops the start: secrets sealed under it would be lost at the restart.
    """
    if settings.secret_key:
        return settings.secret_key.encode()
    if settings.storage == "memory":
        return secrets.token_bytes(32)
    try:
        return _kept_key(key_file)
    except OSError as error:
        raise SystemExit(
            f"SECRET_KEY is not set and {key_file} cannot be kept ({error}): set SECRET_KEY"
        ) from None


def _kept_key(key_file: Path) -> bytes:
    if key_file.exists():
        return key_file.read_bytes().strip()
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32).encode()
    try:
        # Made 0600 from the first byte, and only once: a second process starting with us reads ours.
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_bytes().strip()
    with os.fdopen(descriptor, "wb") as file:
        file.write(key)
    log.warning("SECRET_KEY is not set: made one in %s; set SECRET_KEY when several hosts serve", key_file)
    return key


def secret_sealer(current: bytes, previous: tuple[str, ...] = ()) -> FernetSealer:
    """Seals under the current key; opens what the previous keys (SECRET_KEY_PREVIOUS) sealed."""
    return FernetSealer(current, [key.encode() for key in previous])


async def seal_kept_secrets(container: Any) -> None:
    """At start: seals plain or old-key secrets again; a SECRET_KEY that opens none stops the start."""
    try:
        resealed = await container.storage.uow_factory().seal_kept_secrets()
    except SecretsUnreadable as error:
        raise SystemExit(f"cannot start: {error}") from None
    if resealed:
        log.info("sealed the secrets of %d provider(s) under the current SECRET_KEY", resealed)
