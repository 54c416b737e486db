"""POST /api/v1/communications/import: JSON arrays and NDJSON, rejections by index, idempotent."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.testing import TestClient

from tests.http.conftest import create, user_with

PATH = "/api/v1/communications/import"
SMS, MESSENGER, CALL = 1, 2, 6
MASS = 1
UUID = "6f1c1b8e-8a43-4b8f-9d0a-1f6a3c5e2b10"


def arrange(client: TestClient[Any]) -> dict[str, Any]:
    project = create(client, "/api/v1/projects", {"name": "Portal", "code": "portal"})
    person = create(
        client,
        "/api/v1/clients",
        {"firstName": "Ivan", "phones": ["+79161234567"], "projectId": project["id"], "guid": "c-1"},
    )
    return {"client": person["id"]}


def row(**values: Any) -> dict[str, Any]:
    return {
        "communicationTypeId": MASS,
        "channelId": CALL,
        "direction": "outbound",
        "startedAt": "2025-06-02T10:00:00+03:00",
        "finishedAt": "2025-06-02T10:05:00+03:00",
        "status": "done",
        **values,
    }


def test_valid_rows_are_kept_and_the_others_rejected_by_index(client: TestClient[Any]) -> None:
    ids = arrange(client)
    body = [
        row(clientId=ids["client"], uuid=UUID, result="Записался на ТО"),
        row(project="portal", guid="c-1", channelId=SMS, status="failed", deliveryStatus="undelivered"),
        row(clientId=999),
        row(clientId=ids["client"], status="created"),
        row(clientId=ids["client"], channelId=SMS, deliveryStatus="delivered", responded=True),
        {"clientId": ids["client"]},
    ]
    response = client.post(PATH, json=body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["imported"] == 3
    assert [r["index"] for r in answer["rejected"]] == [2, 3, 5]
    assert "unknown client 999" in answer["rejected"][0]["reason"]
    stored = client.get(f"/api/v1/communications/{UUID}").json()
    assert (stored["status"], stored["result"], stored["clientId"]) == (
        "done",
        "Записался на ТО",
        ids["client"],
    )
    again = client.post(PATH, json=body[:1]).json()
    assert again == {"imported": 1, "rejected": []}
    listed = client.get("/api/v1/communications", params={"clientId": ids["client"]}).json()
    assert listed["total"] == 3  # the re-import stored nothing twice


def test_ndjson_streams_and_the_statistics_learn_from_it(client: TestClient[Any]) -> None:
    ids = arrange(client)
    recent = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    lines = [row(clientId=ids["client"], startedAt=recent, finishedAt=None) for _ in range(12)] + [
        row(clientId=ids["client"], channelId=SMS, status="failed", startedAt=recent, finishedAt=None)
        for _ in range(12)
    ]
    response = client.post(
        PATH,
        content="\n".join(json.dumps(line) for line in lines) + "\n",
        headers={"Content-Type": "application/x-ndjson"},
    )
    assert response.json() == {"imported": 24, "rejected": []}
    company = create(client, "/api/v1/companies", {"name": "Rolf", "code": "rolf"})
    department = create(client, "/api/v1/departments", {"companyId": company["id"], "name": "D", "code": "d"})
    recommended = client.get(
        f"/api/v1/clients/{ids['client']}/recommendation",
        params={"communicationTypeId": MASS, "departmentId": department["id"]},
    ).json()
    first = recommended["channels"][0]
    assert (first["channelId"], first["level"]) == (CALL, "client")
    assert 11 < first["attempts"] < 12  # twelve calls three days old, weighted by the half-life


def test_an_ndjson_line_is_one_row_and_a_bad_line_is_rejected_by_its_index(client: TestClient[Any]) -> None:
    ids = arrange(client)
    good = json.dumps(row(clientId=ids["client"]))
    lines = [good, f"{good}, {good}", good, '{"clientId": 1', good]  # two rows on one line; cut short
    response = client.post(PATH, content="\n".join(lines), headers={"Content-Type": "application/x-ndjson"})
    answer = response.json()
    assert answer["imported"] == 3
    assert [r["index"] for r in answer["rejected"]] == [1, 3]
    all_good = client.post(
        PATH, content="\n".join([good] * 3), headers={"Content-Type": "application/x-ndjson"}
    )
    assert all_good.json() == {"imported": 3, "rejected": []}


def test_limits_and_permission(client: TestClient[Any]) -> None:
    ids = arrange(client)
    too_many = client.post(PATH, json=[row(clientId=ids["client"])] * 10_001)
    assert too_many.status_code == 400
    assert (
        client.post(PATH, content=b"{not json", headers={"Content-Type": "application/json"}).status_code
        == 400
    )
    reader = user_with(client, "reader", "read_statistics")
    assert client.post(PATH, json=[row(clientId=ids["client"])], headers=reader).status_code == 403
