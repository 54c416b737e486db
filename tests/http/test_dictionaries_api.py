"""/api/v1 communication types, channels, documents and rules through the real app."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from litestar.testing import TestClient

from domain.clients import ChannelBlock, Client
from tests.http.conftest import basic, create, user_with

READER = basic("reader", "secret1")


def make_reader(client: TestClient[Any]) -> dict[str, str]:
    """An employee whose role lacks manage_system; returns their credentials."""
    return user_with(client, "reader", "read_statistics")


def block_channel(client: TestClient[Any], channel_id: int) -> None:
    """Blocks a channel for a new client straight through the app's storage (no route needed)."""
    uow_factory = client.app.state.container.storage.uow_factory()
    now = datetime(2026, 3, 2, tzinfo=UTC)

    async def arrange() -> None:
        async with uow_factory() as uow:
            person = await uow.clients.add(Client(first_name="Ann", create_time=now, update_time=now))
            await uow.channel_blocks.add(
                ChannelBlock(client_id=person.id, channel_id=channel_id, create_time=now, update_time=now)
            )
            await uow.commit()

    client.blocking_portal.call(arrange)


def department(client: TestClient[Any]) -> int:
    company = create(client, "/api/v1/companies", {"name": "Acme", "code": "acme"})
    return int(
        create(client, "/api/v1/departments", {"companyId": company["id"], "name": "Sales", "code": "sales"})[
            "id"
        ]
    )


def fields(response: Any) -> list[str]:
    assert response.status_code == 400, response.text
    return [d["field"] for d in response.json()["error"]["details"]]


def missing(response: Any) -> str:
    """The message of a 400 about a missing required field (the edge names the field in it)."""
    assert response.status_code == 400, response.text
    [detail] = response.json()["error"]["details"]
    assert "missing required field" in detail["message"]
    return str(detail["message"])


WRITES = [
    ("post", "/api/v1/communication-types", {"name": "Promo", "code": "promo"}),
    ("patch", "/api/v1/communication-types/mass", {"name": "Mass"}),
    ("put", "/api/v1/communication-types/mass", {"name": "Mass"}),
    ("delete", "/api/v1/communication-types/mass", None),
    ("post", "/api/v1/channels", {"name": "Tg", "code": "tg", "kind": "messenger"}),
    ("patch", "/api/v1/channels/sms", {"name": "Texts"}),
    ("delete", "/api/v1/channels/sms", None),
    ("post", "/api/v1/documents", {"name": "Hi", "body": "Hi"}),
    ("patch", "/api/v1/documents/1", {"name": "Hi"}),
    ("delete", "/api/v1/documents/1", None),
    ("post", "/api/v1/rules", {"departmentId": 1, "name": "R"}),
    ("patch", "/api/v1/rules/1", {"name": "R"}),
    ("delete", "/api/v1/rules/1", None),
]
LISTS = ["/api/v1/communication-types", "/api/v1/channels", "/api/v1/documents", "/api/v1/rules"]


# -- access ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", LISTS)
def test_dictionaries_need_credentials(client: TestClient[Any], path: str) -> None:
    response = client.get(path, headers={"Authorization": ""})
    assert response.status_code == 401
    assert response.json()["error"]["status"] == 401
    assert client.get(path, headers=basic("Admin", "wrong")).status_code == 401


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_changing_a_dictionary_needs_manage_system(
    client: TestClient[Any], method: str, path: str, body: dict[str, Any] | None
) -> None:
    reader = make_reader(client)
    kwargs: dict[str, Any] = {"headers": reader} if body is None else {"headers": reader, "json": body}
    response = client.request(method.upper(), path, **kwargs)
    assert response.status_code == 403, response.text
    assert response.json()["error"]["permission"] == "manage_system"
    assert "manage_system" in response.json()["error"]["message"]


@pytest.mark.parametrize("path", LISTS)
def test_reading_a_dictionary_needs_only_a_login(client: TestClient[Any], path: str) -> None:
    assert client.get(path, headers=make_reader(client)).status_code == 200


# -- communication types --------------------------------------------------------------------


def test_the_default_types_are_listed_with_their_codes(client: TestClient[Any]) -> None:
    page = client.get("/api/v1/communication-types").json()
    assert page["total"] == 6 and (page["limit"], page["offset"]) == (50, 0)
    assert [t["code"] for t in page["items"]] == [
        "mass",
        "personal",
        "informational",
        "survey",
        "commercial_survey",
        "service",
    ]
    first = page["items"][0]
    assert set(first) == {"id", "name", "code", "description", "active", "createTime", "updateTime"}
    assert (first["name"], first["active"]) == ("Массовая коммуникация", True)


