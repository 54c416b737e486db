"""The CCS client of seed 003 against a local stub call center that checks the request body."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from adapters.callcenter.ccs import CallCenterService
from application.telephony.ports import (
    CallCenterRefused,
    CampaignOrder,
    ContactToCall,
    TelephonyUnavailable,
)
from tests.support.stub_http import Recorded, Reply, stub_server

SAMPLE = json.loads(
    (Path(__file__).parents[1] / "data" / "telephony" / "ccs_sendCampaign_request.json").read_text()
)
REQUIRED = {"campaignid", "contact", "starttime", "endtime"}


def fake_ccs(request: Recorded) -> Reply:
    if request.method == "POST" and request.path == "/api/sendCampaign":
        body = request.json()
        if not set(body) >= REQUIRED or any("phonenumber" not in c for c in body["contact"]):
            return Reply(400, {"campaignid": body.get("campaignid"), "status": 0, "error_msg": "PARAM_MISS"})
        if body["campaignid"] == 99:
            return Reply(400, {"campaignid": 99, "status": 0, "error_msg": "ID_EXISTED"})
        return Reply(200, {"campaignid": body["campaignid"], "status": 1})
    if request.method == "GET" and request.path.startswith("/api/closeCampaign/"):
        campaign = int(request.path.rsplit("/", 1)[1])
        if campaign == 1:
            return Reply(200, {"campaignid": 1, "status": 1})
        return Reply(400, {"campaignid": campaign, "status": 0, "error_msg": "Tham số đầu vào không hợp lệ."})
    return Reply(500, b"<html>Internal Server Error</html>")


def order(campaign_id: int = 1) -> CampaignOrder:
    return CampaignOrder(
        campaign_id=campaign_id,
        start=datetime(2018, 7, 9, 17, 24, tzinfo=UTC),
        end=datetime(2018, 7, 20, 16, 40, tzinfo=UTC),
        type_id=2,
        contacts=[
            ContactToCall(id=1, phone="0987654321", link="http://crm.vn/admin/ContactLevelInfo/EditL3/1"),
            ContactToCall(id=2, phone="0897654123", link="http://crm.vn/admin/ContactLevelInfo/EditL3/2"),
        ],
    )


async def test_send_campaign_posts_exactly_the_seed_003_body_in_the_call_centers_time() -> None:
    with stub_server() as stub:
        stub.handler = fake_ccs
        ccs = CallCenterService(stub.url, time_zone=timezone(timedelta(hours=7)))
        await ccs.send_campaign(order())
    assert stub.requests[-1].json() == SAMPLE


async def test_refusals_carry_the_error_msg() -> None:
    with stub_server() as stub:
        stub.handler = fake_ccs
        ccs = CallCenterService(stub.url)
        with pytest.raises(CallCenterRefused, match="ID_EXISTED"):
            await ccs.send_campaign(order(99))
        await ccs.close_campaign(1)
        with pytest.raises(CallCenterRefused) as refused:
            await ccs.close_campaign(7)
        assert refused.value.error_msg == "Tham số đầu vào không hợp lệ."
        assert stub.requests[-1].path == "/api/closeCampaign/7" and stub.requests[-1].method == "GET"


async def test_an_answer_that_is_not_the_protocol_is_unavailability() -> None:
    with stub_server() as stub:
        stub.handler = lambda request: Reply(502, b"bad gateway")
        with pytest.raises(TelephonyUnavailable, match="502"):
            await CallCenterService(stub.url).close_campaign(1)
