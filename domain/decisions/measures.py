"""The two measures of success (SPEC §2), defined once for statistics and decisions alike.

* **delivered**: the sending succeeded. Delivery ``delivered``, ``read`` or ``responded``; for a
  communication without a provider (no delivery status at all), the lifecycle is ``done``.
* **response**: the client answered. Delivery ``responded``; or a recorded conversation (a call,
  a visit: a channel without a provider) whose lifecycle is ``done``.
"""

from __future__ import annotations

from enum import StrEnum

from domain.communications.statuses import SUCCESSFUL_DELIVERY, DeliveryStatus, LifecycleStatus


class Measure(StrEnum):
    DELIVERED = "delivered"
    RESPONSE = "response"


DEFAULT_OBJECTIVE = Measure.RESPONSE
"""Decisions optimise the response rate per message sent unless a rule chooses ``delivered``."""


def is_delivered(status: LifecycleStatus, delivery_status: DeliveryStatus | None) -> bool:
    """Whether the sending succeeded."""
    if delivery_status is not None:
        return delivery_status in SUCCESSFUL_DELIVERY
    return status is LifecycleStatus.DONE


def is_response(status: LifecycleStatus, delivery_status: DeliveryStatus | None) -> bool:
    """Whether the client answered: a reply to a message, or a conversation that took place."""
    if delivery_status is not None:
        return delivery_status is DeliveryStatus.RESPONDED
    return status is LifecycleStatus.DONE


def succeeded(measure: Measure, status: LifecycleStatus, delivery_status: DeliveryStatus | None) -> bool:
    """Whether a communication counts as a success under ``measure``."""
    if measure is Measure.DELIVERED:
        return is_delivered(status, delivery_status)
    return is_response(status, delivery_status)


_ENDED = frozenset({LifecycleStatus.DONE, LifecycleStatus.FAILED})


def counts(status: LifecycleStatus) -> bool:
    """Whether a communication is an attempt at all: it ended (a cancelled one never tried)."""
    # A constant set: asked several times for every communication a worker records.
    return status in _ENDED