def test_a_type_is_got_by_id_code_or_name(client: TestClient[Any]) -> None:
    assert client.get("/api/v1/communication-types/4").json()["code"] == "survey"
    assert client.get("/api/v1/communication-types/survey").json()["id"] == 4
    assert client.get("/api/v1/communication-types/Коммерческий опрос").json()["code"] == "commercial_survey"
    missing = client.get("/api/v1/communication-types/999")
    assert missing.status_code == 404 and missing.json()["error"]["status"] == 404
    assert client.get("/api/v1/communication-types/nothing").status_code == 404


def test_a_type_is_created_changed_and_deleted(client: TestClient[Any]) -> None:
    created = create(
        client, "/api/v1/communication-types", {"name": "Promo", "code": "promo", "description": "Offers"}
    )
    assert (created["code"], created["active"]) == ("promo", True)
    changed = client.patch(f"/api/v1/communication-types/{created['id']}", json={"description": None})
    assert changed.status_code == 200 and changed.json()["description"] is None
    replaced = client.put("/api/v1/communication-types/promo", json={"name": "Promotion", "active": False})
    assert replaced.json()["name"] == "Promotion"
    inactive = client.get("/api/v1/communication-types", params={"active": "false"}).json()
    assert [t["code"] for t in inactive["items"]] == ["promo"]
    assert client.delete("/api/v1/communication-types/Promotion").status_code == 204
    assert client.get(f"/api/v1/communication-types/{created['id']}").status_code == 404
    assert client.delete(f"/api/v1/communication-types/{created['id']}").status_code == 404


def test_types_refuse_bad_bodies(client: TestClient[Any]) -> None:
    assert "`code`" in missing(client.post("/api/v1/communication-types", json={"name": "Promo"}))
    assert "name" in fields(client.post("/api/v1/communication-types", json={"name": 5, "code": "p"}))[0]
    unknown = client.post("/api/v1/communication-types", json={"name": "P", "code": "p", "colour": "red"})
    assert unknown.status_code == 400 and "colour" in unknown.text
    assert client.post("/api/v1/communication-types", json={"name": "", "code": "p"}).status_code == 400
    assert (
        client.post(
            "/api/v1/communication-types", content=b"{not json", headers={"Content-Type": "application/json"}
        ).status_code
        == 400
    )
    assert client.patch("/api/v1/communication-types/mass", json={"active": "yes"}).status_code == 400


def test_type_codes_and_names_are_unique(client: TestClient[Any]) -> None:
    duplicate_code = client.post("/api/v1/communication-types", json={"name": "Bulk", "code": "mass"})
    assert duplicate_code.status_code == 409 and "mass" in duplicate_code.json()["error"]["message"]
    assert client.post("/api/v1/communication-types", json={"name": "Опрос", "code": "q"}).status_code == 409
    assert client.patch("/api/v1/communication-types/personal", json={"code": "mass"}).status_code == 400
    create(client, "/api/v1/communication-types", {"name": "Promo", "code": "promo"})
    assert client.patch("/api/v1/communication-types/promo", json={"name": "Опрос"}).status_code == 409


def test_a_default_type_is_edited_and_deactivated_but_not_recoded_or_deleted(client: TestClient[Any]) -> None:
    edited = client.patch("/api/v1/communication-types/mass", json={"name": "Mass", "active": False})
    assert edited.status_code == 200 and (edited.json()["name"], edited.json()["active"]) == ("Mass", False)
    assert fields(client.patch("/api/v1/communication-types/mass", json={"code": "bulk"})) == ["code"]
    deleted = client.delete("/api/v1/communication-types/mass")
    assert deleted.status_code == 409 and "deactivate" in deleted.json()["error"]["message"]


def test_a_type_a_role_may_send_cannot_be_deleted(client: TestClient[Any]) -> None:
    promo = create(client, "/api/v1/communication-types", {"name": "Promo", "code": "promo"})
    create(
        client,
        "/api/v1/roles",
        {
            "name": "Sender",
            "permissions": [{"permission": "send_communications", "communicationTypeIds": [promo["id"]]}],
        },
    )
    response = client.delete("/api/v1/communication-types/promo")
    assert response.status_code == 409
    assert response.json()["error"]["references"] == {"roles": 1}


# -- channels -------------------------------------------------------------------------------


