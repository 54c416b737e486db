"""The one-click unsubscribe link, and the sandbox outbox with the in-process worker end to end."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from adapters.security import Argon2PasswordHasher
from entrypoints.settings import Settings
from tests.http.conftest import make_client
from tests.http.test_sends_api import EMAIL, a_client, department, send


def token_for(client: TestClient[Any], client_id: int, channel_id: int) -> str:
    tokens = client.app.state.container.use_cases.email_identity().tokens
    return str(tokens.issue(client_id, channel_id))


def test_get_shows_a_page_and_changes_nothing_post_blocks_email_for_good(client: TestClient[Any]) -> None:
    department_id = department(client)
    ivan = a_client(client, email="ivan@example.com")
    token = token_for(client, ivan, EMAIL)
    anonymous = {"Authorization": ""}
    page = client.get(f"/unsubscribe/{token}", headers=anonymous)
    assert page.status_code == 200 and "<form" in page.text and 'method="post"' in page.text
    assert client.get("/api/v1/channel-blocks", params={"clientId": ivan}).json()["total"] == 0

    done = client.post(f"/unsubscribe/{token}", content=b"List-Unsubscribe=One-Click", headers=anonymous)
    assert done.status_code == 200, done.text
    [block] = client.get("/api/v1/channel-blocks", params={"clientId": ivan}).json()["items"]
    assert (block["channelId"], block["until"], block["reason"]) == (EMAIL, None, "unsubscribed")
    assert (
        client.post(f"/unsubscribe/{token}", headers=anonymous).status_code == 200
    )  # again: no second block
    assert client.get("/api/v1/channel-blocks", params={"clientId": ivan}).json()["total"] == 1

    refused = send(client, departmentId=department_id, text="x", clientIds=[ivan], channels=[EMAIL]).json()
    assert refused["refused"][0]["reason"] == "channel_blocked"


@pytest.mark.parametrize("bad", ["nope", "1.3.forged", "999999.3.x"])
def test_a_bad_token_is_a_404(client: TestClient[Any], bad: str) -> None:
    assert client.get(f"/unsubscribe/{bad}", headers={"Authorization": ""}).status_code == 404
    assert client.post(f"/unsubscribe/{bad}", headers={"Authorization": ""}).status_code == 404


@pytest.fixture
def live_client(hasher: Argon2PasswordHasher) -> Iterator[TestClient[Any]]:
    """The embedded default: memory storage, the sandbox, and the worker inside the API process."""
    yield from make_client(Settings(storage="memory", in_process_worker=True), hasher)


def wait_for(check: Any, seconds: float = 15.0) -> Any:
    # The in-process worker runs on the server's own loop and clock: poll its visible effect.
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError("the worker did not get there in time")


def test_the_in_process_worker_sends_through_the_sandbox_and_statuses_arrive(
    live_client: TestClient[Any],
) -> None:
    client = live_client
    department_id = department(client)
    ivan = a_client(client, email="ivan@example.com")
    answer = send(
        client,
        departmentId=department_id,
        subject="Hi",
        text="Hello {{ client.firstName }}",
        clientIds=[ivan],
        channels=[EMAIL],
    ).json()
    uuid = answer["accepted"][0]["uuid"]
    page = wait_for(lambda: client.get("/api/v1/sandbox/messages", params={"clientId": ivan}).json()["items"])
    [message] = page
    assert (message["uuid"], message["to"], message["subject"], message["text"]) == (
        uuid,
        "ivan@example.com",
        "Hi",
        "Hello Ivan",
    )
    assert "Hello Ivan" in message["html"]
    assert message["headers"]["Message-ID"].startswith(f"<{uuid}@")
    assert message["headers"]["List-Unsubscribe"].startswith("<http://localhost:8181/unsubscribe/")
    assert message["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    done = wait_for(
        lambda: (
            (c := client.get(f"/api/v1/communications/{uuid}").json())["deliveryStatus"] == "delivered" and c
        )
    )
    assert done["status"] == "done"
    assert client.get("/api/v1/sandbox/messages", params={"uuid": "x"}).json() == {"items": [], "total": 0}
