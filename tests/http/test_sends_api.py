"""POST /api/v1/sends: rules per client and channel, fallback, idempotency, templates; GET progress."""

from __future__ import annotations

import time
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.http.conftest import create

SMS, MESSENGER, EMAIL, CALL = 1, 2, 3, 6
MASS = 1


def department(client: TestClient[Any], code: str = "acme") -> int:
    company = create(client, "/api/v1/companies", {"name": code.title(), "code": code})
    body = {"companyId": company["id"], "name": "Sales", "code": "sales", "timeZone": "Europe/Moscow"}
    return int(create(client, "/api/v1/departments", body)["id"])


def a_client(client: TestClient[Any], **fields: Any) -> int:
    return int(create(client, "/api/v1/clients", {"firstName": "Ivan", **fields})["id"])


def send(client: TestClient[Any], headers: dict[str, str] | None = None, **body: Any) -> Any:
    return client.post("/api/v1/sends", json={"communicationTypeId": MASS, **body}, headers=headers or {})


def details(response: Any) -> list[str]:
    assert response.status_code == 400, response.text
    return [d["field"] for d in response.json()["error"]["details"]]


def test_accepted_clients_get_a_queued_communication_and_refused_ones_a_reason(
    client: TestClient[Any],
) -> None:
    department_id = department(client)
    ivan = a_client(client, email="ivan@example.com", phones=["+79001234567"])
    phone_only = a_client(client, phones=["+79007654321"])
    opted_out = a_client(client, email="x@example.com", available=False)
    response = send(
        client,
        departmentId=department_id,
        subject="Hi {{ client.firstName }}",
        text="Your code is {{ code }}",
        variables={"code": 4711},
        clientIds=[ivan, phone_only, opted_out],
        channels=[EMAIL, SMS],
    )
    assert response.status_code == 202, response.text
    answer = response.json()
    assert set(answer) == {"sendId", "acceptedCount", "refusedCount", "accepted", "refused"}
    assert (answer["acceptedCount"], answer["refusedCount"]) == (2, 1)
    by_client = {a["clientId"]: a for a in answer["accepted"]}
    assert by_client[ivan]["channelId"] == EMAIL
    assert by_client[phone_only]["channelId"] == SMS  # no email: the next channel in the list
    assert set(by_client[ivan]) == {"clientId", "uuid", "channelId", "scheduledAt"}
    assert answer["refused"] == [
        {
            "clientId": opted_out,
            "reason": "unavailable",
            "message": "the client has opted out of communications",
        }
    ]
    stored = client.get(f"/api/v1/communications/{by_client[ivan]['uuid']}").json()
    assert (stored["subject"], stored["content"], stored["status"]) == (
        "Hi Ivan",
        "Your code is 4711",
        "created",
    )

    progress = client.get(f"/api/v1/sends/{answer['sendId']}").json()
    assert progress["acceptedCount"] == 2 and progress["refusedCount"] == 1
    assert progress["lifecycle"] == {"created": 2}
    assert progress["accepted"]["total"] == 2 and len(progress["accepted"]["items"]) == 2
    assert progress["refused"]["items"][0]["reason"] == "unavailable"


def test_every_channel_refused_gives_the_first_reason_and_all_messages(client: TestClient[Any]) -> None:
    department_id = department(client)
    bare = a_client(client)
    answer = send(
        client, departmentId=department_id, text="x", clientIds=[bare], channels=[EMAIL, CALL]
    ).json()
    [refused] = answer["refused"]
    assert refused["reason"] == "no_contact"
    assert "email address" in refused["message"] and "no provider" in refused["message"]


def test_the_same_idempotency_key_answers_the_first_result_and_another_body_is_a_conflict(
    client: TestClient[Any],
) -> None:
    department_id = department(client)
    ivan = a_client(client, email="ivan@example.com")
    body = {"departmentId": department_id, "text": "Hello", "clientIds": [ivan], "channels": [EMAIL]}
    first = send(client, {"Idempotency-Key": "order-42"}, **body)
    again = send(client, {"Idempotency-Key": "order-42"}, **body)
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json()
    in_body = send(client, **body, idempotencyKey="order-42")
    assert in_body.json() == first.json()
    different = send(client, {"Idempotency-Key": "order-42"}, **{**body, "text": "Bye"})
    assert different.status_code == 409
    assert different.json()["error"]["status"] == 409
    listed = client.get("/api/v1/communications", params={"clientId": ivan}).json()
    assert listed["total"] == 1


@pytest.mark.parametrize(
    ("content", "field"),
    [
        ({"text": "Hi {{ client.nickname }}"}, "text"),
        ({"text": "ok", "subject": "{{ unknown_variable }}"}, "subject"),
        ({"text": "{% if %}"}, "text"),
        ({"html": "<p>{{ client.firstName </p>"}, "html"),
    ],
)
def test_a_template_error_refuses_the_whole_request_naming_the_problem(
    client: TestClient[Any], content: dict[str, str], field: str
) -> None:
    department_id = department(client)
    ivan = a_client(client, email="ivan@example.com")
    response = send(client, departmentId=department_id, clientIds=[ivan], channels=[EMAIL], **content)
    assert details(response) == [field]
    assert client.get("/api/v1/communications").json()["total"] == 0


