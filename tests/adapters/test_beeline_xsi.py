"""Parsing BroadWorks XSI event bodies: namespaces not prefixes, and nothing unsafe gets through."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.beeline.xsi import MAX_BODY_BYTES, parse_event
from domain.errors import ValidationFailed
from tests.support.xsi_events import START_MS, xsi_event

CAPTURE = (
    Path(__file__).parents[1]
    / "data"
    / "telephony"
    / "xsi_CallAnsweredEvent_anonymized_laravel-broadsoft.xml"
)


def test_the_captured_answered_event_parses() -> None:
    event = parse_event(CAPTURE.read_bytes())
    assert event.event_id == "d977104c-8cca-437c-9b4e-30c03ba1f20a"
    assert event.event_type == "CallAnsweredEvent"
    assert event.target_id == "targetId" and event.sequence_number == 4
    assert event.call is not None
    assert (event.call.personality, event.call.state) == ("Originator", "Active")
    assert (event.call.start_time, event.call.answer_time) == (1456130781929, 1456130787729)
    assert event.call.remote_address == "address"


@pytest.mark.parametrize("prefix", ["xsi", "b", ""])
def test_any_prefix_of_the_xsi_namespace_works(prefix: str) -> None:
    body = xsi_event("CallReleasedEvent", prefix=prefix, release=START_MS + 1000, cause="Busy")
    event = parse_event(body)
    assert event.event_type == "CallReleasedEvent"
    assert event.call is not None and event.call.release_cause == "Busy"
    assert event.call.answer_time is None and event.call.release_time == START_MS + 1000


def test_the_right_local_name_in_another_namespace_is_not_an_xsi_event() -> None:
    body = xsi_event("CallReleasedEvent").replace(b"http://schema.broadsoft.com/xsi", b"urn:other")
    with pytest.raises(ValidationFailed):
        parse_event(body)


def test_a_type_whose_prefix_is_not_the_xsi_namespace_is_no_known_type() -> None:
    body = xsi_event("CallReleasedEvent").replace(
        b'xsi1:type="xsi:CallReleasedEvent"', b'xsi1:type="zz:CallReleasedEvent"'
    )
    assert parse_event(body).event_type == ""


def test_an_unknown_event_type_parses_and_is_marked_unknown() -> None:
    event = parse_event(xsi_event("CallRecordingStartedEvent"))
    assert event.event_type == "CallRecordingStartedEvent" and event.known_type is None


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<xsi:Event xmlns:xsi="http://schema.broadsoft.com/xsi"><xsi:eventID>&lol3;</xsi:eventID></xsi:Event>"""

EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE e [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<xsi:Event xmlns:xsi="http://schema.broadsoft.com/xsi"><xsi:eventID>&secret;</xsi:eventID></xsi:Event>"""


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(BOMB, id="xml-bomb"),
        pytest.param(EXTERNAL, id="external-entity"),
        pytest.param(xsi_event("CallReleasedEvent")[:-40], id="truncated"),
        pytest.param(b"not xml at all", id="garbage"),
        pytest.param(b"", id="empty"),
        pytest.param(b"<a>" * (MAX_BODY_BYTES // 3 + 1), id="too-large"),
    ],
)
def test_unsafe_or_malformed_bodies_are_rejected(body: bytes) -> None:
    with pytest.raises(ValidationFailed):
        parse_event(body)


def test_the_real_truncated_beeline_capture_is_rejected() -> None:
    # A CallReleasedEvent Beeline posted (public gist), cut off inside startTime: not XML, so a 400.
    body = (CAPTURE.parent / "beeline_gist_CallReleasedEvent_truncated.txt").read_bytes()
    assert b'<eventData type="xsi:CallReleasedEvent">' in body
    with pytest.raises(ValidationFailed, match="malformed XML"):
        parse_event(body)


def test_a_time_that_is_not_milliseconds_is_rejected() -> None:
    with pytest.raises(ValidationFailed, match="startTime"):
        parse_event(xsi_event("CallReceivedEvent").replace(str(START_MS).encode(), b"yesterday"))


def test_subscription_terminated_has_no_call() -> None:
    event = parse_event(xsi_event("SubscriptionTerminatedEvent"))
    assert event.event_type == "SubscriptionTerminatedEvent" and event.call is None
    assert event.subscription_id == "b6e303d7-e0b3-4674-a216-881729e97070"
