"""Telegram end to end over HTTP: a deep-link code, ``/start CODE`` at the webhook links the chat, a
Messenger send goes out through the in-process worker to a local Bot API stub, and the chat's answer
is recorded as the client's reply. The webhook secret guards all of it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from adapters.security import Argon2PasswordHasher
from entrypoints.provider_settings import ProviderSettings
from entrypoints.settings import Settings
from tests.http.conftest import make_client
from tests.http.test_sends_api import MESSENGER, a_client, department, send
from tests.http.test_unsubscribe_and_sandbox import wait_for
from tests.support.telegram_stub import TelegramStub, telegram_stub

SECRET = "webhook-secret-0123456789"
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Authorization": ""}


@pytest.fixture
def stub() -> Iterator[TelegramStub]:
    with telegram_stub() as running:
        yield running


@pytest.fixture
def live(stub: TelegramStub, hasher: Argon2PasswordHasher) -> Iterator[TestClient[Any]]:
    settings = Settings(
        storage="memory",
        in_process_worker=True,
        providers=ProviderSettings(
            telegram_bot_token=stub.token,
            telegram_webhook_secret=SECRET,
            telegram_bot_username="switchboard_bot",
            telegram_api_url=stub.url,
            messenger_providers=("telegram",),
        ),
    )
    yield from make_client(settings, hasher)


def update(chat_id: int, text: str, update_id: int = 1) -> dict[str, Any]:
    """A Telegram Update with a private chat's text message, as the Bot API posts it."""
    return {
        "update_id": update_id,
        "message": {
            "message_id": 100 + update_id,
            "from": {"id": chat_id, "is_bot": False, "first_name": "Ivan", "language_code": "en"},
            "chat": {"id": chat_id, "first_name": "Ivan", "type": "private"},
            "date": 1764590000,
            "text": text,
        },
    }


def linked(client: TestClient[Any], chat_id: int = 1001) -> int:
    ivan = a_client(client)
    code = client.post(f"/api/v1/clients/{ivan}/telegram-link").json()["code"]
    assert (
        client.post("/webhooks/telegram", json=update(chat_id, f"/start {code}"), headers=HEADERS).status_code
        == 200
    )
    return ivan


def test_a_code_is_made_once_and_start_links_the_chat_and_uses_it_up(live: TestClient[Any]) -> None:
    ivan = a_client(live)
    before = live.get(f"/api/v1/clients/{ivan}/telegram-link").json()
    assert (before["linked"], before["code"], before["deepLink"]) == (False, None, None)
    first = live.post(f"/api/v1/clients/{ivan}/telegram-link")
    assert first.status_code == 200, first.text
    code = first.json()["code"]
    assert first.json()["deepLink"] == f"https://t.me/switchboard_bot?start={code}"
    assert live.post(f"/api/v1/clients/{ivan}/telegram-link").json()["code"] == code  # the pending one

    answer = live.post("/webhooks/telegram", json=update(1001, f"/start {code}"), headers=HEADERS)
    assert answer.status_code == 200
    state = live.get(f"/api/v1/clients/{ivan}/telegram-link").json()
    assert (state["linked"], state["chatId"], state["code"], state["deepLink"]) == (True, "1001", None, None)
    assert state["linkedAt"] is not None

    # The code is used up: another chat sending it links nothing.
    live.post("/webhooks/telegram", json=update(1002, f"/start {code}", 2), headers=HEADERS)
    assert live.get(f"/api/v1/clients/{ivan}/telegram-link").json()["chatId"] == "1001"


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"Authorization": ""}, id="missing"),
        pytest.param({**HEADERS, "X-Telegram-Bot-Api-Secret-Token": "wrong"}, id="wrong"),
    ],
)
def test_a_wrong_or_missing_secret_is_403_and_links_nothing(
    live: TestClient[Any], headers: dict[str, str]
) -> None:
    ivan = a_client(live)
    code = live.post(f"/api/v1/clients/{ivan}/telegram-link").json()["code"]
    answer = live.post("/webhooks/telegram", json=update(1001, f"/start {code}"), headers=headers)
    assert answer.status_code == 403
    state = live.get(f"/api/v1/clients/{ivan}/telegram-link").json()
    assert (state["linked"], state["code"]) == (False, code)


