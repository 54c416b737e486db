"""The server secret: kept 0600 in the data folder when unset, and a wrong one stops the start."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from adapters.security import Argon2PasswordHasher
from entrypoints.secrets import secret_key
from entrypoints.settings import Settings
from tests.http.conftest import create, make_client
from tests.http.test_providers_api import TOKEN
from tests.support.databases import migrated


def test_a_key_made_at_first_start_is_private_and_kept(tmp_path: Path) -> None:
    key_file = tmp_path / "data" / "secret.key"
    first = secret_key(Settings(), key_file)

    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first) == 64 and secret_key(Settings(), key_file) == first  # the restart reads it back
    assert secret_key(Settings(secret_key="configured"), key_file) == b"configured"


def test_a_key_that_cannot_be_kept_stops_a_sql_start(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    with pytest.raises(SystemExit, match="SECRET_KEY"):
        secret_key(Settings(), blocked / "secret.key")


def test_a_server_started_with_another_secret_key_refuses_to_start(
    tmp_path: Path, hasher: Argon2PasswordHasher
) -> None:
    url = migrated(f"sqlite:///{tmp_path}/keys.db")
    first = Settings(database_url=url, secret_key="the first key", in_process_worker=False)
    for client in make_client(first, hasher):
        body = {
            "name": "tg",
            "kind": "telegram",
            "channelKind": "messenger",
            "secrets": {"botToken": TOKEN},
        }
        assert create(client, "/api/v1/providers", body)["secrets"] == {"botToken": "****abcd"}

    with pytest.raises(BaseExceptionGroup) as refused:  # the app's lifespan group carries it
        for _ in make_client(Settings(database_url=url, secret_key="another key"), hasher):
            pass
    assert refused.group_contains(SystemExit, match="does not open with SECRET_KEY")

    rotated = Settings(database_url=url, secret_key="another key", previous_secret_keys=("the first key",))
    for client in make_client(rotated, hasher):
        assert client.get("/api/v1/providers").json()["items"][0]["secrets"] == {"botToken": "****abcd"}
    for client in make_client(Settings(database_url=url, secret_key="another key"), hasher):
        assert client.get("/api/v1/providers").json()["total"] == 1  # sealed anew under the new key
