"""BroadWorks XSI event bodies -> domain events, parsed safely.

Elements are matched by namespace and local name, never by prefix: captures bind the XSI namespace
to ``xsi`` and the XML-Schema-instance one to ``xsi1``, but any prefixes are legal. The event type is
a QName in an attribute value, so its prefix is resolved against the document's declarations.
defusedxml refuses any DTD, hence entity bombs and external entities, before anything is built.
"""

from __future__ import annotations

from io import BytesIO
from typing import Final
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from domain.errors import ValidationFailed
from domain.telephony.call_events import CallHalf, XsiEvent

XSI: Final = "http://schema.broadsoft.com/xsi"
SCHEMA_INSTANCE: Final = "http://www.w3.org/2001/XMLSchema-instance"
MAX_BODY_BYTES: Final = 256 * 1024
"""Real events are a few kilobytes; anything far larger is not one."""

_TYPE: Final = f"{{{SCHEMA_INSTANCE}}}type"


def _q(local: str) -> str:
    return f"{{{XSI}}}{local}"


def _reject(message: str) -> ValidationFailed:
    return ValidationFailed.field("body", message)


def _text(parent: Element | None, *path: str) -> str | None:
    node = parent
    for local in path:
        if node is None:
            return None
        node = node.find(_q(local))
    if node is None or node.text is None:
        return None
    return node.text.strip() or None


def _millis(parent: Element | None, local: str) -> int | None:
    raw = _text(parent, local)
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        raise _reject(f"{local} is not epoch milliseconds: {raw[:40]!r}") from None


def _event_type(data: Element, declared: dict[str, set[str]]) -> str:
    """The local name of ``eventData``'s schema-instance type, when its prefix means the XSI namespace."""
    value = (data.get(_TYPE) or "").strip()
    prefix, _, local = value.rpartition(":")
    if not local or XSI not in declared.get(prefix, set()):
        return ""
    return local


def _parse_tree(body: bytes) -> tuple[Element, dict[str, set[str]]]:
    declared: dict[str, set[str]] = {}
    root: Element | None = None
    try:
        for kind, item in iterparse(BytesIO(body), events=("start-ns", "start"), forbid_dtd=True):
            if kind == "start-ns":
                prefix, uri = item
                declared.setdefault(prefix, set()).add(uri)
            elif root is None:
                root = item
    except DefusedXmlException as error:
        raise _reject(f"refused: {type(error).__name__} (no DTDs or entities)") from None
    except ParseError as error:
        raise _reject(f"malformed XML: {error}") from None
    if root is None:
        raise _reject("empty body")
    return root, declared


def parse_event(body: bytes) -> XsiEvent:
    """One ``xsi:Event`` body; ValidationFailed when it is not safe, well-formed XSI."""
    if len(body) > MAX_BODY_BYTES:
        raise _reject(f"larger than {MAX_BODY_BYTES} bytes")
    root, declared = _parse_tree(body)
    if root.tag != _q("Event"):
        raise _reject(f"not an XSI Event: {root.tag[:80]!r}")
    event_id = _text(root, "eventID")
    if event_id is None:
        raise _reject("eventID is missing")
    data = root.find(_q("eventData"))
    if data is None:
        raise _reject("eventData is missing")
    sequence = _text(root, "sequenceNumber")
    return XsiEvent(
        event_id=event_id,
        event_type=_event_type(data, declared),
        subscription_id=_text(root, "subscriptionId"),
        target_id=_text(root, "targetId"),
        sequence_number=int(sequence) if sequence and sequence.isdigit() else None,
        call=_call(data.find(_q("call"))),
    )


def _call(call: Element | None) -> CallHalf | None:
    if call is None:
        return None
    call_id = _text(call, "callId")
    tracking = _text(call, "extTrackingId")
    personality = _text(call, "personality")
    if call_id is None or tracking is None or personality is None:
        raise _reject("call needs callId, extTrackingId and personality")
    return CallHalf(
        call_id=call_id,
        ext_tracking_id=tracking,
        personality=personality,
        state=_text(call, "state"),
        release_cause=_text(call, "releaseCause", "internalReleaseCause"),
        remote_address=_text(call, "remoteParty", "address"),
        remote_name=_text(call, "remoteParty", "name"),
        start_time=_millis(call, "startTime"),
        answer_time=_millis(call, "answerTime"),
        release_time=_millis(call, "releaseTime"),
    )