def test_unknown_updates_and_unlinked_chats_are_ignored_with_200(live: TestClient[Any]) -> None:
    ivan = a_client(live)
    for body in (
        {"update_id": 5, "edited_message": {"message_id": 1, "chat": {"id": 1}, "date": 1}},
        {
            "update_id": 6,
            "message": {"message_id": 2, "chat": {"id": 1001, "type": "private"}, "sticker": {}},
        },
        update(1003, "hello, who is this?", 7),
        update(1003, "/start not-a-real-code-0000000000", 8),
        {"not": "an update"},
    ):
        assert live.post("/webhooks/telegram", json=body, headers=HEADERS).status_code == 200
    assert live.post("/webhooks/telegram", content=b"{", headers=HEADERS).status_code == 200
    listed = live.get("/api/v1/communications", params={"direction": "inbound"}).json()
    assert listed["items"] == []
    assert live.get(f"/api/v1/clients/{ivan}/telegram-link").json()["linked"] is False


def test_a_linked_client_gets_messenger_sends_and_their_answer_marks_it_responded(
    live: TestClient[Any], stub: TelegramStub
) -> None:
    nobody = a_client(live)
    ivan = linked(live)
    answer = send(
        live,
        departmentId=department(live),
        text="Hi {{ client.firstName }}",
        clientIds=[ivan, nobody],
        channels=[MESSENGER],
    )
    assert answer.status_code == 202, answer.text
    [accepted] = answer.json()["accepted"]
    assert accepted["clientId"] == ivan  # a linked chat is contact data; no chat, no handle: refused
    assert [r["clientId"] for r in answer.json()["refused"]] == [nobody]
    uuid = accepted["uuid"]
    wait_for(lambda: live.get(f"/api/v1/communications/{uuid}").json()["deliveryStatus"] == "sent")
    [sent] = stub.sent
    assert (sent.chat_id, sent.text) == ("1001", "Hi Ivan")
    stored = live.get(f"/api/v1/communications/{uuid}").json()
    assert stored["provider"] == "telegram"

    assert (
        live.post("/webhooks/telegram", json=update(1001, "Thanks, see you!", 3), headers=HEADERS).status_code
        == 200
    )
    answered = live.get(f"/api/v1/communications/{uuid}").json()
    assert (answered["deliveryStatus"], answered["result"]) == ("responded", "Thanks, see you!")
    listed = live.get("/api/v1/communications", params={"clientId": ivan, "direction": "inbound"}).json()
    [reply] = listed["items"]
    assert (reply["channelId"], reply["content"], reply["status"]) == (MESSENGER, "Thanks, see you!", "done")


def test_the_client_answer_tells_the_link_state_and_the_seed_answer_stays_as_it_was(
    live: TestClient[Any],
) -> None:
    ivan = a_client(live)
    assert live.get(f"/api/v1/clients/{ivan}").json()["telegram"] == {
        "clientId": ivan,
        "linked": False,
        "chatId": None,
        "linkedAt": None,
        "code": None,
        "deepLink": None,
    }
    code = live.post(f"/api/v1/clients/{ivan}/telegram-link").json()["code"]
    pending = live.get(f"/api/v1/clients/{ivan}").json()["telegram"]
    assert (pending["linked"], pending["code"], pending["deepLink"]) == (
        False,
        code,
        f"https://t.me/switchboard_bot?start={code}",
    )
    live.post("/webhooks/telegram", json=update(1001, f"/start {code}"), headers=HEADERS)
    answer = live.get(f"/api/v1/clients/{ivan}").json()
    assert (answer["telegram"]["linked"], answer["telegram"]["chatId"], answer["telegram"]["code"]) == (
        True,
        "1001",
        None,
    )
    # The list item and the seed (CRM prototype) routes keep their answers.
    listed = live.get("/api/v1/clients", params={"limit": 100}).json()["items"]
    assert all("telegram" not in item for item in listed)
    seed = live.get("/clients")
    assert seed.status_code == 200, seed.text
    assert [c for c in seed.json() if "telegram" in c] == []