def test_channels_are_filtered_by_kind_activity_and_dispatchability(client: TestClient[Any]) -> None:
    assert [c["code"] for c in client.get("/api/v1/channels?kind=email").json()["items"]] == ["email"]
    sendable = client.get("/api/v1/channels?dispatchable=true").json()
    assert [c["name"] for c in sendable["items"]] == ["SMS", "Messenger", "Email", "Push"]
    assert client.get("/api/v1/channels").json()["total"] == 9
    client.patch("/api/v1/channels/visit", json={"active": False})
    assert [c["code"] for c in client.get("/api/v1/channels?active=false").json()["items"]] == ["visit"]
    by_kind = client.get("/api/v1/channels?sort=-kind&limit=2").json()
    assert [c["kind"] for c in by_kind["items"]] == ["website", "visit"]
    assert fields(client.get("/api/v1/channels?kind=pigeon"))
    assert fields(client.get("/api/v1/channels?sort=colour")) == ["sort"]


def test_a_channel_is_created_got_changed_and_deleted(client: TestClient[Any]) -> None:
    body = {"name": "Telegram", "code": "telegram", "kind": "messenger", "dispatchable": True}
    created = create(client, "/api/v1/channels", body)
    assert {k: created[k] for k in body} == body
    assert (created["active"], created["description"]) == (True, None)
    assert client.get("/api/v1/channels/Telegram").json()["id"] == created["id"]
    recoded = client.patch("/api/v1/channels/telegram", json={"code": "tg", "kind": "social"})
    assert (recoded.json()["code"], recoded.json()["kind"]) == ("tg", "social")
    assert client.delete("/api/v1/channels/tg").status_code == 204
    assert client.get("/api/v1/channels/tg").status_code == 404


def test_channels_refuse_bad_bodies_and_duplicates(client: TestClient[Any]) -> None:
    assert "`kind`" in missing(client.post("/api/v1/channels", json={"name": "X", "code": "x"}))
    assert client.post("/api/v1/channels", json={"name": "X", "code": "x", "kind": "fax"}).status_code == 400
    assert (
        client.post(
            "/api/v1/channels", json={"name": "X", "code": "x", "kind": "sms", "dispatchable": "no"}
        ).status_code
        == 400
    )
    assert (
        client.post("/api/v1/channels", json={"name": "SMS 2", "code": "sms", "kind": "sms"}).status_code
        == 409
    )
    assert fields(client.patch("/api/v1/channels/sms", json={"kind": "push"})) == ["kind"]
    assert client.patch("/api/v1/channels/404", json={"name": "X"}).status_code == 404


def test_a_blocked_channel_cannot_be_deleted(client: TestClient[Any]) -> None:
    channel = create(
        client, "/api/v1/channels", {"name": "Telegram", "code": "telegram", "kind": "messenger"}
    )
    block_channel(client, channel["id"])
    response = client.delete(f"/api/v1/channels/{channel['id']}")
    assert response.status_code == 409
    assert response.json()["error"]["references"] == {"channel blocks": 1}
    assert "channel blocks" in response.json()["error"]["message"]
    assert client.get(f"/api/v1/channels/{channel['id']}").status_code == 200


def test_a_blocked_channel_cannot_be_deleted_on_sql(sql_client: TestClient[Any]) -> None:
    sms = sql_client.get("/api/v1/channels/sms").json()
    block_channel(sql_client, sms["id"])
    response = sql_client.delete("/api/v1/channels/sms")
    assert response.status_code == 409
    assert response.json()["error"]["references"] == {"channel blocks": 1}


# -- documents ------------------------------------------------------------------------------


def test_a_document_is_created_found_filtered_changed_and_deleted(client: TestClient[Any]) -> None:
    body = {
        "name": "Welcome",
        "kind": "email_template",
        "subject": "Hello",
        "body": "Hello, {firstName}!",
        "locale": "ru",
    }
    created = create(client, "/api/v1/documents", body)
    assert {k: created[k] for k in body} == body and created["mediaUrl"] is None
    clip = create(
        client,
        "/api/v1/documents",
        {"name": "Clip", "kind": "video", "mediaUrl": "https://cdn.example.com/clip.mp4"},
    )
    assert clip["body"] is None
    assert client.get("/api/v1/documents/welcome").json()["id"] == created["id"]
    videos = client.get("/api/v1/documents", params={"kind": "video"}).json()
    assert [d["name"] for d in videos["items"]] == ["Clip"]
    assert client.get("/api/v1/documents", params={"locale": "ru"}).json()["total"] == 1
    assert client.get("/api/v1/documents", params={"q": "hell"}).json()["total"] == 1
    changed = client.patch(f"/api/v1/documents/{created['id']}", json={"body": "Hi, {firstName}"})
    assert changed.json()["body"] == "Hi, {firstName}"
    assert client.delete("/api/v1/documents/Clip").status_code == 204
    assert client.get("/api/v1/documents/Clip").status_code == 404


