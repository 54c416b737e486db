"""The outbox: an event becomes one delivery row per interested subscription, in the caller's
transaction, so that an event is kept exactly when the change it tells of is committed."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from application.events.ports import MissedCallCreated, SendCompleted
from application.ports import UnitOfWork
from application.queries import Query
from application.searches import WebhookSubscriptionFields
from domain.communications import Communication, DeliveryStatus
from domain.webhooks import EventType, WebhookDelivery, WebhookSubscription


async def publish(uow: UnitOfWork, event: EventType, data: Mapping[str, object], at: datetime) -> int:
    """Queue ``event`` for every active subscription to it; returns how many deliveries were queued."""
    return await publish_many(uow, [(event, data)], at)


async def publish_many(
    uow: UnitOfWork, events: Sequence[tuple[EventType, Mapping[str, object]]], at: datetime
) -> int:
    """Queue several events with one look at the subscriptions (none: one query, nothing written)."""
    if not events:
        return 0
    subscriptions = await uow.webhook_subscriptions.find(
        Query((WebhookSubscriptionFields.active.eq(True),), limit=1000)
    )
    queued = 0
    for event, data in events:
        queued += await _queue(uow, [s for s in subscriptions if s.wants(event) and s.id], event, data, at)
    return queued


async def _queue(
    uow: UnitOfWork,
    wanted: Sequence[WebhookSubscription],
    event: EventType,
    data: Mapping[str, object],
    at: datetime,
) -> int:
    if not wanted:
        return 0
    message_id = f"msg_{uuid.uuid4().hex}"
    body = json.dumps(
        {
            "type": event.value,
            "timestamp": _iso(at),
            "data": data,
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )
    for subscription in wanted:
        await uow.webhook_deliveries.add(
            WebhookDelivery(
                subscription_id=subscription.id or 0,
                message_id=message_id,
                event_type=event,
                payload=body,
                next_attempt_at=at,
                create_time=at,
                update_time=at,
            )
        )
    return len(wanted)


def communication_data(communication: Communication) -> dict[str, object]:
    """What a communication event tells: ids, the two statuses, the provider's word."""
    return {
        "uuid": communication.uuid,
        "clientId": communication.client_id,
        "channelId": communication.channel_id,
        "status": communication.status.value,
        "deliveryStatus": communication.delivery_status.value if communication.delivery_status else None,
        "failureReason": communication.failure_reason,
        "result": communication.result,
        "provider": communication.provider,
    }


def status_events(communications: Sequence[Communication]) -> list[tuple[EventType, Mapping[str, object]]]:
    """``communication.status_changed`` for each, and ``communication.responded`` for replies."""
    events: list[tuple[EventType, Mapping[str, object]]] = []
    for communication in communications:
        data = communication_data(communication)
        events.append((EventType.COMMUNICATION_STATUS_CHANGED, data))
        if communication.delivery_status is DeliveryStatus.RESPONDED:
            events.append((EventType.COMMUNICATION_RESPONDED, data))
    return events


def send_completed_data(event: SendCompleted) -> dict[str, object]:
    """What ``send.completed`` tells: the send, its counts by final and by delivery status, when."""
    return {
        "sendId": event.send_id,
        "mailingId": event.mailing_id,
        "total": sum(event.counts.values()),
        "counts": dict(event.counts),
        "deliveryCounts": dict(event.delivery),
        "at": _iso(event.at),
    }


def missed_call_data(event: MissedCallCreated) -> dict[str, object]:
    """What ``missed_call.created`` tells: the card, the caller, the line it came in on, when."""
    return {
        "id": event.missed_call_id,
        "clientId": event.client_id,
        "phone": event.phone,
        "line": event.line,
        "employeeId": event.employee_id,
        "departmentId": event.department_id,
        "at": _iso(event.at),
    }


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds")
