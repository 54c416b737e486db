"""GET /api/v1/clients/{key}/recommendation and /client-groups/{key}/recommendation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from litestar.testing import TestClient

from adapters.memory.repositories import MemoryRepository
from tests.http.conftest import create, user_with

BASE = "/api/v1/communications"
SMS, MESSENGER, CALL = 1, 2, 6  # default channels, in seeding order
MASS = 1


def arrange(client: TestClient[Any]) -> dict[str, int]:
    company = create(client, "/api/v1/companies", {"name": "Rolf", "code": "rolf"})
    department = create(
        client,
        "/api/v1/departments",
        {"companyId": company["id"], "name": "Sales", "code": "sales", "timeZone": "Asia/Yekaterinburg"},
    )
    person = create(
        client,
        "/api/v1/clients",
        {"firstName": "Ivan", "phones": ["+79161234567"], "timeZone": "Europe/Moscow"},
    )
    group = create(client, "/api/v1/client-groups", {"name": "VIP"})
    assert client.post(
        f"/api/v1/client-groups/{group['id']}/members", json={"clientIds": [person["id"]]}
    ).is_success
    for _ in range(6):  # calls that took place: responses
        call = create(
            client,
            BASE,
            {
                "kind": "fact",
                "direction": "outbound",
                "communicationTypeId": MASS,
                "channelId": CALL,
                "clientId": person["id"],
            },
        )
        assert client.post(f"{BASE}/{call['id']}/close", json={}).is_success
    for _ in range(6):  # messages that failed
        sms = create(
            client,
            BASE,
            {
                "kind": "planned",
                "direction": "outbound",
                "communicationTypeId": MASS,
                "channelId": SMS,
                "clientId": person["id"],
            },
        )
        assert client.post(f"{BASE}/{sms['id']}/fail", json={"reason": "undelivered"}).is_success
    return {"department": department["id"], "client": person["id"], "group": group["id"]}


def test_a_client_is_recommended_the_channel_that_answers_with_figures_and_exclusions(
    client: TestClient[Any],
) -> None:
    ids = arrange(client)
    response = client.get(
        f"/api/v1/clients/{ids['client']}/recommendation",
        params={"communicationTypeId": MASS, "departmentId": ids["department"]},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["clientId"] == ids["client"]
    assert body["channelId"] == CALL
    first = body["channels"][0]
    assert (first["channelId"], first["rank"]) == (CALL, 1)
    assert {"successes", "attempts", "prior", "rate", "level"} <= set(first)
    ranks = [c["rank"] for c in body["channels"]]
    assert ranks == list(range(1, len(ranks) + 1))
    sms = next(c for c in body["channels"] if c["channelId"] == SMS)
    assert sms["rate"] < first["rate"]
    assert {"channelId": MESSENGER, "reason": "no_contact_data"} in body["excluded"]
    time = body["time"]
    at = datetime.fromisoformat(time["at"])
    assert (
        at.utcoffset() is not None and at.utcoffset().total_seconds() == 3 * 3600
    )  # Moscow: the client's zone
    assert (time["weekday"], time["hour"]) == (at.weekday(), at.hour)
    assert 9 <= at.hour < 18 and at.weekday() < 5  # the department's default hours, in client time
    assert len(time["grid"]) == 7 and all(len(row) == 24 for row in time["grid"])
    assert "half-life 180 days" in body["explanation"]


def test_the_group_answer_and_the_guards(client: TestClient[Any]) -> None:
    ids = arrange(client)
    query = {"communicationTypeId": MASS, "departmentId": ids["department"]}
    group = client.get(f"/api/v1/client-groups/{ids['group']}/recommendation", params=query)
    assert group.status_code == 200, group.text
    assert group.json()["groupId"] == ids["group"]
    assert group.json()["channels"][0]["level"] in ("rule", "all", "group")
    assert client.get("/api/v1/clients/999/recommendation", params=query).status_code == 404
    assert client.get(f"/api/v1/clients/{ids['client']}/recommendation").status_code == 400
    outsider = user_with(client, "outsider", "manage_clients")
    refused = client.get(f"/api/v1/clients/{ids['client']}/recommendation", params=query, headers=outsider)
    assert refused.status_code == 403
    reader = user_with(client, "reader", "read_statistics")
    assert client.get(
        f"/api/v1/clients/{ids['client']}/recommendation", params=query, headers=reader
    ).is_success


def test_the_group_answer_gives_the_members_distribution_of_choices(client: TestClient[Any]) -> None:
    ids = arrange(client)
    email_only = create(client, "/api/v1/clients", {"firstName": "Olga", "email": "olga@example.com"})
    assert client.post(
        f"/api/v1/client-groups/{ids['group']}/members", json={"clientIds": [email_only["id"]]}
    ).is_success
    query = {"communicationTypeId": MASS, "departmentId": ids["department"]}
    found = client.get(f"/api/v1/client-groups/{ids['group']}/recommendation", params=query).json()
    spread = found["distribution"]
    assert (spread["members"], spread["decided"], spread["undecided"]) == (2, 2, 0)
    # Ivan answers calls (his own history); Olga can be reached by email only.
    assert sorted((c["channelId"], c["clients"], c["share"]) for c in spread["channels"]) == [
        (3, 1, 0.5),
        (CALL, 1, 0.5),
    ]
    assert sum(s["clients"] for s in spread["slots"]) == 2
    assert all(0 <= s["weekday"] <= 6 and 0 <= s["hour"] <= 23 for s in spread["slots"])


def test_a_client_recommendation_reads_the_client_once_by_id_or_email(
    client: TestClient[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = arrange(client)
    assert client.patch(f"/api/v1/clients/{ids['client']}", json={"email": "ivan@example.com"}).is_success
    reads: list[str] = []
    inside: list[str] = []  # a memory repository's first() calls its find(): one read
    for name in ("get", "first", "find", "get_many"):
        original = getattr(MemoryRepository, name)

        async def counted(
            self: MemoryRepository[Any], *args: Any, _original: Any = original, _name: str = name
        ) -> Any:
            if self._kind != "client" or inside:
                return await _original(self, *args)
            reads.append(_name)
            inside.append(_name)
            try:
                return await _original(self, *args)
            finally:
                inside.pop()

        monkeypatch.setattr(MemoryRepository, name, counted)
    query = {"communicationTypeId": MASS, "departmentId": ids["department"]}
    for key in (str(ids["client"]), "ivan@example.com"):
        reads.clear()
        response = client.get(f"/api/v1/clients/{key}/recommendation", params=query)
        assert response.status_code == 200, response.text
        assert response.json()["clientId"] == ids["client"]
        assert reads == ["first" if "@" in key else "get"], key
