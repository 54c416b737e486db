"""/api/v1/clients/{key}/push-subscriptions: store, list, delete; a subscription is contact data for Push."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from tests.http.conftest import create, user_with
from tests.support.push_service import Browser

PUSH, EMAIL = 4, 3


def a_client(client: TestClient[Any], **fields: Any) -> int:
    return int(create(client, "/api/v1/clients", {"firstName": "Ivan", **fields})["id"])


def subscription(browser: Browser | None = None, **overrides: Any) -> dict[str, Any]:
    browser = browser or Browser(path="/x")
    body: dict[str, Any] = {
        "endpoint": f"https://push.example.com/send/{id(browser)}",
        "keys": {"p256dh": browser.p256dh, "auth": browser.auth},
        "expirationTime": None,
    }
    body.update(overrides)
    return body


def subscriptions_of(client: TestClient[Any], client_id: int | str) -> Any:
    response = client.get(f"/api/v1/clients/{client_id}/push-subscriptions")
    assert response.status_code == 200, response.text
    return response.json()


def routes_work(client: TestClient[Any]) -> None:
    ivan = a_client(client)
    body = subscription(expirationTime=1_893_456_000_000)
    response = client.post(f"/api/v1/clients/{ivan}/push-subscriptions", json=body)
    assert response.status_code == 201, response.text
    stored = response.json()
    assert set(stored) == {"id", "clientId", "endpoint", "keys", "expirationTime", "createTime", "updateTime"}
    assert stored["clientId"] == ivan and stored["endpoint"] == body["endpoint"]
    assert stored["keys"] == body["keys"]
    assert stored["expirationTime"] == "2030-01-01T00:00:00.000+00:00"

    # The same browser subscribing again (new keys) updates the row instead of adding one.
    renewed = subscription(endpoint=body["endpoint"])
    again = client.post(f"/api/v1/clients/{ivan}/push-subscriptions", json=renewed)
    assert again.status_code == 201 and again.json()["id"] == stored["id"]
    other = create(client, f"/api/v1/clients/{ivan}/push-subscriptions", subscription())
    listed = subscriptions_of(client, ivan)
    assert listed["total"] == 2
    assert [s["id"] for s in listed["items"]] == [stored["id"], other["id"]]
    assert listed["items"][0]["keys"] == renewed["keys"]

    assert client.delete(f"/api/v1/clients/{ivan}/push-subscriptions/{stored['id']}").status_code == 204
    assert [s["id"] for s in subscriptions_of(client, ivan)["items"]] == [other["id"]]
    gone = client.delete(f"/api/v1/clients/{ivan}/push-subscriptions/{stored['id']}")
    assert gone.status_code == 404
    # Another client's subscription cannot be deleted through this client.
    petr = a_client(client, firstName="Petr")
    assert client.delete(f"/api/v1/clients/{petr}/push-subscriptions/{other['id']}").status_code == 404
    assert client.get("/api/v1/clients/999999/push-subscriptions").status_code == 404
    assert client.post("/api/v1/clients/999999/push-subscriptions", json=subscription()).status_code == 404


def test_subscriptions_are_stored_listed_renewed_and_deleted(client: TestClient[Any]) -> None:
    routes_work(client)


def test_the_routes_work_on_sql_storage(sql_client: TestClient[Any]) -> None:
    routes_work(sql_client)
    # Deleting the client takes its subscriptions along (the foreign key cascades).
    ivan = a_client(sql_client, firstName="Olga")
    create(sql_client, f"/api/v1/clients/{ivan}/push-subscriptions", subscription())
    assert sql_client.delete(f"/api/v1/clients/{ivan}").status_code == 204


def fields_of(response: Any) -> list[str]:
    assert response.status_code == 400, response.text
    return [d["field"] for d in response.json()["error"]["details"]]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"endpoint": "http://push.example.com/send/1"}, "endpoint"),
        ({"endpoint": "not a url"}, "endpoint"),
        ({"endpoint": "https://" + "a" * 3000}, "endpoint"),
        ({"keys": {"p256dh": "AAAA", "auth": "AAAAAAAAAAAAAAAAAAAAAA"}}, "keys.p256dh"),
        ({"keys": {"p256dh": "not base64url!", "auth": "AAAAAAAAAAAAAAAAAAAAAA"}}, "keys.p256dh"),
        ({"keys": {"p256dh": Browser(path="/y").p256dh, "auth": "c2hvcnQ"}}, "keys.auth"),
        ({"keys": {"p256dh": Browser(path="/y").p256dh}}, "keys.auth"),
        ({"expirationTime": -1}, "expirationTime"),
        ({"expirationTime": "tomorrow"}, "expirationTime"),
        ({"extra": 1}, "extra"),
    ],
)
def test_bad_subscriptions_are_400s_naming_the_field(
    client: TestClient[Any], overrides: dict[str, Any], field: str
) -> None:
    ivan = a_client(client)
    response = client.post(f"/api/v1/clients/{ivan}/push-subscriptions", json=subscription(**overrides))
    assert field in fields_of(response)
    assert subscriptions_of(client, ivan)["total"] == 0


def test_a_bad_subscription_id_is_a_400_naming_it(client: TestClient[Any]) -> None:
    ivan = a_client(client)
    assert fields_of(client.delete(f"/api/v1/clients/{ivan}/push-subscriptions/abc")) == ["subscriptionId"]


def test_storing_needs_the_right_to_manage_clients(client: TestClient[Any]) -> None:
    ivan = a_client(client)
    reader = user_with(client, "reader", "read_statistics")
    response = client.post(f"/api/v1/clients/{ivan}/push-subscriptions", json=subscription(), headers=reader)
    assert response.status_code == 403


def test_a_client_is_reachable_on_push_only_with_a_stored_subscription(client: TestClient[Any]) -> None:
    company = create(client, "/api/v1/companies", {"name": "Acme", "code": "acme"})
    body = {"companyId": company["id"], "name": "Sales", "code": "sales", "timeZone": "UTC"}
    department_id = create(client, "/api/v1/departments", body)["id"]
    subscribed = a_client(client, email="a@example.com")
    unsubscribed = a_client(client, email="b@example.com")
    create(client, f"/api/v1/clients/{subscribed}/push-subscriptions", subscription())

    response = client.post(
        "/api/v1/sends",
        json={
            "communicationTypeId": 1,
            "departmentId": department_id,
            "text": "Hi",
            "clientIds": [subscribed, unsubscribed],
            "channels": [PUSH, EMAIL],
        },
    )
    assert response.status_code == 202, response.text
    channel_of = {a["clientId"]: a["channelId"] for a in response.json()["accepted"]}
    assert channel_of == {subscribed: PUSH, unsubscribed: EMAIL}  # no browser: the next channel

    only_push = client.post(
        "/api/v1/sends",
        json={
            "communicationTypeId": 1,
            "departmentId": department_id,
            "text": "Hi",
            "clientIds": [unsubscribed],
            "channels": [PUSH],
        },
    ).json()
    assert only_push["refused"][0]["reason"] == "no_contact"


def test_the_vapid_public_key_is_served_and_stays_the_same(client: TestClient[Any]) -> None:
    first = client.get("/api/v1/push/vapid-public-key")
    assert first.status_code == 200, first.text
    key = first.json()["publicKey"]
    assert len(key) == 87 and key.startswith("B")  # base64url of a 65-byte uncompressed point
    assert client.get("/api/v1/push/vapid-public-key").json()["publicKey"] == key
