"""The Twilio sender through the twilio library against a local stub of the Messages API."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from adapters.twilio.sender import TwilioSender, TwilioSettings
from application.sending.ports import OutgoingMessage, SendOutcome
from domain.communications import DeliveryStatus
from domain.dictionaries import ChannelKind
from tests.support.twilio_stub import TwilioStub, dropping_server, twilio_stub

UUID = "6f1c2a4e-6f0b-4d7e-9a51-0d7f3c1b2a90"
CALLBACK = "https://switchboard.example/webhooks/twilio/status"


def message(to: str = "+15551234567", *, kind: ChannelKind = ChannelKind.SMS) -> OutgoingMessage:
    return OutgoingMessage(
        uuid=UUID, client_id=7, channel_id=1, channel_kind=kind, to=to, text="Your code is 1234"
    )


def settings(stub: TwilioStub, **changes: Any) -> TwilioSettings:
    values: dict[str, Any] = {
        "account_sid": stub.account_sid,
        "auth_token": stub.auth_token,
        "from_number": "+15550006666",
        "whatsapp_from": "+15550007777",
        "api_url": stub.url,
        "status_callback_url": CALLBACK,
        "timeout": 2.0,
    }
    values.update(changes)
    return TwilioSettings(**values)


@pytest.fixture
def stub() -> Iterator[TwilioStub]:
    with twilio_stub() as running:
        yield running


@pytest.fixture
async def sms(stub: TwilioStub) -> AsyncIterator[TwilioSender]:
    sender = TwilioSender(settings(stub))
    yield sender
    await sender.close()


async def test_an_sms_goes_out_with_twilio_form_fields_and_basic_auth(
    stub: TwilioStub, sms: TwilioSender
) -> None:
    result = await sms.send(message())
    assert result.outcome is SendOutcome.SENT
    [accepted] = stub.accepted
    assert result.provider_message_id == accepted.sid and accepted.sid.startswith("SM")
    assert accepted.form["To"] == "+15551234567"
    assert accepted.form["From"] == "+15550006666"
    assert accepted.form["Body"] == "Your code is 1234"
    assert accepted.form["StatusCallback"] == f"{CALLBACK}?uuid={UUID}"
    assert "MessagingServiceSid" not in accepted.form


async def test_a_messaging_service_replaces_the_sender_number(stub: TwilioStub) -> None:
    sender = TwilioSender(settings(stub, from_number=None, messaging_service_sid="MG" + "3" * 32))
    try:
        assert (await sender.send(message())).outcome is SendOutcome.SENT
    finally:
        await sender.close()
    [accepted] = stub.accepted
    assert accepted.form["MessagingServiceSid"] == "MG" + "3" * 32 and "From" not in accepted.form


async def test_whatsapp_messages_carry_the_whatsapp_prefix(stub: TwilioStub) -> None:
    sender = TwilioSender(settings(stub), whatsapp=True)
    try:
        result = await sender.send(message(kind=ChannelKind.MESSENGER))
    finally:
        await sender.close()
    assert result.outcome is SendOutcome.SENT and sender.provider == "twilio_whatsapp"
    [accepted] = stub.accepted
    assert (accepted.form["To"], accepted.form["From"]) == ("whatsapp:+15551234567", "whatsapp:+15550007777")


async def test_an_invalid_number_is_a_final_rejection_with_twilio_code(
    stub: TwilioStub, sms: TwilioSender
) -> None:
    result = await sms.send(message("12345"))
    assert result.outcome is SendOutcome.REJECTED
    assert result.delivery_status is DeliveryStatus.FAILED
    assert result.reason and "21211" in result.reason
    assert stub.answered == {"21211": 1}


async def test_an_unsubscribed_recipient_is_final(stub: TwilioStub, sms: TwilioSender) -> None:
    stub.unsubscribed.add("+15551234567")
    result = await sms.send(message())
    assert result.outcome is SendOutcome.REJECTED and result.reason and "21610" in result.reason


async def test_a_wrong_token_is_refused_by_twilio_and_is_the_providers_fault(stub: TwilioStub) -> None:
    sender = TwilioSender(settings(stub, auth_token="wrong"))
    try:
        result = await sender.send(message())
    finally:
        await sender.close()
    assert result.outcome is SendOutcome.RETRY and result.reason and "20003" in result.reason
    assert stub.accepted == []


@pytest.mark.parametrize("fault", ["500", "503"])
async def test_server_errors_are_transient(stub: TwilioStub, sms: TwilioSender, fault: str) -> None:
    stub.faults = lambda form: fault
    result = await sms.send(message())
    assert result.outcome is SendOutcome.RETRY and stub.accepted == []


async def test_too_many_requests_is_transient_with_its_retry_after(
    stub: TwilioStub, sms: TwilioSender
) -> None:
    stub.faults = lambda form: "429"
    result = await sms.send(message())
    assert result.outcome is SendOutcome.RETRY
    assert result.retry_after == 7.0


async def test_a_slow_answer_times_out_as_transient(stub: TwilioStub) -> None:
    stub.faults = lambda form: "slow"
    stub.slow_seconds = 3
    sender = TwilioSender(settings(stub, timeout=0.3))
    try:
        result = await sender.send(message())
    finally:
        await sender.close()
    assert result.outcome is SendOutcome.RETRY and result.reason and "no answer" in result.reason


async def test_a_dropped_connection_is_transient() -> None:
    with dropping_server() as peer:
        sender = TwilioSender(
            TwilioSettings(account_sid="AC1", auth_token="t", from_number="+15550006666", api_url=peer.url)
        )
        try:
            result = await sender.send(message())
        finally:
            await sender.close()
    assert result.outcome is SendOutcome.RETRY and peer.connections >= 1


async def test_a_refused_connection_is_transient() -> None:
    sender = TwilioSender(
        TwilioSettings(account_sid="AC1", auth_token="t", from_number="+1555", api_url="http://127.0.0.1:9")
    )
    try:
        result = await sender.send(message())
    finally:
        await sender.close()
    assert result.outcome is SendOutcome.RETRY


async def test_the_auth_token_never_reaches_the_logs(
    stub: TwilioStub, sms: TwilioSender, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await sms.send(message())
    assert stub.auth_token not in caplog.text
    assert stub.auth_token not in repr(settings(stub))
