"""The Beeline PBX client against a local fake PBX that checks the token and the request shapes."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from adapters.beeline.api import TOKEN_HEADER, BeelinePbx
from application.telephony.ports import TelephonyUnavailable
from domain.telephony.subscriptions import SubscriptionType
from tests.support.stub_http import Recorded, Reply, StubServer, stub_server

TOKEN = "950d89b0-85f8-4263-bad3-b1c21c583a41"


def fake_pbx(request: Recorded) -> Reply:
    if request.headers.get(TOKEN_HEADER.lower()) != TOKEN:
        return Reply(401, {"errorCode": "AuthenticationFailed"})
    if request.path == "/apis/portal/subscription":
        if request.method == "PUT":
            body = request.json()
            if body.get("subscriptionType") not in ("BASIC_CALL", "ADVANCED_CALL") or "url" not in body:
                return Reply(400, {"description": "bad subscription"})
            # Grants less than asked, as the PBX may.
            return Reply(200, {"subscriptionId": "sub-1", "expires": min(body["expires"], 1800)})
        known = request.query.get("subscriptionId") == ["sub-1"]
        if request.method == "GET":
            return Reply(200, {"subscriptionId": "sub-1", "expires": 1800}) if known else Reply(404, {})
        if request.method == "DELETE":
            return Reply(200, {}) if known else Reply(404, {})
    if request.method == "POST" and request.path.startswith("/apis/portal/abonents/"):
        return Reply(200, "call-42")
    return Reply(404, {"description": "no such route"})


@pytest.fixture
def pbx() -> Iterator[StubServer]:
    with stub_server() as stub:
        stub.handler = fake_pbx
        yield stub


def client(stub: StubServer, token: str = TOKEN) -> BeelinePbx:
    return BeelinePbx(token, f"{stub.url}/apis/portal")


async def test_create_sends_the_seed_004_body_and_keeps_the_granted_expiry(pbx: StubServer) -> None:
    granted = await client(pbx).create(
        pattern="200",
        expires=3600,
        subscription_type=SubscriptionType.BASIC_CALL,
        url="https://sb/webhooks/beeline/t",
    )
    assert (granted.subscription_id, granted.expires) == ("sub-1", 1800)
    put = pbx.requests[-1]
    assert (put.method, put.path) == ("PUT", "/apis/portal/subscription")
    assert put.json() == {
        "pattern": "200",
        "expires": 3600,
        "subscriptionType": "BASIC_CALL",
        "url": "https://sb/webhooks/beeline/t",
    }


async def test_create_without_pattern_subscribes_the_whole_pbx(pbx: StubServer) -> None:
    await client(pbx).create(
        pattern=None, expires=600, subscription_type=SubscriptionType.ADVANCED_CALL, url="u"
    )
    assert pbx.requests[-1].json() == {"expires": 600, "subscriptionType": "ADVANCED_CALL", "url": "u"}


async def test_read_and_delete_by_subscription_id(pbx: StubServer) -> None:
    pbx_client = client(pbx)
    assert await pbx_client.exists("sub-1") is True
    assert await pbx_client.exists("gone") is False
    await pbx_client.delete("sub-1")
    await pbx_client.delete("gone")  # already ended: not an error
    assert [(r.method, r.query) for r in pbx.requests] == [
        ("GET", {"subscriptionId": ["sub-1"]}),
        ("GET", {"subscriptionId": ["gone"]}),
        ("DELETE", {"subscriptionId": ["sub-1"]}),
        ("DELETE", {"subscriptionId": ["gone"]}),
    ]


async def test_a_wrong_token_is_reported_with_what_the_pbx_said(pbx: StubServer) -> None:
    with pytest.raises(TelephonyUnavailable, match=r"401.*AuthenticationFailed"):
        await client(pbx, "wrong").exists("sub-1")


async def test_click_to_call_posts_the_number_as_a_query_parameter(pbx: StubServer) -> None:
    call_id = await client(pbx).call(extension="SIP00SLQU00A0J@ip.beeline.ru", phone="+74951234567")
    request = pbx.requests[-1]
    assert request.path == "/apis/portal/abonents/SIP00SLQU00A0J@ip.beeline.ru/call"
    assert request.query == {"phoneNumber": ["+74951234567"]} and request.body == b""
    assert call_id == "call-42"


async def test_timeouts_and_unreachable_pbx_are_reported() -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    slow = BeelinePbx(TOKEN, "http://pbx.invalid/apis/portal", transport=httpx.MockTransport(timeout))
    with pytest.raises(TelephonyUnavailable, match="timed out"):
        await slow.exists("sub-1")
    with stub_server() as stub:
        closed = stub.url
    with pytest.raises(TelephonyUnavailable, match="failed"):
        await BeelinePbx(TOKEN, closed).exists("sub-1")
