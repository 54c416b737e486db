"""XSI event bodies in the real BroadWorks format (namespace, ``xsi1:type``), for tests and the bench.

The layout follows the captured CallAnsweredEvent in tests/data/telephony (and the Beeline capture's
fields: MPBX userId, ``@ip.beeline.ru`` targets, callhalf ids, UUID extTrackingIds).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from xml.sax.saxutils import escape

XSI = "http://schema.broadsoft.com/xsi"
START_MS = 1_772_359_200_000  # 2026-03-01 10:00:00 UTC


def xsi_event(
    event_type: str,
    *,
    target: str = "SIP00SLQU00A0J@ip.beeline.ru",
    track: str = "b7fb63e8-33ca-4819-83f7-478b2cc9f327",
    call_id: str = "callhalf-8322939:0",
    personality: str = "Terminator",
    state: str = "Alerting",
    remote: str | None = "tel:+74951234567",
    start: int = START_MS,
    answer: int | None = None,
    release: int | None = None,
    cause: str | None = None,
    event_id: str | None = None,
    prefix: str = "xsi",
    subscription_id: str = "b6e303d7-e0b3-4674-a216-881729e97070",
) -> bytes:
    """One ``xsi:Event`` body; ``prefix`` chooses the namespace prefix (any must work)."""
    p = f"{prefix}:" if prefix else ""
    event_id = event_id or str(uuid.uuid4())
    call = ""
    if event_type.startswith("Call"):
        optional = ""
        if cause:
            reason = f"<{p}internalReleaseCause>{cause}</{p}internalReleaseCause>"
            optional += f"<{p}releaseCause>{reason}</{p}releaseCause>"
        party = f"<{p}address>{escape(remote)}</{p}address>" if remote else f"<{p}privacy/>"
        times = f"<{p}startTime>{start}</{p}startTime>"
        if answer is not None:
            times += f"<{p}answerTime>{answer}</{p}answerTime>"
        if release is not None:
            times += f"<{p}releaseTime>{release}</{p}releaseTime>"
        call = (
            f"<{p}call><{p}callId>{call_id}</{p}callId><{p}extTrackingId>{track}</{p}extTrackingId>"
            f"<{p}personality>{personality}</{p}personality><{p}state>{state}</{p}state>{optional}"
            f"<{p}remoteParty>{party}<{p}callType>Network</{p}callType></{p}remoteParty>"
            f'<{p}endpoint xsi1:type="{p}AccessEndpoint">'
            f"<{p}addressOfRecord>{target}</{p}addressOfRecord></{p}endpoint>"
            f"{times}</{p}call>"
        )
    ns = f'xmlns:{prefix}="{XSI}"' if prefix else f'xmlns="{XSI}"'
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<{p}Event {ns} xmlns:xsi1="http://www.w3.org/2001/XMLSchema-instance"'
        f' xsi1:type="{p}SubscriptionEvent">'
        f"<{p}eventID>{event_id}</{p}eventID><{p}sequenceNumber>53</{p}sequenceNumber>"
        f"<{p}userId>MPBX_E_252526_12218393642_EventSubscription@ip.beeline.ru</{p}userId>"
        f"<{p}externalApplicationId>12218393642_46cd99c43f3727ef636412c4ada02a17</{p}externalApplicationId>"
        f"<{p}subscriptionId>{subscription_id}</{p}subscriptionId>"
        f"<{p}httpContact><{p}uri>https://switchboard.example/webhooks/beeline/t</{p}uri></{p}httpContact>"
        f"<{p}targetId>{target}</{p}targetId>"
        f'<{p}eventData xsi1:type="{p}{event_type}">{call}</{p}eventData></{p}Event>'
    ).encode()


@dataclass(frozen=True)
class Phone:
    target: str
    call_id: str


def missed_call(remote: str = "tel:+74951234567", track: str | None = None) -> Iterator[bytes]:
    """Received (ringing), Off-/On-Hook noise, released without answerTime: a missed call."""
    track = track or str(uuid.uuid4())
    yield xsi_event("CallReceivedEvent", track=track, remote=remote)
    yield xsi_event("HookStatusEvent")
    yield xsi_event(
        "CallReleasedEvent", track=track, remote=remote, state="Released", release=START_MS + 25_000
    )


def answered_call(remote: str = "tel:+74951234567", track: str | None = None) -> Iterator[bytes]:
    track = track or str(uuid.uuid4())
    yield xsi_event("CallReceivedEvent", track=track, remote=remote)
    yield xsi_event("CallAnsweredEvent", track=track, remote=remote, state="Active", answer=START_MS + 6000)
    yield xsi_event(
        "CallReleasedEvent",
        track=track,
        remote=remote,
        state="Released",
        answer=START_MS + 6000,
        release=START_MS + 96_000,
    )


def group_call_answered_by_second_phone(remote: str = "tel:+74951234567") -> Iterator[bytes]:
    track = str(uuid.uuid4())
    first = Phone("SIP0000000101@ip.beeline.ru", "callhalf-1:0")
    second = Phone("SIP0000000102@ip.beeline.ru", "callhalf-2:0")
    for phone in (first, second):
        yield xsi_event(
            "CallReceivedEvent", target=phone.target, call_id=phone.call_id, track=track, remote=remote
        )
    yield xsi_event(
        "CallAnsweredEvent", target=second.target, call_id=second.call_id, track=track, remote=remote,
        state="Active", answer=START_MS + 4000,
    )  # fmt: skip
    yield xsi_event(
        "CallReleasedEvent", target=first.target, call_id=first.call_id, track=track, remote=remote,
        state="Released", release=START_MS + 4000,
    )  # fmt: skip
    yield xsi_event(
        "CallReleasedEvent", target=second.target, call_id=second.call_id, track=track, remote=remote,
        state="Released", answer=START_MS + 4000, release=START_MS + 64_000,
    )  # fmt: skip
