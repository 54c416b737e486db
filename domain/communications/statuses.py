"""Codes and transition tables of a communication's two state machines (SPEC §2).

The tables are data, not code spread over methods, so that one test can enumerate every
(from, to) pair and the entity can only ever consult them.

* Lifecycle (seed 002): a domain decision; an illegal move is an error.
* Delivery: facts reported by a provider; callbacks come late, twice or out of order, so a
  move the table does not allow is ignored, never an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType


class LifecycleStatus(StrEnum):
    CREATED = "created"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"
    FAILED = "failed"  # "Аут": attempted and did not happen


class DeliveryStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    RESPONDED = "responded"
    UNDELIVERED = "undelivered"  # the carrier reported it could not deliver
    FAILED = "failed"  # the provider never handed it to a carrier


class CommunicationKind(StrEnum):
    FACT = "fact"  # happening now: a call in progress, a client in the showroom
    PLANNED = "planned"  # to happen according to a plan or schedule


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


# --- lifecycle ------------------------------------------------------------------------

_L = LifecycleStatus

TERMINAL_LIFECYCLE: frozenset[LifecycleStatus] = frozenset({_L.DONE, _L.CANCELLED, _L.FAILED})

# The full table, which is the planned communication's. Nothing leads back to `created`.
LIFECYCLE_TRANSITIONS: Mapping[LifecycleStatus, frozenset[LifecycleStatus]] = MappingProxyType(
    {
        _L.CREATED: frozenset({_L.IN_PROGRESS, _L.DONE, _L.CANCELLED, _L.FAILED}),
        _L.IN_PROGRESS: frozenset({_L.DONE, _L.CANCELLED, _L.FAILED}),
        _L.DONE: frozenset(),
        _L.CANCELLED: frozenset(),
        _L.FAILED: frozenset(),
    }
)

# A fact is already happening: it is never `created`, and an employee cannot cancel what
# has taken place; it either ends (`done`) or is recorded as an attempt that failed.
FACT_LIFECYCLE_TRANSITIONS: Mapping[LifecycleStatus, frozenset[LifecycleStatus]] = MappingProxyType(
    {
        _L.CREATED: frozenset(),
        _L.IN_PROGRESS: frozenset({_L.DONE, _L.FAILED}),
        _L.DONE: frozenset(),
        _L.CANCELLED: frozenset(),
        _L.FAILED: frozenset(),
    }
)

LIFECYCLE_TRANSITIONS_BY_KIND: Mapping[
    CommunicationKind, Mapping[LifecycleStatus, frozenset[LifecycleStatus]]
] = MappingProxyType(
    {
        CommunicationKind.FACT: FACT_LIFECYCLE_TRANSITIONS,
        CommunicationKind.PLANNED: LIFECYCLE_TRANSITIONS,
    }
)

_INITIAL: Mapping[CommunicationKind, LifecycleStatus] = MappingProxyType(
    {CommunicationKind.FACT: _L.IN_PROGRESS, CommunicationKind.PLANNED: _L.CREATED}
)


def initial_status(kind: CommunicationKind) -> LifecycleStatus:
    """The status a new communication of this kind starts in."""
    return _INITIAL[kind]


def lifecycle_allows(kind: CommunicationKind, current: LifecycleStatus, target: LifecycleStatus) -> bool:
    """Whether the lifecycle table of `kind` has the move current -> target."""
    return target in LIFECYCLE_TRANSITIONS_BY_KIND[kind][current]


# --- delivery -------------------------------------------------------------------------

_D = DeliveryStatus

SUCCESSFUL_DELIVERY: frozenset[DeliveryStatus] = frozenset({_D.DELIVERED, _D.READ, _D.RESPONDED})
FAILED_DELIVERY: frozenset[DeliveryStatus] = frozenset({_D.UNDELIVERED, _D.FAILED})

# A measure that every accepted move strictly increases (the "never backwards" rule).
# The two failures sit above the in-flight statuses they end and below the successes;
# they share a rank because neither replaces the other (the first final failure wins).
DELIVERY_RANK: Mapping[DeliveryStatus, int] = MappingProxyType(
    {
        _D.QUEUED: 0,
        _D.SENDING: 1,
        _D.SENT: 2,
        _D.UNDELIVERED: 3,
        _D.FAILED: 3,
        _D.DELIVERED: 4,
        _D.READ: 5,
        _D.RESPONDED: 6,
    }
)

_IN_FLIGHT_TARGETS = frozenset(SUCCESSFUL_DELIVERY | FAILED_DELIVERY)

# Accepted moves; anything else is a late or contradictory report and is ignored.
#
# Decision on a success reported after a final failure:
# * after `undelivered`: ACCEPTED. `undelivered` is the carrier's own report, and carriers
#   do send a late delivery report that supersedes an earlier negative one (a handset
#   that was off comes back within the message's validity period). A read receipt or a
#   reply is direct proof the message arrived. The record keeps the carrier's latest
#   truth; the lifecycle, already terminal (`failed`, and a fallback channel may already
#   have been tried), is not reopened — see Communication.record_delivery.
# * after `failed`: IGNORED. The provider never handed the message to a carrier, so a
#   later success can only be a provider error (or a mismatched message id).
DELIVERY_TRANSITIONS: Mapping[DeliveryStatus, frozenset[DeliveryStatus]] = MappingProxyType(
    {
        _D.QUEUED: frozenset({_D.SENDING, _D.SENT}) | _IN_FLIGHT_TARGETS,
        _D.SENDING: frozenset({_D.SENT}) | _IN_FLIGHT_TARGETS,
        _D.SENT: _IN_FLIGHT_TARGETS,
        _D.DELIVERED: frozenset({_D.READ, _D.RESPONDED}),
        _D.READ: frozenset({_D.RESPONDED}),
        _D.RESPONDED: frozenset(),
        _D.UNDELIVERED: SUCCESSFUL_DELIVERY,
        _D.FAILED: frozenset(),
    }
)


def delivery_accepts(current: DeliveryStatus | None, reported: DeliveryStatus) -> bool:
    """Whether a reported delivery status replaces `current` (None: nothing reported yet).

    The first report is always taken, whatever it is: the provider may never send the
    earlier steps (a callback for `sent` without `queued`).
    """
    if current is None:
        return True
    return reported in DELIVERY_TRANSITIONS[current]