def test_documents_refuse_bad_bodies_and_duplicates(client: TestClient[Any]) -> None:
    assert fields(client.post("/api/v1/documents", json={"name": "Empty"})) == ["body"]
    assert fields(client.post("/api/v1/documents", json={"name": "Clip", "kind": "video"})) == ["mediaUrl"]
    assert (
        "mediaUrl"
        in fields(
            client.post("/api/v1/documents", json={"name": "Clip", "kind": "video", "mediaUrl": "not a url"})
        )[0]
    )
    assert client.post("/api/v1/documents", json={"name": "X", "body": "x", "locale": "?"}).status_code == 400
    assert client.post("/api/v1/documents", json={"name": "X", "body": "x", "kind": "fax"}).status_code == 400
    assert client.post("/api/v1/documents", json={"name": "X", "body": "x", "size": 1}).status_code == 400
    create(client, "/api/v1/documents", {"name": "Welcome", "body": "Hi"})
    assert client.post("/api/v1/documents", json={"name": "Welcome", "body": "Hi"}).status_code == 409
    assert fields(client.patch("/api/v1/documents/Welcome", json={"body": None})) == ["body"]
    assert client.get("/api/v1/documents/404").status_code == 404


# -- rules ----------------------------------------------------------------------------------


def test_a_rule_is_created_in_full_and_answers_in_the_documented_shape(client: TestClient[Any]) -> None:
    department_id = department(client)
    created = create(
        client,
        "/api/v1/rules",
        {
            "departmentId": department_id,
            "name": "Sales",
            "allowedTypeIds": [2, 1],
            "allowedChannelIds": [1, 3],
            "channelPriority": [3, 1],
            "quietHours": {"start": "22:00", "end": "08:00"},
            "allowedWeekdays": [0, 1, 2, 3, 4],
            "maxPerDay": 1,
            "maxPerWeek": 3,
            "minIntervalMinutes": 120,
            "autoSelect": True,
        },
    )
    assert set(created) == {
        "id",
        "departmentId",
        "name",
        "allowedTypeIds",
        "allowedChannelIds",
        "channelPriority",
        "quietHours",
        "allowedWeekdays",
        "maxPerDay",
        "maxPerWeek",
        "minIntervalMinutes",
        "autoSelect",
        "active",
        "createTime",
        "updateTime",
    }
    assert created["allowedTypeIds"] == [1, 2] and created["channelPriority"] == [3, 1]
    assert created["quietHours"] == {"start": "22:00", "end": "08:00", "policy": "defer"}
    assert (created["autoSelect"], created["active"], created["maxPerWeek"]) == (True, True, 3)
    assert client.get("/api/v1/rules/Sales").json() == created


def test_a_rule_keeps_its_quiet_hours_policy(client: TestClient[Any]) -> None:
    department_id = department(client)
    quiet = {"start": "13:00", "end": "14:00", "policy": "drop"}
    created = create(
        client, "/api/v1/rules", {"departmentId": department_id, "name": "Lunch", "quietHours": quiet}
    )
    assert created["quietHours"] == quiet
    assert client.get("/api/v1/rules/Lunch").json()["quietHours"] == quiet
    bad = client.post(
        "/api/v1/rules",
        json={"departmentId": department_id, "name": "Odd", "quietHours": {**quiet, "policy": "later"}},
    )
    assert bad.status_code == 400


def test_a_rule_has_sensible_defaults(client: TestClient[Any]) -> None:
    created = create(client, "/api/v1/rules", {"departmentId": department(client), "name": "Open"})
    assert created["quietHours"] is None and created["allowedWeekdays"] == [0, 1, 2, 3, 4, 5, 6]
    assert (created["allowedTypeIds"], created["allowedChannelIds"], created["channelPriority"]) == (
        [],
        [],
        [],
    )
    assert (created["maxPerDay"], created["autoSelect"], created["active"]) == (None, False, True)


def test_a_rule_with_a_dangling_department_or_ids_names_the_fields(client: TestClient[Any]) -> None:
    response = client.post(
        "/api/v1/rules",
        json={"departmentId": 404, "name": "Ghost", "allowedTypeIds": [77], "allowedChannelIds": [88]},
    )
    assert response.status_code == 400
    assert response.json()["error"]["details"] == [
        {"field": "departmentId", "message": "no department with id 404"},
        {"field": "allowedTypeIds", "message": "no communication type with id 77"},
        {"field": "allowedChannelIds", "message": "no channel with id 88"},
    ]


