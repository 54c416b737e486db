"""The key that signs links Switchboard hands out: from SECRET_KEY, or kept in the data folder."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

from entrypoints.settings import Settings

log = logging.getLogger("switchboard")
KEY_FILE = Path("data") / "secret.key"


def secret_key(settings: Settings, key_file: Path = KEY_FILE) -> bytes:
    """SECRET_KEY when set; else a random key made once and kept, so links survive restarts.

    In memory mode nothing is kept: a key per process is enough for trials and tests.
    """
    if settings.secret_key:
        return settings.secret_key.encode()
    if settings.storage == "memory":
        return secrets.token_bytes(32)
    try:
        if key_file.exists():
            return key_file.read_bytes().strip()
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(32).encode()
        key_file.write_bytes(key)
        key_file.chmod(0o600)
        log.warning(
            "SECRET_KEY is not set: made one in %s; set SECRET_KEY when several hosts serve", key_file
        )
        return key
    except OSError:
        log.warning("SECRET_KEY is not set and %s cannot be written: links last until a restart", key_file)
        return secrets.token_bytes(32)
