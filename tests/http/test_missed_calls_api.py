"""The PBX webhook and the missed-calls queue over HTTP (seed 004)."""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from dependency_injector import providers
from litestar.testing import TestClient

from adapters.security import Argon2PasswordHasher
from application.telephony.inbox import InboxProcessor
from domain.telephony.missed_calls import BOOKED_NOTE
from entrypoints.container import build_container
from entrypoints.http.app import create_app
from entrypoints.settings import Settings, TelephonySettings
from tests.http.conftest import ADMIN, create, user_with
from tests.support.stub_http import serving
from tests.support.xsi_events import (
    answered_call,
    group_call_answered_by_second_phone,
    missed_call,
    xsi_event,
)

TOKEN = "hook-secret-1"
HOOK = f"/webhooks/beeline/{TOKEN}"
CARDS = "/api/v1/missed-calls"
XML = {"Content-Type": "application/xml; charset=UTF-8"}


def settings(**telephony: Any) -> Settings:
    return Settings(storage="memory", telephony=TelephonySettings(beeline_webhook_token=TOKEN, **telephony))


INBOXES: dict[TestClient[Any], InboxProcessor] = {}
"""The worker's inbox job of each test client: the tests run it instead of a background worker."""


@pytest.fixture
def api(hasher: Argon2PasswordHasher) -> Iterator[TestClient[Any]]:
    container = build_container(settings())
    container.core.hasher.override(providers.Object(hasher))
    with TestClient(create_app(container, settings()), raise_server_exceptions=False) as client:
        client.headers.update(ADMIN)
        INBOXES[client] = container.telephony.inbox_processor()
        yield client
        del INBOXES[client]


def waiting(api: TestClient[Any]) -> int:
    return api.blocking_portal.call(INBOXES[api].waiting)


def run_worker(api: TestClient[Any]) -> None:
    while api.blocking_portal.call(INBOXES[api].run_once):
        pass


def post_events(api: TestClient[Any], bodies: Iterable[bytes]) -> None:
    """Delivers like the PBX: each 200 means the event is kept; then the worker applies them."""
    for body in bodies:
        response = api.post(HOOK, content=body, headers={**XML, "Authorization": ""})
        assert response.status_code == 200, response.text
    assert waiting(api) > 0
    run_worker(api)
    assert waiting(api) == 0


def test_a_missed_call_sequence_opens_a_card_shown_with_its_client(api: TestClient[Any]) -> None:
    client = create(
        api, "/api/v1/clients", {"firstName": "Ivan", "lastName": "Petrov", "phones": ["+74951234567"]}
    )
    post_events(api, missed_call(remote="tel:84951234567"))
    page = api.get(CARDS).json()
    assert page["total"] == 1
    card = page["items"][0]
    assert set(card) == {
        "id", "phone", "clientId", "clientName", "status", "result", "calls",
        "firstCallAt", "lastCallAt", "calledBackBy", "calledBackAt",
    }  # fmt: skip
    assert (card["phone"], card["clientId"], card["clientName"], card["status"], card["calls"]) == (
        "+74951234567",
        client["id"],
        "Petrov Ivan",
        "missed",
        1,
    )
    assert api.get(f"{CARDS}/{card['id']}").json() == card


def test_answered_and_group_answered_calls_open_no_card(api: TestClient[Any]) -> None:
    post_events(api, answered_call())
    post_events(api, group_call_answered_by_second_phone())
    assert api.get(CARDS, params={"status": "all"}).json()["total"] == 0
    calls = api.get("/api/v1/communications").json()
    assert [c["status"] for c in calls["items"]] == ["done", "done"]


def test_a_wrong_token_is_404_and_stores_nothing(api: TestClient[Any]) -> None:
    for body in missed_call():
        assert api.post("/webhooks/beeline/wrong", content=body, headers=XML).status_code == 404
    assert waiting(api) == 0
    run_worker(api)
    assert api.get(CARDS).json()["total"] == 0


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY b "bbbbbbbb"><!ENTITY c "&b;&b;&b;&b;">]><a>&c;</a>',
        b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY s SYSTEM "file:///etc/passwd">]><a>&s;</a>',
        xsi_event("CallReleasedEvent")[:120],
        b"",
    ],
    ids=["bomb", "external-entity", "truncated", "empty"],
)
def test_unsafe_or_malformed_bodies_are_400_with_no_work_done(api: TestClient[Any], body: bytes) -> None:
    response = api.post(HOOK, content=body, headers=XML)
    assert response.status_code == 400 and response.json()["code"] == 400
    assert waiting(api) == 0
    run_worker(api)
    assert api.get("/api/v1/communications").json()["total"] == 0


def test_repeated_delivery_and_unknown_types_change_nothing(api: TestClient[Any]) -> None:
    body = xsi_event("CallReleasedEvent", event_id="same-event", release=1_772_359_230_000)
    post_events(api, [body, body, body, xsi_event("CallRecordingStartedEvent")])
    assert api.get(CARDS).json()["items"][0]["calls"] == 1


