"""Click-to-call through Asterisk ARI originate, against a local stub checking auth and parameters."""

from __future__ import annotations

import base64

import pytest

from adapters.asterisk.ari import AsteriskAri
from application.telephony.ports import TelephonyUnavailable
from tests.support.stub_http import Recorded, Reply, stub_server

AUTH = "Basic " + base64.b64encode(b"switchboard:s3cret").decode()


def fake_ari(request: Recorded) -> Reply:
    if request.headers.get("authorization") != AUTH:
        return Reply(401, {"message": "Authentication required"})
    if (request.method, request.path) != ("POST", "/ari/channels"):
        return Reply(404, {"message": "Resource not found"})
    if "endpoint" not in request.query or "app" in request.query:
        return Reply(400, {"message": "Invalid parameters"})
    return Reply(200, {"id": "1414510600.0", "state": "Down", "name": request.query["endpoint"][0]})


async def test_originate_rings_the_extension_then_dials_the_client() -> None:
    with stub_server() as stub:
        stub.handler = fake_ari
        ari = AsteriskAri(stub.url, "switchboard", "s3cret", context="from-internal", caller_id="Switchboard")
        call_id = await ari.call(extension="101", phone="+74951234567")
    assert call_id == "1414510600.0"
    assert stub.requests[-1].query == {
        "endpoint": ["PJSIP/101"],
        "extension": ["+74951234567"],
        "context": ["from-internal"],
        "priority": ["1"],
        "timeout": ["30"],
        "callerId": ["Switchboard"],
    }


async def test_wrong_credentials_are_reported() -> None:
    with stub_server() as stub:
        stub.handler = fake_ari
        with pytest.raises(TelephonyUnavailable, match="401"):
            await AsteriskAri(stub.url, "switchboard", "wrong").call(extension="101", phone="+7")
