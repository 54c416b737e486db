"""PBX subscriptions: the API, and the worker job that renews, recreates and resubscribes."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from litestar.testing import TestClient

from adapters.beeline.api import TOKEN_HEADER, BeelinePbx
from adapters.beeline.xsi import parse_event
from adapters.memory.live_feed import Doorbell, InProcessFeed
from adapters.memory.unit_of_work import MemoryUnitOfWorkFactory
from adapters.phones import LibPhoneNumberParser
from adapters.security import Argon2PasswordHasher
from application.telephony.inbox import EventInbox, InboxProcessor
from application.telephony.pbx_events import PbxEvents
from application.telephony.subscriptions import NewSubscription, PbxSubscriptionService, WebhookToken
from domain.telephony.subscriptions import SubscriptionState
from entrypoints.jobs.pbx_subscriptions import PbxSubscriptionJob
from entrypoints.settings import Settings, TelephonySettings
from tests.http.conftest import make_client
from tests.support.clock import ManualClock
from tests.support.stub_http import Recorded, Reply, StubServer, stub_server
from tests.support.xsi_events import xsi_event

API_TOKEN = "pbx-token"
SUBSCRIPTIONS = "/api/v1/telephony/subscriptions"


class FakePbx:
    """Grants at most 1800 s, numbers subscriptions, forgets them on DELETE or when told to."""

    def __init__(self) -> None:
        self.known: set[str] = set()
        self.count = 0
        self.down = False
        self.created = threading.Event()

    def __call__(self, request: Recorded) -> Reply:
        if request.headers.get(TOKEN_HEADER.lower()) != API_TOKEN:
            return Reply(401, {"errorCode": "AuthenticationFailed"})
        if self.down:
            return Reply(503, {"description": "maintenance"})
        wanted = (request.query.get("subscriptionId") or [""])[0]
        if request.method == "PUT":
            self.count += 1
            self.known.add(f"sub-{self.count}")
            self.created.set()
            return Reply(
                200, {"subscriptionId": f"sub-{self.count}", "expires": min(request.json()["expires"], 1800)}
            )
        if request.method == "GET":
            return Reply(200, {"subscriptionId": wanted}) if wanted in self.known else Reply(404, {})
        if request.method == "DELETE":
            self.known.discard(wanted)
            return Reply(200, {})
        return Reply(404, {})


@pytest.fixture
def pbx() -> Iterator[tuple[StubServer, FakePbx]]:
    fake = FakePbx()
    with stub_server() as stub:
        stub.handler = fake
        yield stub, fake


def api_client(hasher: Argon2PasswordHasher, stub: StubServer, **extra: Any) -> Iterator[TestClient[Any]]:
    telephony = TelephonySettings(beeline_api_token=API_TOKEN, beeline_api_url=stub.url, **extra)
    yield from make_client(
        Settings(storage="memory", public_url="https://sb.example", telephony=telephony), hasher
    )


def test_create_list_and_drop_through_the_api(
    hasher: Argon2PasswordHasher, pbx: tuple[StubServer, FakePbx]
) -> None:
    stub, fake = pbx
    for api in api_client(hasher, stub):
        listing = api.get(SUBSCRIPTIONS).json()
        token = listing["webhookToken"]
        assert listing["webhookUrl"] == f"https://sb.example/webhooks/beeline/{token}" and len(token) >= 20
        created = api.post(
            SUBSCRIPTIONS, json={"pattern": "200", "expires": 3600, "subscriptionType": "BASIC_CALL"}
        )
        assert created.status_code == 201, created.text
        body = created.json()
        assert (body["state"], body["expires"], body["requestedExpires"], body["subscriptionId"]) == (
            "active",
            1800,
            3600,
            "sub-1",
        )
        assert stub.requests[-1].json()["url"] == listing["webhookUrl"]
        assert api.get(SUBSCRIPTIONS).json()["webhookToken"] == token  # kept, not made up again
        # The generated token opens the webhook.
        hook = api.post(
            listing["webhookUrl"].removeprefix("https://sb.example"), content=xsi_event("HookStatusEvent")
        )
        assert hook.status_code == 200
        assert api.delete(f"{SUBSCRIPTIONS}/{body['id']}").status_code == 204
        assert fake.known == set() and api.get(SUBSCRIPTIONS).json()["items"] == []
        assert api.post(SUBSCRIPTIONS, json={"expires": 5}).status_code == 400
        assert api.post(SUBSCRIPTIONS, json={"subscriptionType": "EVERYTHING"}).status_code == 400


def test_a_pbx_outage_is_recorded_not_a_crash(
    hasher: Argon2PasswordHasher, pbx: tuple[StubServer, FakePbx]
) -> None:
    stub, fake = pbx
    fake.down = True
    for api in api_client(hasher, stub):
        created = api.post(SUBSCRIPTIONS, json={})
        assert created.status_code == 201
        assert created.json()["state"] == "failing" and "503" in created.json()["lastError"]
        dropped = api.delete(f"{SUBSCRIPTIONS}/{created.json()['id']}")
        assert dropped.status_code == 204  # never granted: nothing to end at the PBX


class Rig:
    def __init__(self, stub: StubServer) -> None:
        self.clock = ManualClock()
        self.uow = MemoryUnitOfWorkFactory()
        self.doorbell = Doorbell()
        self.service = PbxSubscriptionService(
            self.uow,
            self.clock,
            BeelinePbx(API_TOKEN, stub.url),
            WebhookToken(self.uow, "t"),
            "https://sb.example",
        )
        self.job = PbxSubscriptionJob(
            self.service, self.doorbell, self.clock, check_interval=timedelta(minutes=5)
        )

    async def states(self) -> list[tuple[SubscriptionState, str | None]]:
        return [(s.state, s.subscription_id) for s in (await self.service.list()).items]


async def test_the_job_renews_before_expiry_and_keeps_the_granted_time(
    pbx: tuple[StubServer, FakePbx],
) -> None:
    stub, fake = pbx
    rig = Rig(stub)
    created = await rig.service.create(NewSubscription(expires=3600))
    assert created.granted_expires == 1800
    rig.clock.advance(seconds=1000)
    assert (await rig.job.run_once()).renewed == 0
    rig.clock.advance(seconds=600)  # 200 s left: inside the 5-minute margin
    assert (await rig.job.run_once()).renewed == 1
    assert await rig.states() == [(SubscriptionState.ACTIVE, "sub-2")]
    assert fake.known == {"sub-2"}  # the old one was ended


async def test_the_job_recreates_a_subscription_the_pbx_lost(pbx: tuple[StubServer, FakePbx]) -> None:
    stub, fake = pbx
    rig = Rig(stub)
    await rig.service.create(NewSubscription())
    await rig.job.run_once()
    fake.known.clear()
    rig.clock.advance(minutes=6)
    assert (await rig.job.run_once()).recreated == 1
    assert await rig.states() == [(SubscriptionState.ACTIVE, "sub-2")]


async def test_errors_are_retried_and_never_end_the_job(pbx: tuple[StubServer, FakePbx]) -> None:
    stub, fake = pbx
    rig = Rig(stub)
    fake.down = True
    await rig.service.create(NewSubscription())
    assert (await rig.job.run_once()).failed == 1
    fake.down = False
    assert (await rig.job.run_once()).recreated == 1

    third_round = asyncio.Event()

    class Broken(PbxSubscriptionService):
        rounds = 0

        async def maintain(self) -> Any:
            Broken.rounds += 1
            if Broken.rounds >= 3:
                third_round.set()
            rig.doorbell.ring()  # the next round at once
            raise RuntimeError("a bug")

    broken = PbxSubscriptionJob(
        Broken(rig.uow, rig.clock, None, WebhookToken(rig.uow, "t"), "u"), rig.doorbell, rig.clock
    )
    stop = asyncio.Event()
    task = asyncio.create_task(broken.run(stop))
    await asyncio.wait_for(third_round.wait(), 5)
    assert not task.done()  # three failed rounds, still running
    stop.set()
    await asyncio.wait_for(task, 5)


async def test_subscription_terminated_resubscribes_at_once(pbx: tuple[StubServer, FakePbx]) -> None:
    stub, fake = pbx
    rig = Rig(stub)
    subscription = await rig.service.create(NewSubscription())
    events = PbxEvents(rig.uow, rig.clock, LibPhoneNumberParser(), InProcessFeed(), rig.doorbell)
    stop = asyncio.Event()
    task = asyncio.create_task(rig.job.run(stop))
    await asyncio.sleep(0)
    fake.created.clear()
    # As the webhook and the worker do it: kept in the inbox, then applied by the inbox job.
    await EventInbox(rig.uow, rig.clock).accept(
        parse_event(
            xsi_event("SubscriptionTerminatedEvent", subscription_id=subscription.subscription_id or "")
        )
    )
    assert await InboxProcessor(rig.uow, events).run_once() == 1
    assert await asyncio.to_thread(fake.created.wait, 10)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert await rig.states() == [(SubscriptionState.ACTIVE, "sub-2")]
