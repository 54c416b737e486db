"""Seed 000, examples 1 and 2: the dictionaries exactly as the seed shows them (bare arrays, no /api/v1)."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from tests.http.conftest import create
from tests.http.test_dictionaries_api import make_reader

SEED_COMMUNICATION_TYPES = [
    {
        "communicationTypeId": 1,
        "name": "Массовая коммуникация",
        "description": "Используется для массовой коммуникации с клиентами",
    },
    {
        "communicationTypeId": 2,
        "name": "Персональная коммуникация",
        "description": "Используется для персональной коммуникации с клиентом",
    },
    {
        "communicationTypeId": 3,
        "name": "Информационная коммуникация",
        "description": "Используется для информирования клиентов",
    },
    {"communicationTypeId": 4, "name": "Опрос", "description": "Используется для опроса настроений клиента"},
    {
        "communicationTypeId": 5,
        "name": "Коммерческий опрос",
        "description": "Используется для опроса настроений клиента с коммерческой целью",
    },
    {
        "communicationTypeId": 6,
        "name": "Сервисная коммуникация",
        "description": "Используется для сервисной коммуникации с клиентами",
    },
]

SEED_SEND_CHANNEL_TYPES = [
    {
        "sendChannelTypeId": 1,
        "name": "SMS",
        "description": "Отправка короткого текстового сообщения на телефон клиента",
    },
    {
        "sendChannelTypeId": 2,
        "name": "Messenger",
        "description": "Отправка короткого текстового сообщение в Messenger клиента",
    },
    {"sendChannelTypeId": 3, "name": "Email", "description": "Отправка электронного письма"},
    {"sendChannelTypeId": 4, "name": "Push", "description": "Отправка PUSH сообщения"},
]

TYPE_PATHS = ["/communication_types", "/communication%20types"]


@pytest.mark.parametrize("path", TYPE_PATHS)
def test_communication_types_answer_the_seeds_bare_array(client: TestClient[Any], path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == SEED_COMMUNICATION_TYPES


def test_the_seeds_path_with_a_space_routes_when_sent_percent_encoded(client: TestClient[Any]) -> None:
    response = client.get("/communication%20types")
    # The request really went out encoded, as a client following the seed would send it.
    assert response.request.url.raw_path == b"/communication%20types"
    assert response.status_code == 200
    assert [t["communicationTypeId"] for t in response.json()] == [1, 2, 3, 4, 5, 6]


def test_send_channel_types_are_the_active_dispatchable_channels(client: TestClient[Any]) -> None:
    response = client.get("/send_channel_types")
    assert response.status_code == 200
    assert response.json() == SEED_SEND_CHANNEL_TYPES


def test_the_seed_lists_follow_the_editable_dictionaries(client: TestClient[Any]) -> None:
    client.patch("/api/v1/communication-types/survey", json={"active": False})
    promo = create(client, "/api/v1/communication-types", {"name": "Promo", "code": "promo"})
    types = client.get("/communication_types").json()
    assert [t["communicationTypeId"] for t in types] == [1, 2, 3, 5, 6, promo["id"]]
    assert types[-1] == {"communicationTypeId": promo["id"], "name": "Promo", "description": None}

    client.patch("/api/v1/channels/push", json={"active": False, "description": "Off"})
    telegram = create(
        client,
        "/api/v1/channels",
        {"name": "Telegram", "code": "telegram", "kind": "messenger", "dispatchable": True},
    )
    create(client, "/api/v1/channels", {"name": "Fax", "code": "fax", "kind": "other"})
    channels = client.get("/send_channel_types").json()
    assert [c["name"] for c in channels] == ["SMS", "Messenger", "Email", "Telegram"]
    assert channels[-1]["sendChannelTypeId"] == telegram["id"]


@pytest.mark.parametrize("path", [*TYPE_PATHS, "/send_channel_types"])
def test_the_seed_dictionaries_need_a_login_but_no_permission(client: TestClient[Any], path: str) -> None:
    assert client.get(path, headers={"Authorization": ""}).status_code == 401
    assert client.get(path, headers=make_reader(client)).status_code == 200


@pytest.mark.parametrize("path", [*TYPE_PATHS, "/send_channel_types"])
def test_the_seed_dictionaries_are_read_only(client: TestClient[Any], path: str) -> None:
    response = client.post(path, json={"name": "x"})
    assert response.status_code == 405
    assert response.json()["error"]["status"] == 405


def test_the_seed_dictionaries_are_documented(client: TestClient[Any]) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/communication_types", "/communication types", "/send_channel_types"} <= set(paths)


def test_the_seed_dictionaries_answer_alike_on_sql_storage(sql_client: TestClient[Any]) -> None:
    for path in TYPE_PATHS:
        assert sql_client.get(path).json() == SEED_COMMUNICATION_TYPES
    assert sql_client.get("/send_channel_types").json() == SEED_SEND_CHANNEL_TYPES
    sql_client.patch("/api/v1/channels/sms", json={"active": False})
    assert [c["name"] for c in sql_client.get("/send_channel_types").json()] == ["Messenger", "Email", "Push"]
