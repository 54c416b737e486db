"""``"channels": "auto"`` / ``"at": "auto"`` in POST /api/v1/sends, the kept decision, and /stats/auto."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from litestar.testing import TestClient

from adapters.security import Argon2PasswordHasher
from entrypoints.settings import Settings
from tests.http.conftest import create, make_client
from tests.support.databases import migrated, temporary_postgres_database

SMS, EMAIL = 1, 3
MASS = 1


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def api(
    request: pytest.FixtureRequest, hasher: Argon2PasswordHasher, tmp_path: Any
) -> Iterator[TestClient[Any]]:
    if request.param == "memory":
        yield from make_client(Settings(storage="memory"), hasher)
        return
    if request.param == "sqlite":
        yield from make_client(Settings(database_url=migrated(f"sqlite:///{tmp_path}/api.db")), hasher)
        return
    request.getfixturevalue("postgres_url")
    with temporary_postgres_database() as url:
        yield from make_client(Settings(database_url=migrated(url)), hasher)


def arrange(client: TestClient[Any], clients: int = 2) -> dict[str, Any]:
    company = create(client, "/api/v1/companies", {"name": "Acme", "code": "acme"})
    department = create(
        client,
        "/api/v1/departments",
        {"companyId": company["id"], "name": "Sales", "code": "sales", "timeZone": "UTC"},
    )
    ids = [
        create(
            client,
            "/api/v1/clients",
            {"firstName": f"C{i}", "email": f"c{i}@example.com", "phones": [f"+7900{1000000 + i}"]},
        )["id"]
        for i in range(clients)
    ]
    # Each client answers SMS and ignores email: 20 past SMS answered, 20 emails that failed.
    rows = [
        {
            "clientId": who,
            "communicationTypeId": MASS,
            "direction": "outbound",
            "startedAt": f"2026-11-{day:02d}T10:00:00+00:00",
            "channelId": channel,
            "status": status,
            "deliveryStatus": delivery,
        }
        for who in ids
        for day in range(1, 21)
        for channel, status, delivery in ((SMS, "done", "responded"), (EMAIL, "failed", "undelivered"))
    ]
    imported = client.post("/api/v1/communications/import", json=rows).json()
    assert imported["rejected"] == [] and imported["imported"] == len(rows)
    return {"department": department["id"], "clients": ids}


def send(client: TestClient[Any], **body: Any) -> Any:
    return client.post(
        "/api/v1/sends", json={"communicationTypeId": MASS, "text": "Hello {{ client.firstName }}", **body}
    )


def test_auto_picks_the_learned_channel_and_time_and_keeps_its_decision(api: TestClient[Any]) -> None:
    ids = arrange(api)
    asked = send(api, departmentId=ids["department"], clientIds=ids["clients"], channels="auto", at="auto")
    assert asked.status_code == 202, asked.text
    accepted = asked.json()["accepted"]
    assert [a["channelId"] for a in accepted] == [SMS, SMS]  # email has been failing
    for item in accepted:
        scheduled = datetime.fromisoformat(item["scheduledAt"])
        assert datetime.now(scheduled.tzinfo) - timedelta(minutes=5) < scheduled
        assert scheduled < datetime.now(scheduled.tzinfo) + timedelta(days=7, minutes=5)
        decision = api.get(f"/api/v1/communications/{item['uuid']}/decision").json()
        assert decision["mode"] == "greedy" and decision["propensity"] == 1.0
        assert decision["objective"] == "response" and decision["predictedRate"] > 0.5
        assert "rule" in decision["explanation"] and "propensity" in decision["explanation"]


def test_a_send_naming_no_channels_is_auto_only_when_a_rule_says_so(api: TestClient[Any]) -> None:
    ids = arrange(api, clients=1)
    refused = send(api, departmentId=ids["department"], clientIds=ids["clients"])
    assert refused.status_code == 400
    assert [d["field"] for d in refused.json()["error"]["details"]] == ["channels"]
    create(api, "/api/v1/rules", {"departmentId": ids["department"], "name": "auto", "autoSelect": True})
    asked = send(api, departmentId=ids["department"], clientIds=ids["clients"])
    assert asked.status_code == 202, asked.text
    assert asked.json()["accepted"][0]["channelId"] == SMS
    uuid = asked.json()["accepted"][0]["uuid"]
    assert api.get(f"/api/v1/communications/{uuid}/decision").json()["mode"] == "greedy"


def test_explicit_channels_and_time_keep_no_decision_and_a_bad_time_is_a_400(api: TestClient[Any]) -> None:
    ids = arrange(api, clients=1)
    asked = send(api, departmentId=ids["department"], clientIds=ids["clients"], channels=[EMAIL])
    assert asked.status_code == 202, asked.text
    uuid = asked.json()["accepted"][0]["uuid"]
    assert api.get(f"/api/v1/communications/{uuid}/decision").status_code == 404
    for bad in ("tomorrow", "2026-12-01T10:00:00"):
        wrong = send(api, departmentId=ids["department"], clientIds=ids["clients"], channels=[SMS], at=bad)
        assert wrong.status_code == 400
        assert [d["field"] for d in wrong.json()["error"]["details"]] == ["at"]
    timed = send(api, departmentId=ids["department"], clientIds=ids["clients"], channels=[EMAIL], at="auto")
    assert timed.status_code == 202 and timed.json()["accepted"][0]["channelId"] == EMAIL


@pytest.fixture
def held_out(hasher: Argon2PasswordHasher) -> Iterator[TestClient[Any]]:
    yield from make_client(Settings(storage="memory", holdout_share=0.5, exploration_share=0.2), hasher)


def test_holdout_and_exploration_shares_and_the_lift_they_report(held_out: TestClient[Any]) -> None:
    ids = arrange(held_out, clients=40)
    asked = send(held_out, departmentId=ids["department"], clientIds=ids["clients"], channels="auto")
    assert asked.status_code == 202, asked.text
    accepted = asked.json()["accepted"]
    modes: dict[str, int] = {}
    for item in accepted:
        decision = held_out.get(f"/api/v1/communications/{item['uuid']}/decision").json()
        modes[decision["mode"]] = modes.get(decision["mode"], 0) + 1
        assert 0 < decision["propensity"] <= 1
        if decision["mode"] == "holdout":
            # The rule's fixed priority: SMS is the first channel, so the holdout also goes on SMS
            # (channels in id order), and it matches the rule by construction.
            assert decision["matchesRule"] is True
        # Outcomes: SMS is answered, email ignored (as in the history).
        outcome = "close" if item["channelId"] == SMS else "fail"
        moved = held_out.post(f"/api/v1/communications/{item['uuid']}/start", json={})
        assert moved.is_success, moved.text
        body = {} if outcome == "close" else {"reason": "ignored"}
        assert held_out.post(f"/api/v1/communications/{item['uuid']}/{outcome}", json=body).is_success
    assert set(modes) <= {"greedy", "explore", "holdout"} and modes.get("holdout", 0) >= 8
    assert sum(modes.values()) == 40
    found = held_out.get("/api/v1/stats/auto").json()
    assert found["decisions"] == 40
    assert found["greedy"] + found["explore"] + found["holdout"] == 40
    assert found["holdoutLift"]["method"] == "holdout" and found["holdoutLift"]["count"] == 40
    assert found["holdoutLift"]["low"] <= found["holdoutLift"]["lift"] <= found["holdoutLift"]["high"]
    assert found["doublyRobust"]["method"] == "doubly robust"
    assert found["inversePropensity"]["ruleRate"] is not None
    csv = held_out.get("/api/v1/stats/auto", params={"format": "csv"}).text.splitlines()
    assert "holdoutLift.lift" in csv[0].split(",")
    one = held_out.get("/api/v1/stats/auto", params={"clientId": ids["clients"][0]}).json()
    assert one["decisions"] == 1