def test_working_the_card(api: TestClient[Any]) -> None:
    post_events(api, missed_call())
    card = api.get(CARDS).json()["items"][0]
    url = f"{CARDS}/{card['id']}"
    not_saved = api.patch(url, json={"status": "missed", "result": "rang"})
    assert not_saved.status_code == 409 and "not saved" in not_saved.json()["error"]["message"]
    assert api.patch(url, json={"status": "called_back"}).status_code == 400
    assert api.patch(url, json={"status": "called_back", "result": "  "}).status_code == 400
    assert api.get(url).json()["result"] is None
    saved = api.patch(url, json={"status": "called_back", "result": "will call again"})
    assert saved.status_code == 200 and saved.json()["calledBackBy"] is not None
    assert api.get(CARDS).json()["total"] == 0


def test_book_closes_the_card(api: TestClient[Any]) -> None:
    post_events(api, missed_call())
    card = api.get(CARDS).json()["items"][0]
    booked = api.post(f"{CARDS}/{card['id']}/book")
    assert booked.status_code == 200
    assert (booked.json()["status"], booked.json()["result"]) == ("called_back", BOOKED_NOTE)
    assert api.post(f"{CARDS}/{card['id']}/book").status_code == 409
    assert api.get(CARDS).json()["items"] == []
    assert api.get(CARDS, params={"status": "called_back"}).json()["total"] == 1
    assert api.get(f"{CARDS}/999").status_code == 404


def test_the_report_groups_and_speaks_csv(api: TestClient[Any]) -> None:
    post_events(api, missed_call(remote="tel:+74951111111"))
    post_events(api, missed_call(remote="tel:+74951111111"))
    post_events(api, missed_call(remote="tel:+74952222222"))
    period = {"from": "2026-03-01T00:00:00Z", "to": "2026-03-02T00:00:00Z"}
    by_phone = api.get(f"{CARDS}/report", params={**period, "groupBy": "phone"}).json()
    assert [(g["key"], g["calls"]) for g in by_phone["groups"]] == [("+74951111111", 2), ("+74952222222", 1)]
    assert by_phone["totalCards"] == 2 and by_phone["totalCalls"] == 3
    by_day = api.get(f"{CARDS}/report", params={**period, "groupBy": "day"}).json()
    assert [(g["key"], g["cards"]) for g in by_day["groups"]] == [("2026-03-01", 2)]
    as_csv = api.get(f"{CARDS}/report", params={**period, "groupBy": "phone", "format": "csv"})
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(as_csv.text)))
    assert rows == [
        ["phone", "label", "cards", "calls", "calledBack"],
        ["+74951111111", "", "1", "2", "0"],
        ["+74952222222", "", "1", "1", "0"],
    ]
    flat = api.get(
        f"{CARDS}/report", params={**period, "phone": "8 495 111-11-11"}, headers={"Accept": "text/csv"}
    )
    assert len(list(csv.reader(io.StringIO(flat.text)))) == 2
    assert (
        api.get(
            f"{CARDS}/report", params={"from": "2026-03-02T00:00:00Z", "to": "2026-03-01T00:00:00Z"}
        ).status_code
        == 400
    )
    assert api.get(f"{CARDS}/report", params={**period, "groupBy": "weekday"}).status_code == 400


def test_the_queue_needs_permission(api: TestClient[Any]) -> None:
    reader = user_with(api, "reader", "read_statistics")
    assert api.get(CARDS, headers=reader).status_code == 403
    assert api.get(CARDS, headers={"Authorization": ""}).status_code == 401


def test_the_stream_tells_listeners_about_new_cards(
    hasher: Argon2PasswordHasher, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("entrypoints.http.controllers.missed_calls.KEEP_ALIVE_SECONDS", 0.05)
    # A real server: the test client buffers whole answers, and a stream never ends by itself.
    # The worker runs in the server process, as under `switchboard serve`: it applies the kept events.
    with_worker = replace(settings(), in_process_worker=True)
    container = build_container(with_worker)
    container.core.hasher.override(providers.Object(hasher))
    received: list[str] = []
    ready = threading.Event()
    with serving(create_app(container, with_worker)) as url:

        def listen() -> None:
            with httpx.stream(
                "GET", f"{url}{CARDS}/stream", params={"maxEvents": 1}, headers=ADMIN, timeout=10
            ) as r:
                for line in r.iter_lines():
                    if line.startswith("event: ready"):
                        ready.set()
                    received.append(line)

        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        assert ready.wait(10)
        time.sleep(0.3)  # a few keep-alives first
        for body in missed_call():
            assert httpx.post(f"{url}{HOOK}", content=body, headers=XML).status_code == 200
        listener.join(10)
    assert not listener.is_alive()
    assert "event: missed-call" in received
    assert any(line.startswith("data: ") and '"change": "missed"' in line for line in received)
    # Keep-alives are comments alone: every data line carries JSON (EventSource would fire an
    # empty message for a bare "data:").
    assert ": keep-alive" in received
    for line in received:
        if line.startswith("data"):
            json.loads(line.removeprefix("data:"))  # raises on an empty data line