def test_rules_refuse_bad_bodies(client: TestClient[Any]) -> None:
    department_id = department(client)

    def post(**changes: Any) -> Any:
        return client.post("/api/v1/rules", json={"departmentId": department_id, "name": "R", **changes})

    assert "`departmentId`" in missing(client.post("/api/v1/rules", json={"name": "R"}))
    assert post(quietHours={"start": "25:00", "end": "08:00"}).status_code == 400
    assert post(quietHours={"start": "22:00"}).status_code == 400
    assert post(quietHours={"start": "22:00", "end": "08:00", "tz": "UTC"}).status_code == 400
    assert fields(post(quietHours={"start": "22:00", "end": "22:00"})) == ["quietHours"]
    assert post(allowedWeekdays=[7]).status_code == 400
    assert fields(post(allowedWeekdays=[])) == ["allowedWeekdays"]
    assert post(maxPerDay=-1).status_code == 400
    assert fields(post(maxPerDay=5, maxPerWeek=2)) == ["maxPerDay"]
    assert fields(post(allowedChannelIds=[1], channelPriority=[2])) == ["channelPriority"]
    assert post(departmentId="sales").status_code == 400
    assert post(colour="red").status_code == 400


def test_rules_are_filtered_changed_and_deleted(client: TestClient[Any]) -> None:
    department_id = department(client)
    create(client, "/api/v1/rules", {"departmentId": department_id, "name": "Day", "active": False})
    night = create(
        client,
        "/api/v1/rules",
        {"departmentId": department_id, "name": "Night", "quietHours": {"start": "08:00", "end": "20:00"}},
    )
    assert client.get(f"/api/v1/rules?departmentId={department_id}").json()["total"] == 2
    assert client.get(f"/api/v1/rules?departmentId={department_id + 1}").json()["total"] == 0
    assert [r["name"] for r in client.get("/api/v1/rules?active=false").json()["items"]] == ["Day"]
    assert fields(client.get("/api/v1/rules?departmentId=0"))
    cleared = client.patch("/api/v1/rules/Night", json={"quietHours": None, "maxPerDay": 2})
    assert cleared.status_code == 200
    assert (cleared.json()["quietHours"], cleared.json()["maxPerDay"]) == (None, 2)
    assert cleared.json()["id"] == night["id"]
    assert client.patch("/api/v1/rules/Night", json={"name": "Day"}).status_code == 409
    assert fields(client.patch("/api/v1/rules/Night", json={"departmentId": 999})) == ["departmentId"]
    assert client.patch("/api/v1/rules/404", json={"name": "X"}).status_code == 404
    assert client.delete("/api/v1/rules/Night").status_code == 204
    assert client.get(f"/api/v1/rules/{night['id']}").status_code == 404


def test_rule_names_are_unique(client: TestClient[Any]) -> None:
    department_id = department(client)
    create(client, "/api/v1/rules", {"departmentId": department_id, "name": "Sales"})
    duplicate = client.post("/api/v1/rules", json={"departmentId": department_id, "name": "Sales"})
    assert duplicate.status_code == 409 and "Sales" in duplicate.json()["error"]["message"]


def test_a_channel_or_department_a_rule_uses_cannot_be_deleted(client: TestClient[Any]) -> None:
    department_id = department(client)
    channel = create(
        client, "/api/v1/channels", {"name": "Telegram", "code": "telegram", "kind": "messenger"}
    )
    create(
        client,
        "/api/v1/rules",
        {"departmentId": department_id, "name": "Sales", "allowedChannelIds": [channel["id"]]},
    )
    in_rule = client.delete("/api/v1/channels/telegram")
    assert in_rule.status_code == 409 and in_rule.json()["error"]["references"] == {"rules": 1}
    owner = client.delete(f"/api/v1/departments/{department_id}")
    assert owner.status_code == 409 and owner.json()["error"]["references"] == {"rules": 1}


def test_rules_round_trip_through_sql_storage(sql_client: TestClient[Any]) -> None:
    department_id = department(sql_client)
    created = create(
        sql_client,
        "/api/v1/rules",
        {
            "departmentId": department_id,
            "name": "Sales",
            "allowedChannelIds": [2, 1],
            "channelPriority": [2, 1],
            "quietHours": {"start": "21:30", "end": "09:15"},
        },
    )
    loaded = sql_client.get(f"/api/v1/rules/{created['id']}").json()
    assert loaded == created
    assert loaded["allowedChannelIds"] == [1, 2] and loaded["quietHours"] == {
        "start": "21:30",
        "end": "09:15",
        "policy": "defer",
    }
    dangling = sql_client.post("/api/v1/rules", json={"departmentId": 404, "name": "Ghost"})
    assert fields(dangling) == ["departmentId"]
