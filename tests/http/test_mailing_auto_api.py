"""``"channels": "auto"`` and ``"at": "auto"`` in mailings: stored, shown, and passed to each run's send."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from litestar.testing import TestClient

from tests.http.conftest import create
from tests.http.test_auto_sends_api import EMAIL, MASS, SMS, api, arrange
from tests.http.test_mailings_api import mailer, run_scheduler

__all__ = ["api"]  # the memory / SQLite / PostgreSQL fixture


def mailing(ids: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {
        "name": "Learned",
        "communicationTypeId": MASS,
        "departmentId": ids["department"],
        "text": "Hello {{ client.firstName }}",
        "clientIds": ids["clients"],
        **changes,
    }


def fields(response: Any) -> list[str]:
    assert response.status_code == 400, response.text
    return [d["field"] for d in response.json()["error"]["details"]]


def test_an_auto_mailing_shows_auto_and_its_run_keeps_a_decision_per_communication(
    api: TestClient[Any],
) -> None:
    ids = arrange(api)
    created = api.post("/api/v1/mailings", json=mailing(ids, channels="auto", at="auto", start=True))
    assert created.status_code == 201, created.text
    answer = created.json()
    assert (answer["channels"], answer["at"], answer["status"]) == ("auto", "auto", "scheduled")
    shown = api.get(f"/api/v1/mailings/{answer['id']}").json()
    assert (shown["channels"], shown["at"]) == ("auto", "auto")

    assert run_scheduler(api) == 1
    progress = api.get(f"/api/v1/mailings/{answer['id']}/progress").json()
    [run] = progress["runs"]
    assert run["state"] == "sent" and run["acceptedCount"] == 2, run
    sent = api.get(f"/api/v1/sends/{run['sendId']}").json()
    accepted = sent["accepted"]["items"]
    assert sorted(a["clientId"] for a in accepted) == sorted(ids["clients"])
    # The history says SMS is answered and email fails: the decisions choose SMS for both.
    assert [a["channelId"] for a in accepted] == [SMS, SMS]
    for item in accepted:
        scheduled = datetime.fromisoformat(item["scheduledAt"])
        assert scheduled < datetime.now(scheduled.tzinfo) + timedelta(days=7, minutes=5)
        decision = api.get(f"/api/v1/communications/{item['uuid']}/decision")
        assert decision.status_code == 200, decision.text
        assert decision.json()["mode"] == "greedy" and decision.json()["predictedRate"] > 0.5


def test_auto_time_with_named_channels_and_a_named_time_keep_what_was_asked(api: TestClient[Any]) -> None:
    ids = arrange(api, clients=1)
    timed = api.post("/api/v1/mailings", json=mailing(ids, channels=[EMAIL], at="auto", start=True))
    assert timed.status_code == 201, timed.text
    assert (timed.json()["channels"], timed.json()["at"]) == ([EMAIL], "auto")
    assert run_scheduler(api) == 1
    [run] = api.get(f"/api/v1/mailings/{timed.json()['id']}/progress").json()["runs"]
    [item] = api.get(f"/api/v1/sends/{run['sendId']}").json()["accepted"]["items"]
    assert item["channelId"] == EMAIL  # named channels are kept; only the time was left to decide
    assert api.get(f"/api/v1/communications/{item['uuid']}/decision").status_code == 200

    plain = api.post("/api/v1/mailings", json=mailing(ids, channels=[SMS], at="2030-01-01T10:00:00+03:00"))
    assert plain.status_code == 201, plain.text
    assert (plain.json()["channels"], plain.json()["at"]) == ([SMS], "2030-01-01T07:00:00.000+00:00")


def test_bad_auto_values_are_400s_named_as_in_a_send(api: TestClient[Any]) -> None:
    ids = arrange(api, clients=1)
    for body, expected in [
        (mailing(ids, channels="sometimes"), ["channels"]),
        (mailing(ids, channels=[]), ["channels"]),
        (mailing(ids, channels=[SMS], at="tomorrow"), ["at"]),
        (mailing(ids, channels=[SMS], at="2026-12-01T10:00:00"), ["at"]),
        # Left out, channels are auto only when a rule of the department has autoSelect on.
        (mailing(ids), ["channels"]),
    ]:
        assert fields(api.post("/api/v1/mailings", json=body)) == expected, body
        # The same body is refused by a send for the same field.
        send = {k: v for k, v in body.items() if k not in ("name", "start")}
        assert fields(api.post("/api/v1/sends", json=send)) == expected, send

    create(api, "/api/v1/rules", {"departmentId": ids["department"], "name": "auto", "autoSelect": True})
    left_out = api.post("/api/v1/mailings", json=mailing(ids, start=True))
    assert left_out.status_code == 201, left_out.text
    assert (left_out.json()["channels"], left_out.json()["at"]) == ("auto", None)
    assert run_scheduler(api) == 1
    [run] = api.get(f"/api/v1/mailings/{left_out.json()['id']}/progress").json()["runs"]
    [item] = api.get(f"/api/v1/sends/{run['sendId']}").json()["accepted"]["items"]
    assert item["channelId"] == SMS
    assert api.get(f"/api/v1/communications/{item['uuid']}/decision").json()["mode"] == "greedy"


def test_a_changed_mailing_can_turn_auto_on_and_off(api: TestClient[Any]) -> None:
    ids = arrange(api, clients=1)
    made = api.post("/api/v1/mailings", json=mailing(ids, channels=[SMS])).json()
    path = f"/api/v1/mailings/{made['id']}"
    changed = api.put(path, json=mailing(ids, channels="auto", at="auto"))
    assert changed.status_code == 200, changed.text
    assert (changed.json()["channels"], changed.json()["at"]) == ("auto", "auto")
    back = api.put(path, json=mailing(ids, channels=[EMAIL, SMS]))
    assert (back.json()["channels"], back.json()["at"]) == ([EMAIL, SMS], None)
    assert api.get(path).json()["channels"] == [EMAIL, SMS]


def test_the_seed_route_takes_auto_channels(api: TestClient[Any]) -> None:
    ids = arrange(api, clients=1)
    headers = mailer(api, ids["department"])
    assert api.post("/project/create", json={"name": "OCM", "code": "010"}).status_code == 201
    document = create(api, "/api/v1/documents", {"name": "Offer", "kind": "text", "body": "Hi"})
    body = {
        "name": "Auto",
        "project_id": "010",
        "template_id": document["id"],
        "status": 0,
        "event": "2030-01-01",
    }
    made = api.post("/mailing/create", json={**body, "channels": "auto"}, headers=headers)
    assert made.status_code == 201, made.text
    [stored] = api.get("/api/v1/mailings").json()["items"]
    assert (stored["channels"], stored["at"]) == ("auto", "2030-01-01T00:00:00.000+00:00")
    wrong = api.post("/mailing/create", json={**body, "channels": "sometimes"}, headers=headers)
    assert wrong.status_code == 400 and "channels" in wrong.text
