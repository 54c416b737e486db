"""/api/v1/stats/{channels,types,responses,best-time}: from the counters, JSON or CSV."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient

from tests.http.conftest import create, user_with

SMS, CALL = 1, 6
MASS, PERSONAL = 1, 2


def arrange(client: TestClient[Any]) -> dict[str, int]:
    person = create(client, "/api/v1/clients", {"firstName": "Ivan", "timeZone": "Asia/Vladivostok"})
    rows = [
        # 2025-06-02 is a Monday; 23:00 UTC is 09:00 on Tuesday in Vladivostok.
        {"channelId": CALL, "status": "done"},
        {"channelId": CALL, "status": "done"},
        {"channelId": SMS, "status": "done", "deliveryStatus": "delivered"},
        {
            "channelId": SMS,
            "status": "failed",
            "deliveryStatus": "undelivered",
            "communicationTypeId": PERSONAL,
        },
        {"channelId": SMS, "status": "cancelled"},
    ]
    body = [
        {
            "communicationTypeId": MASS,
            "direction": "outbound",
            "startedAt": "2025-06-02T23:00:00+00:00",
            "clientId": person["id"],
            **r,
        }
        for r in rows
    ]
    assert client.post("/api/v1/communications/import", json=body).json() == {"imported": 5, "rejected": []}
    return {"client": person["id"]}


def test_channels_are_ranked_by_delivered_with_their_rates(client: TestClient[Any]) -> None:
    ids = arrange(client)
    channels = client.get("/api/v1/stats/channels").json()
    assert [(c["channelId"], c["rank"], c["attempts"], c["delivered"]) for c in channels] == [
        (CALL, 1, 2, 2),
        (SMS, 2, 2, 1),  # the cancelled one was never an attempt
    ]
    assert channels[1]["deliveredRate"] == 0.5 and channels[1]["responseRate"] == 0
    mine = client.get("/api/v1/stats/channels", params={"clientId": ids["client"], "channelId": SMS}).json()
    assert [c["channelId"] for c in mine] == [SMS]


def test_types_responses_and_the_local_matrix(client: TestClient[Any]) -> None:
    arrange(client)
    types = client.get("/api/v1/stats/types").json()
    assert [(t["communicationTypeId"], t["delivered"], t["attempts"]) for t in types] == [(MASS, 3, 3)]
    responses = client.get("/api/v1/stats/responses").json()
    assert responses == {"attempts": 4, "responses": 2, "ignored": 2, "responseRate": 0.5, "ignoreRate": 0.5}
    matrix = client.get("/api/v1/stats/best-time").json()
    assert len(matrix) == 7 * 24
    busy = [c for c in matrix if c["attempts"]]
    assert [(c["weekday"], c["hour"], c["attempts"]) for c in busy] == [(1, 9, 4)]
    a_day = client.get("/api/v1/stats/best-time", params={"from": "2025-06-03", "to": "2025-06-03"}).json()
    assert sum(c["attempts"] for c in a_day) == 4  # local days: Tuesday in Vladivostok
    assert (
        sum(c["attempts"] for c in client.get("/api/v1/stats/best-time", params={"to": "2025-06-02"}).json())
        == 0
    )


def test_csv_by_format_or_accept_and_the_guards(client: TestClient[Any]) -> None:
    arrange(client)
    by_format = client.get("/api/v1/stats/channels", params={"format": "csv"})
    assert by_format.headers["content-type"].startswith("text/csv")
    lines = by_format.text.strip().splitlines()
    assert lines[0] == "channelId,rank,attempts,delivered,deliveredRate,responses,responseRate"
    assert lines[1].startswith(f"{CALL},1,2,2,")
    by_accept = client.get("/api/v1/stats/responses", headers={"Accept": "text/csv"})
    assert by_accept.text.splitlines()[0] == "attempts,responses,ignored,responseRate,ignoreRate"
    refused = client.get("/api/v1/stats/channels", params={"from": "2025-02-01", "to": "2025-01-01"})
    assert refused.status_code == 400
    outsider = user_with(client, "outsider", "manage_clients")
    assert client.get("/api/v1/stats/channels", headers=outsider).status_code == 403
