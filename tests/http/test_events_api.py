"""GET /api/v1/events over a real server: live status changes, Last-Event-ID resumes, filters;
POST /api/v1/communications/delivery-refresh."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from dependency_injector import providers
from litestar.testing import TestClient

from adapters.security import Argon2PasswordHasher
from entrypoints.container import build_container
from entrypoints.http.app import create_app
from entrypoints.settings import Settings
from tests.http.conftest import ADMIN, user_with
from tests.support.stub_http import serving

EVENTS = "/api/v1/events"
REFRESH = "/api/v1/communications/delivery-refresh"
EMAIL, MASS = 3, 1


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def live(request: pytest.FixtureRequest, hasher: Argon2PasswordHasher, tmp_path: Any) -> Iterator[str]:
    """A served app with the in-process worker and the sandbox: the embedded default, end to end."""
    from tests.support.databases import migrated, temporary_postgres_database

    def run(settings: Settings) -> Iterator[str]:
        container = build_container(settings)
        container.core.hasher.override(providers.Object(hasher))
        with serving(create_app(container, settings)) as url:
            yield url

    if request.param == "memory":
        yield from run(Settings(storage="memory", in_process_worker=True))
    elif request.param == "sqlite":
        url = migrated(f"sqlite:///{tmp_path}/events.db")
        yield from run(Settings(database_url=url, in_process_worker=True))
    else:
        request.getfixturevalue("postgres_url")
        with temporary_postgres_database() as url:
            yield from run(Settings(database_url=migrated(url), in_process_worker=True))


class Listener:
    """Reads an event stream in a thread; ``ready`` once the server said it is subscribed."""

    def __init__(self, url: str, *, headers: dict[str, str] | None = None, **params: Any) -> None:
        self.events: list[dict[str, Any]] = []
        self.ready = threading.Event()
        self.status: int | None = None
        self._args = (url, {**ADMIN, **(headers or {})}, params)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        assert self.ready.wait(10), "the stream did not open"

    def _run(self) -> None:
        url, headers, params = self._args
        event: dict[str, Any] = {}
        try:
            with httpx.stream("GET", f"{url}{EVENTS}", params=params, headers=headers, timeout=20) as r:
                self.status = r.status_code
                for line in r.iter_lines():
                    if line.startswith(": ready") or r.status_code != 200:
                        self.ready.set()
                    if line.startswith("id: "):
                        event["id"] = int(line[4:])
                    elif line.startswith("event: "):
                        event["event"] = line[7:]
                    elif line.startswith("data: "):
                        event["data"] = json.loads(line[6:])
                    elif not line and event:
                        self.events.append(event)
                        event = {}
        finally:
            self.ready.set()

    def join(self, seconds: float = 20) -> list[dict[str, Any]]:
        self._thread.join(seconds)
        assert not self._thread.is_alive(), f"the stream did not end; got {self.events}"
        return self.events


def api(url: str, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
    response = httpx.request(
        method, f"{url}{path}", json=body, headers=kwargs.pop("headers", ADMIN), **kwargs
    )
    assert response.status_code < 300, response.text
    return response.json()


def arrange(url: str) -> tuple[int, list[int]]:
    company = api(url, "POST", "/api/v1/companies", {"name": "Acme", "code": "acme"})
    department = api(
        url,
        "POST",
        "/api/v1/departments",
        {"companyId": company["id"], "name": "Sales", "code": "sales", "timeZone": "UTC"},
    )
    clients = [
        api(url, "POST", "/api/v1/clients", {"firstName": n, "email": f"{n}@example.com"})["id"]
        for n in ("ivan", "bounce")
    ]
    return department["id"], clients


def send(url: str, department_id: int, client_ids: list[int]) -> Any:
    body = {
        "communicationTypeId": MASS,
        "departmentId": department_id,
        "subject": "Hi",
        "text": "Hello {{ client.firstName }}",
        "clientIds": client_ids,
        "channels": [EMAIL],
    }
    return api(url, "POST", "/api/v1/sends", body)


def test_status_changes_reach_an_open_stream_and_a_reconnect_resumes_without_loss(live: str) -> None:
    url = live
    department_id, (ivan, bounce) = arrange(url)
    # Subscribed before anything is sent: it sees ivan's changes only, as they happen.
    ivans = Listener(url, clientId=ivan, maxEvents=2)
    answer = send(url, department_id, [ivan, bounce])
    uuids = {a["clientId"]: a["uuid"] for a in answer["accepted"]}
    got = ivans.join()
    assert [e["event"] for e in got] == ["communication.status_changed"] * 2
    assert [(e["data"]["status"], e["data"]["deliveryStatus"]) for e in got] == [
        ("in_progress", "sent"),
        ("done", "delivered"),
    ]
    first = got[0]["data"]
    assert first["uuid"] == uuids[ivan]
    assert (first["sendId"], first["clientId"], first["channelId"]) == (answer["sendId"], ivan, EMAIL)
    assert first["at"].endswith("+00:00")
    assert got[0]["id"] < got[1]["id"]

    # Every change of the send, from the start of the log: the ones this listener missed too.
    everything = Listener(url, headers={"Last-Event-ID": "0"}, sendId=answer["sendId"], maxEvents=4).join()
    steps = {(e["data"]["clientId"], e["data"]["status"], e["data"]["deliveryStatus"]) for e in everything}
    assert steps == {
        (ivan, "in_progress", "sent"),
        (ivan, "done", "delivered"),
        (bounce, "in_progress", "sent"),
        (bounce, "failed", "undelivered"),
    }
    ids = [e["id"] for e in everything]
    assert ids == sorted(ids) and len(set(ids)) == 4
    # Resuming after the first of ivan's: the second, and nothing twice.
    resumed = Listener(url, headers={"Last-Event-ID": str(got[0]["id"])}, clientId=ivan, maxEvents=1).join()
    assert [e["id"] for e in resumed] == [got[1]["id"]]


def test_the_stream_ends_a_send_with_send_completed_after_its_last_change(live: str) -> None:
    url = live
    department_id, (ivan, bounce) = arrange(url)
    answer = send(url, department_id, [ivan, bounce])
    got = Listener(url, headers={"Last-Event-ID": "0"}, sendId=answer["sendId"], maxEvents=5).join()
    assert [e["event"] for e in got] == ["communication.status_changed"] * 4 + ["send.completed"]
    done = got[-1]["data"]
    assert (done["sendId"], done["total"]) == (answer["sendId"], 2)
    assert done["counts"] == {"cancelled": 0, "done": 1, "failed": 1}
    assert done["deliveryCounts"] == {"delivered": 1, "undelivered": 1}
    assert done["at"].endswith("+00:00")


def test_a_new_connection_starts_from_now_and_filters_hold(live: str) -> None:
    url = live
    department_id, (ivan, bounce) = arrange(url)
    answer = send(url, department_id, [ivan])
    Listener(url, headers={"Last-Event-ID": "0"}, sendId=answer["sendId"], maxEvents=2).join()
    # The old changes are not replayed to a new connection; the next send's are.
    fresh = Listener(url, maxEvents=1)
    other = Listener(url, sendId=answer["sendId"] + 1, clientId=bounce, maxEvents=1)
    second = send(url, department_id, [bounce])
    [event] = fresh.join()
    assert event["data"]["sendId"] == second["sendId"]
    [event] = other.join()
    assert (event["data"]["sendId"], event["data"]["clientId"]) == (second["sendId"], bounce)


def test_bad_stream_parameters_are_400s(client: TestClient[Any]) -> None:
    for params, headers in (
        ({"sendId": "x"}, {}),
        ({"clientId": 0}, {}),
        ({}, {"Last-Event-ID": "yesterday"}),
        ({}, {"Last-Event-ID": "-1"}),
    ):
        response = client.get(EVENTS, params=params, headers=headers)
        assert response.status_code == 400, (params, headers, response.text)
    assert client.get(EVENTS, headers={"Authorization": ""}).status_code == 401


def test_delivery_refresh_answers_asked_and_changed_and_checks_its_input(client: TestClient[Any]) -> None:
    response = client.post(REFRESH, json={"all": True})
    assert response.status_code == 200, response.text
    assert response.json() == {"asked": 0, "changed": 0}
    assert client.post(REFRESH, json={"clientId": 5}).json() == {"asked": 0, "changed": 0}
    for body in ({}, {"all": True, "clientId": 1}, {"uuid": "nope"}, {"groupId": 0}, {"everything": True}):
        response = client.post(REFRESH, json=body)
        assert response.status_code == 400, (body, response.text)
    reader = user_with(client, "reader")
    assert client.post(REFRESH, json={"all": True}, headers=reader).status_code == 403


def test_the_schema_shows_send_examples_and_delivery_refresh(client: TestClient[Any]) -> None:
    document = client.get("/openapi.json").json()
    send_op = document["paths"]["/api/v1/sends"]["post"]
    [example] = send_op["responses"]["202"]["content"]["application/json"]["examples"].values()
    assert set(example["value"]) == {"sendId", "acceptedCount", "refusedCount", "accepted", "refused"}
    assert send_op["requestBody"]["content"]["application/json"]["schema"]["examples"]
    assert "post" in document["paths"][REFRESH]
