"""Survey answers, and /api/v1/stats/{availability,surveys,employees} with every scope, on every storage."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from adapters.security import Argon2PasswordHasher
from entrypoints.settings import Settings
from tests.http.conftest import create, make_client
from tests.support.databases import migrated, temporary_postgres_database

SMS, CALL = 1, 6
MASS, SURVEY, COMMERCIAL_SURVEY = 1, 4, 5
ADMIN = 1


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def api(
    request: pytest.FixtureRequest, hasher: Argon2PasswordHasher, tmp_path: Any
) -> Iterator[TestClient[Any]]:
    """Logged in as Admin, on each storage: the counters of every adapter give the same answers."""
    if request.param == "memory":
        yield from make_client(Settings(storage="memory"), hasher)
        return
    if request.param == "sqlite":
        yield from make_client(Settings(database_url=migrated(f"sqlite:///{tmp_path}/api.db")), hasher)
        return
    request.getfixturevalue("postgres_url")
    with temporary_postgres_database() as url:
        yield from make_client(Settings(database_url=migrated(url)), hasher)


def arrange(client: TestClient[Any]) -> dict[str, Any]:
    company = create(client, "/api/v1/companies", {"name": "Rolf", "code": "rolf"})
    sales = create(
        client, "/api/v1/departments", {"companyId": company["id"], "name": "Sales", "code": "sales"}
    )
    ivan = create(client, "/api/v1/clients", {"firstName": "Ivan", "timeZone": "Asia/Vladivostok"})
    olga = create(client, "/api/v1/clients", {"firstName": "Olga", "available": False})
    group = create(client, "/api/v1/client-groups", {"name": "VIP"})
    assert client.post(
        f"/api/v1/client-groups/{group['id']}/members", json={"clientIds": [ivan["id"], olga["id"]]}
    ).is_success

    def row(who: dict[str, Any], at: str, **more: Any) -> dict[str, Any]:
        return {
            "uuid": more.pop("uuid", None),
            "communicationTypeId": more.pop("type", MASS),
            "direction": "outbound",
            "startedAt": at,
            "clientId": who["id"],
            "channelId": CALL,
            "status": "done",
            **more,
        }

    body = [
        # 2025-06-02 23:00 UTC is Tuesday 09:00 in Vladivostok; Olga counts in UTC.
        row(ivan, "2025-06-02T23:00:00+00:00", employeeId=ADMIN, departmentId=sales["id"]),
        row(ivan, "2025-06-02T23:00:00+00:00", employeeId=ADMIN, departmentId=sales["id"]),
        row(ivan, "2025-07-01T10:00:00+00:00", channelId=SMS, status="failed", deliveryStatus="undelivered"),
        row(
            olga,
            "2025-06-02T23:00:00+00:00",
            channelId=SMS,
            deliveryStatus="delivered",
            departmentId=sales["id"],
        ),
        row(
            ivan,
            "2025-06-10T08:00:00+00:00",
            type=SURVEY,
            uuid="5d7f4d1e-1111-4c1a-9a43-4b2f3f8f1c11",
            departmentId=sales["id"],
        ),
        row(
            olga,
            "2025-08-10T08:00:00+00:00",
            type=COMMERCIAL_SURVEY,
            uuid="5d7f4d1e-2222-4c1a-9a43-4b2f3f8f1c11",
        ),
    ]
    answer = client.post("/api/v1/communications/import", json=body).json()
    assert answer == {"imported": 6, "rejected": []}
    return {"ivan": ivan["id"], "olga": olga["id"], "group": group["id"], "sales": sales["id"]}


def test_survey_answers_are_stored_and_counted_by_question(api: TestClient[Any]) -> None:
    ids = arrange(api)
    path = "/api/v1/communications/5d7f4d1e-1111-4c1a-9a43-4b2f3f8f1c11/survey-responses"
    stored = api.post(
        path, json=[{"question": "Visit?", "answer": "Good"}, {"question": "Again?", "answer": "Yes"}]
    )
    assert stored.status_code == 201, stored.text
    assert stored.json()["recorded"] == 2
    assert [a["answer"] for a in stored.json()["answers"]] == ["Good", "Yes"]
    other = "/api/v1/communications/5d7f4d1e-2222-4c1a-9a43-4b2f3f8f1c11/survey-responses"
    assert api.post(other, json=[{"question": "Visit?", "answer": "Bad"}]).status_code == 201
    assert api.post(other, json=[{"question": "Visit?", "answer": "Good"}]).status_code == 201

    everybody = api.get("/api/v1/stats/surveys").json()
    assert [(r["question"], r["answer"], r["count"]) for r in everybody] == [
        ("Again?", "Yes", 1),
        ("Visit?", "Good", 2),
        ("Visit?", "Bad", 1),
    ]
    assert everybody[1]["share"] == pytest.approx(2 / 3, abs=1e-6)
    olga = api.get("/api/v1/stats/surveys", params={"clientId": ids["olga"], "from": "2025-08-01"}).json()
    assert [(r["answer"], r["count"]) for r in olga] == [("Bad", 1), ("Good", 1)]
    in_june = api.get(
        "/api/v1/stats/surveys", params={"groupId": ids["group"], "from": "2025-06-01", "to": "2025-06-30"}
    ).json()
    assert [(r["question"], r["count"]) for r in in_june] == [("Again?", 1), ("Visit?", 1)]
    sales = api.get("/api/v1/stats/surveys", params={"departmentId": ids["sales"]}).json()
    assert sum(r["count"] for r in sales) == 2
    csv = api.get("/api/v1/stats/surveys", params={"format": "csv"}).text.splitlines()
    assert csv[0] == "question,answer,count,share"


def test_survey_answers_are_refused_for_other_types_and_bad_input(api: TestClient[Any]) -> None:
    arrange(api)
    mass = api.get("/api/v1/communications", params={"communicationTypeId": MASS, "limit": 1}).json()
    uuid = mass["items"][0]["uuid"] if "items" in mass else mass[0]["uuid"]
    refused = api.post(
        f"/api/v1/communications/{uuid}/survey-responses", json=[{"question": "Q", "answer": "A"}]
    )
    assert refused.status_code == 409
    assert "Survey and Commercial survey" in refused.text
    path = "/api/v1/communications/5d7f4d1e-1111-4c1a-9a43-4b2f3f8f1c11/survey-responses"
    assert api.post(path, json=[]).status_code == 400
    blank = api.post(path, json=[{"question": "  ", "answer": "A"}])
    assert blank.status_code == 400 and "question" in blank.text
    assert api.post(path, json=[{"question": "Q"}]).status_code == 400
    assert api.post(path, json=[{"question": "Q", "answer": "A", "extra": 1}]).status_code == 400
    missing = "/api/v1/communications/5d7f4d1e-9999-4c1a-9a43-4b2f3f8f1c11/survey-responses"
    assert api.post(missing, json=[{"question": "Q", "answer": "A"}]).status_code == 404


def test_every_route_answers_a_period_for_a_client_and_a_group(api: TestClient[Any]) -> None:
    ids = arrange(api)
    june = {"from": "2025-06-01", "to": "2025-06-30"}
    for route in ("channels", "types", "responses", "best-time", "availability", "surveys", "employees"):
        for scope in ({"clientId": ids["ivan"]}, {"groupId": ids["group"]}, {}):
            found = api.get(f"/api/v1/stats/{route}", params={**june, **scope})
            assert found.status_code == 200, (route, scope, found.text)
            as_csv = api.get(
                f"/api/v1/stats/{route}", params={**june, **scope}, headers={"Accept": "text/csv"}
            )
            assert as_csv.headers["content-type"].startswith("text/csv"), route
    ivan_june = api.get("/api/v1/stats/channels", params={**june, "clientId": ids["ivan"]}).json()
    assert [(c["channelId"], c["attempts"]) for c in ivan_june] == [(CALL, 3)]  # July's SMS is outside
    group_june = api.get("/api/v1/stats/best-time", params={**june, "groupId": ids["group"]}).json()
    busy = sorted((c["weekday"], c["hour"], c["attempts"]) for c in group_june if c["attempts"])
    # Ivan's two calls on Tuesday 09:00 local, his survey on Tuesday 18:00 local; Olga has no zone,
    # so her SMS counts in her department's (Moscow, the default): Tuesday 02:00.
    assert busy == [(1, 2, 1), (1, 9, 2), (1, 18, 1)]
    by_department = api.get("/api/v1/stats/channels", params={"departmentId": ids["sales"]}).json()
    assert sorted((c["channelId"], c["attempts"]) for c in by_department) == [(SMS, 1), (CALL, 3)]


def test_employees_count_and_effectiveness(api: TestClient[Any]) -> None:
    ids = arrange(api)
    found = api.get("/api/v1/stats/employees").json()
    assert [(e["employeeId"], e["attempts"], e["responses"]) for e in found] == [(0, 4, 2), (ADMIN, 2, 2)]
    assert found[1]["responseRate"] == 1.0
    olga = api.get("/api/v1/stats/employees", params={"clientId": ids["olga"]}).json()
    assert [(e["employeeId"], e["attempts"], e["delivered"]) for e in olga] == [(0, 2, 2)]
    sales_june = api.get(
        "/api/v1/stats/employees",
        params={"departmentId": ids["sales"], "from": "2025-06-01", "to": "2025-06-05"},
    ).json()
    assert [(e["employeeId"], e["attempts"]) for e in sales_june] == [(ADMIN, 2), (0, 1)]


def test_availability_gives_the_success_share_and_who_may_be_contacted_now(api: TestClient[Any]) -> None:
    ids = arrange(api)
    ivan = api.get("/api/v1/stats/availability", params={"clientId": ids["ivan"]}).json()
    assert ivan["clients"] == 1 and ivan["contactableNow"] == 1 and ivan["availableNow"] is True
    assert ivan["attempts"] == 4 and ivan["delivered"] == 3 and ivan["successShare"] == 0.75
    olga = api.get("/api/v1/stats/availability", params={"clientId": ids["olga"]}).json()
    assert olga["availableNow"] is False
    assert [r["reason"] for r in olga["reasons"]] == [
        "the client has opted out of communications (available is false)"
    ]
    group = api.get("/api/v1/stats/availability", params={"groupId": ids["group"]}).json()
    assert (group["clients"], group["contactableNow"], group["availableNow"]) == (2, 1, False)
    assert group["reasons"] == [{"reason": "opted out of communications (available is false)", "clients": 1}]
    csv = api.get("/api/v1/stats/availability", params={"groupId": ids["group"], "format": "csv"}).text
    assert "opted out of communications (available is false): 1" in csv
    assert api.get("/api/v1/stats/availability", params={"groupId": 999}).status_code == 404
