"""A ``webpush`` provider through /api/v1/providers: a VAPID key pair and subject, a real test push."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from adapters.security import Argon2PasswordHasher
from adapters.webpush.keys import generate_private_key, public_key_of
from entrypoints.push_settings import PushSettings
from entrypoints.settings import Settings
from tests.http.conftest import create, make_client
from tests.http.test_push_subscriptions_api import a_client
from tests.support.push_service import PushService, push_service

PRIVATE = generate_private_key()
PUBLIC = public_key_of(PRIVATE)


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[PushService, Path]]:
    with push_service(PUBLIC, tmp_path) as running:
        yield running


@pytest.fixture
def api(service: tuple[PushService, Path], hasher: Argon2PasswordHasher) -> Iterator[TestClient[Any]]:
    """In memory, trusting the push service's certificate as WEBPUSH_CA_FILE would."""
    _, ca = service
    settings = Settings(storage="memory", push=PushSettings(ca_file=str(ca)))
    yield from make_client(settings, hasher)


def webpush_body(**changes: Any) -> dict[str, Any]:
    return {
        "name": "browsers",
        "kind": "webpush",
        "channelKind": "push",
        "settings": {"subject": "mailto:ops@example.com"},
        "secrets": {"privateKey": PRIVATE},
        **changes,
    }


def test_the_private_key_is_write_only_and_the_public_key_is_shown(api: TestClient[Any]) -> None:
    created = create(api, "/api/v1/providers", webpush_body())

    assert created["secrets"] == {"privateKey": "****" + PRIVATE[-4:]}
    assert created["settings"] == {"subject": "mailto:ops@example.com", "publicKey": PUBLIC}
    assert PRIVATE not in api.get(f"/api/v1/providers/{created['id']}").text


def test_a_new_private_key_brings_its_own_public_key(api: TestClient[Any]) -> None:
    created = create(api, "/api/v1/providers", webpush_body())
    other = generate_private_key()

    changed = api.patch(f"/api/v1/providers/{created['id']}", json={"secrets": {"privateKey": other}})
    assert changed.status_code == 200, changed.text
    assert changed.json()["settings"]["publicKey"] == public_key_of(other)
    renamed = api.patch(f"/api/v1/providers/{created['id']}", json={"name": "browsers-2"})
    assert renamed.json()["settings"]["publicKey"] == public_key_of(other)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"settings": {"subject": "ops@example.com"}}, "settings.subject"),
        ({"settings": {}}, "settings.subject"),
        ({"secrets": {}}, "secrets.privateKey"),
        ({"secrets": {"privateKey": "not-a-key"}}, "secrets.privateKey"),
        (
            {"settings": {"subject": "mailto:a@b.c", "publicKey": public_key_of(generate_private_key())}},
            "settings.publicKey",
        ),
        ({"channelKind": "sms"}, "channelKind"),
    ],
)
def test_unusable_configurations_are_400_naming_the_field(
    api: TestClient[Any], changes: dict[str, Any], field: str
) -> None:
    response = api.post("/api/v1/providers", json=webpush_body(**changes))
    assert response.status_code == 400, response.text
    assert field in [d["field"] for d in response.json()["error"]["details"]], response.text


def test_the_test_message_reaches_the_browser_encrypted_and_vapid_signed(
    api: TestClient[Any], service: tuple[PushService, Path]
) -> None:
    push, _ = service
    browser = push.browser()
    ivan = a_client(api)
    keys = {"p256dh": browser.p256dh, "auth": browser.auth}
    create(
        api, f"/api/v1/clients/{ivan}/push-subscriptions", {"endpoint": push.endpoint(browser), "keys": keys}
    )
    provider = create(api, "/api/v1/providers", webpush_body())

    answer = api.post(
        f"/api/v1/providers/{provider['id']}/test", json={"to": f"push:{ivan}", "text": "Привет, push"}
    )

    assert answer.status_code == 200, answer.text
    assert answer.json()["provider"] == "browsers" and answer.json()["outcome"] == "sent"
    assert [(d.path, d.payload["body"]) for d in push.delivered] == [(browser.path, "Привет, push")]
    assert push.refused == []

    nobody = api.post(f"/api/v1/providers/{provider['id']}/test", json={"to": "push:999999"})
    assert nobody.json()["outcome"] == "rejected"


def test_a_fresh_start_makes_a_key_kept_in_an_inactive_webpush_provider(api: TestClient[Any]) -> None:
    served = api.get("/api/v1/push/vapid-public-key").json()["publicKey"]
    assert api.get("/api/v1/push/vapid-public-key").json()["publicKey"] == served

    listed = api.get("/api/v1/providers").json()["items"]
    assert [(p["name"], p["kind"], p["active"]) for p in listed] == [("webpush", "webpush", False)]
    assert listed[0]["settings"]["publicKey"] == served and listed[0]["secrets"]["privateKey"].startswith(
        "****"
    )


def test_the_public_key_endpoint_answers_the_active_webpush_provider(api: TestClient[Any]) -> None:
    default = api.get("/api/v1/push/vapid-public-key").json()["publicKey"]
    create(api, "/api/v1/providers", webpush_body())

    assert api.get("/api/v1/push/vapid-public-key").json()["publicKey"] == PUBLIC != default


def test_a_provider_of_another_kind_named_webpush_does_not_stand_for_the_web_push_one(
    api: TestClient[Any],
) -> None:
    create(api, "/api/v1/providers", {"name": "webpush", "kind": "sandbox", "channelKind": "push"})

    response = api.get("/api/v1/push/vapid-public-key")
    assert response.status_code == 200, response.text
    served = response.json()["publicKey"]
    assert api.get("/api/v1/push/vapid-public-key").json()["publicKey"] == served
    listed = {p["name"]: p for p in api.get("/api/v1/providers").json()["items"]}
    assert {name: (p["kind"], p["active"]) for name, p in listed.items()} == {
        "webpush": ("sandbox", True),
        "webpush-vapid": ("webpush", False),
    }
    assert listed["webpush-vapid"]["settings"]["publicKey"] == served


def test_an_inactive_webpush_provider_of_any_name_keeps_the_key_when_none_was_made(
    api: TestClient[Any],
) -> None:
    create(api, "/api/v1/providers", webpush_body(active=False))

    assert api.get("/api/v1/push/vapid-public-key").json()["publicKey"] == PUBLIC
    assert [p["name"] for p in api.get("/api/v1/providers").json()["items"]] == ["browsers"]


def test_the_key_made_on_sql_survives_a_restart_sealed(hasher: Argon2PasswordHasher, tmp_path: Path) -> None:
    import sqlite3

    from tests.support.databases import migrated

    settings = Settings(database_url=migrated(f"sqlite:///{tmp_path}/push.db"), secret_key="k")
    served = [
        client.get("/api/v1/push/vapid-public-key").json()["publicKey"]
        for _ in range(2)
        for client in make_client(settings, hasher)
    ]
    assert served[0] == served[1]
    with sqlite3.connect(tmp_path / "push.db") as db:
        (kept,) = db.execute("SELECT secrets FROM providers WHERE name = 'webpush'").fetchone()
    assert json.loads(kept)["private_key"].startswith("fernet:")