def test_a_telegram_providers_webhook_secret_is_masked_and_replaces_the_environments(
    live: TestClient[Any],
) -> None:
    ivan = a_client(live)
    code = live.post(f"/api/v1/clients/{ivan}/telegram-link").json()["code"]
    mine = "api-webhook-secret-9876543210"
    body = {
        "name": "telegram-api-bot",
        "kind": "telegram",
        "channelKind": "messenger",
        "secrets": {"botToken": "123456:" + "B" * 35, "webhookSecret": mine},
    }
    created = live.post("/api/v1/providers", json=body)
    assert created.status_code == 201, created.text
    assert mine not in created.text
    assert created.json()["secrets"]["webhookSecret"] == "****" + mine[-4:]
    assert live.get(f"/api/v1/providers/{created.json()['id']}").json()["secrets"]["webhookSecret"] == (
        "****3210"
    )
    # The environment's secret is only the fallback now: the API's is the one Telegram sends.
    assert (
        live.post("/webhooks/telegram", json=update(1001, f"/start {code}"), headers=HEADERS).status_code
        == 403
    )
    theirs = {**HEADERS, "X-Telegram-Bot-Api-Secret-Token": mine}
    assert (
        live.post("/webhooks/telegram", json=update(1001, f"/start {code}"), headers=theirs).status_code
        == 200
    )
    assert live.get(f"/api/v1/clients/{ivan}/telegram-link").json()["linked"] is True
    # Without an active provider that has one, the environment's counts again.
    patched = live.patch(f"/api/v1/providers/{created.json()['id']}", json={"active": False})
    assert patched.status_code == 200, patched.text
    assert live.post("/webhooks/telegram", json=update(1002, "hello", 2), headers=HEADERS).status_code == 200
    assert live.post("/webhooks/telegram", json=update(1002, "hello", 3), headers=theirs).status_code == 403


def test_bad_client_keys_are_400_and_unknown_clients_404(live: TestClient[Any]) -> None:
    assert live.post("/api/v1/clients/0/telegram-link").status_code in (400, 404)
    assert live.get("/api/v1/clients/999999/telegram-link").status_code == 404


def test_a_telegram_provider_by_the_api_masks_its_token_and_sends_a_test_message(
    client: TestClient[Any], stub: TelegramStub
) -> None:
    body = {
        "name": "telegram-bot",
        "kind": "telegram",
        "channelKind": "messenger",
        "settings": {"apiUrl": stub.url},
        "secrets": {"botToken": stub.token},
    }
    created = client.post("/api/v1/providers", json=body)
    assert created.status_code == 201, created.text
    assert stub.token not in created.text
    assert created.json()["secrets"] == {"botToken": "****" + stub.token[-4:]}
    assert created.json()["settings"] == {"apiUrl": stub.url}
    tested = client.post(f"/api/v1/providers/{created.json()['id']}/test", json={"to": "1002"}).json()
    assert (tested["outcome"], tested["providerMessageId"]) == ("sent", "1002:1")
    assert [(s.chat_id, s.text) for s in stub.sent] == [("1002", "Switchboard test message")]
    blocked = client.post(f"/api/v1/providers/{created.json()['id']}/test", json={"to": "424242"}).json()
    assert (blocked["outcome"], blocked["reason"]) == (
        "rejected",
        "telegram-bot 400: Bad Request: chat not found",
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"secrets": {}}, "secrets.botToken", id="no-token"),
        pytest.param({"channelKind": "sms"}, "channelKind", id="not-sms"),
        pytest.param({"settings": {"accountSid": "AC1"}}, "settings.accountSid", id="twilio-setting"),
    ],
)
def test_bad_telegram_providers_are_400_naming_the_field(
    client: TestClient[Any], changes: dict[str, Any], field: str
) -> None:
    body = {
        "name": "telegram-bot",
        "kind": "telegram",
        "channelKind": "messenger",
        "secrets": {"botToken": "123456:" + "B" * 35},
        **changes,
    }
    answer = client.post("/api/v1/providers", json=body)
    assert answer.status_code == 400, answer.text
    assert field in [d["field"] for d in answer.json()["error"]["details"]]


def test_channels_auto_reaches_a_client_whose_only_contact_is_a_linked_chat(
    live: TestClient[Any], stub: TelegramStub
) -> None:
    nobody = a_client(live)
    ivan = linked(live)
    answer = send(
        live, departmentId=department(live), text="Hi", clientIds=[ivan, nobody], channels="auto", at="auto"
    )
    assert answer.status_code == 202, answer.text
    assert [(a["clientId"], a["channelId"]) for a in answer.json()["accepted"]] == [(ivan, MESSENGER)]
    assert [r["clientId"] for r in answer.json()["refused"]] == [nobody]