def test_bad_requests_are_400s_naming_the_field(client: TestClient[Any]) -> None:
    department_id = department(client)
    ivan = a_client(client, email="ivan@example.com")
    base = {"departmentId": department_id, "text": "x", "clientIds": [ivan]}
    assert "channels[0]" in details(send(client, **base, channels=["auto"]))[0]
    assert details(send(client, **base, channels=[404])) == ["channels"]
    assert details(send(client, text="x", clientIds=[ivan], channels=[EMAIL])) == ["departmentId"]
    assert details(send(client, **base, channels=[EMAIL], groupId=1)) == ["audience"]
    assert details(send(client, **{**base, "clientIds": [ivan, 999]}, channels=[EMAIL])) == ["clientIds"]
    assert details(send(client, departmentId=department_id, clientIds=[ivan], channels=[EMAIL])) == ["text"]
    assert send(client, **base, channels=[EMAIL], at="2026-12-01T10:00:00").status_code == 400  # no offset
    assert client.get("/api/v1/sends/999").status_code == 404


def test_per_client_times_are_kept(client: TestClient[Any]) -> None:
    department_id = department(client)
    ivan = a_client(client, email="ivan@example.com")
    later = "2099-01-05T09:00:00+00:00"
    answer = send(
        client,
        departmentId=department_id,
        text="x",
        recipients=[{"clientId": ivan, "at": later}],
        channels=[EMAIL],
    ).json()
    assert answer["accepted"][0]["scheduledAt"] == "2099-01-05T09:00:00.000+00:00"


def test_a_group_audience_and_frequency_caps_read_from_the_send_counts(client: TestClient[Any]) -> None:
    caps_scenario(client)


def caps_scenario(client: TestClient[Any], company_code: str = "acme") -> None:
    department_id = department(client, company_code)
    members = [a_client(client, email=f"c{i}@example.com") for i in range(3)]
    group = create(client, "/api/v1/client-groups", {"name": "VIP"})
    added = client.post(f"/api/v1/client-groups/{group['id']}/members", json={"clientIds": members})
    assert added.status_code in (200, 201), added.text
    create(client, "/api/v1/rules", {"departmentId": department_id, "name": "Once a day", "maxPerDay": 1})
    body = {"departmentId": department_id, "text": "x", "groupId": group["id"], "channels": [EMAIL]}
    assert send(client, **body).json()["acceptedCount"] == 3
    second = send(client, **body).json()
    assert second["acceptedCount"] == 0
    assert {r["reason"] for r in second["refused"]} == {"frequency_cap"}


def test_sends_through_sql_storage(sql_client: TestClient[Any]) -> None:
    test_accepted_clients_get_a_queued_communication_and_refused_ones_a_reason(sql_client)


def test_idempotency_and_caps_through_sql_storage(sql_client: TestClient[Any]) -> None:
    test_the_same_idempotency_key_answers_the_first_result_and_another_body_is_a_conflict(sql_client)
    caps_scenario(sql_client, company_code="beta")


def many_clients(client: TestClient[Any], count: int) -> list[int]:
    """``count`` clients with an email each, stored directly on the app's own loop: a thousand
    POSTs would take most of the test."""
    from datetime import UTC, datetime

    from domain.clients import Client

    uow_factory = client.app.state["container"].storage.uow_factory()
    now = datetime.now(UTC)

    async def add() -> list[int]:
        async with uow_factory() as uow:
            made = [
                await uow.clients.add(
                    Client(
                        first_name=f"C{i}",
                        email=f"c{i}@example.com",
                        phones=[],
                        create_time=now,
                        update_time=now,
                    )
                )
                for i in range(count)
            ]
            await uow.commit()
        return [c.id for c in made]

    return list(client.blocking_portal.call(add))


def bulk_scenario(client: TestClient[Any], company_code: str = "acme") -> None:
    department_id = department(client, company_code)
    ids = many_clients(client, 1_001)
    body = {"departmentId": department_id, "text": "Hi {{ client.firstName }}", "channels": [EMAIL]}
    broken = send(client, **{**body, "text": "Hi {{ nobody }}"}, clientIds=ids)
    assert details(broken) == ["text"]  # the whole request, as below the limit
    response = send(client, **body, clientIds=ids)
    assert response.status_code == 202, response.text
    answer = response.json()
    assert (answer["acceptedCount"], answer["refusedCount"], "accepted" in answer) == (1_001, 0, False)
    progress = client.get(f"/api/v1/sends/{answer['sendId']}", params={"limit": 1_000}).json()
    assert progress["accepted"]["total"] == 1_001
    assert sum(progress["lifecycle"].values()) == 1_001  # pending or made, every one is counted
    listed = progress["accepted"]["items"]
    assert {a["clientId"] for a in listed} <= set(ids) and len(listed) == 1_000
    # The accepting process makes the communications right after the answer.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = client.get(f"/api/v1/communications/{listed[-1]['uuid']}")
        if found.status_code == 200:
            break
        time.sleep(0.1)
    assert found.status_code == 200, found.text
    assert found.json()["content"] == f"Hi C{ids.index(listed[-1]['clientId'])}"
    again = client.get(f"/api/v1/sends/{answer['sendId']}", params={"limit": 1_000}).json()
    assert again["accepted"]["items"] == listed


def test_a_send_above_the_list_limit_answers_counts_and_its_communications_follow(
    client: TestClient[Any],
) -> None:
    bulk_scenario(client)


def test_a_bulk_send_through_sql_storage(sql_client: TestClient[Any]) -> None:
    bulk_scenario(sql_client, company_code="beta")
