"""A communication with a client: the entity and its lifecycle and delivery state machines."""

from domain.communications.communication import (
    EDITABLE_FIELDS,
    EDITABLE_WHEN_TERMINAL,
    IMPORTED_AS_FAILED,
    IMPORTED_ENDINGS,
    Communication,
    StatusChange,
    imported_changes,
)
from domain.communications.statuses import (
    DELIVERY_RANK,
    DELIVERY_TRANSITIONS,
    FACT_LIFECYCLE_TRANSITIONS,
    FAILED_DELIVERY,
    LIFECYCLE_TRANSITIONS,
    LIFECYCLE_TRANSITIONS_BY_KIND,
    SUCCESSFUL_DELIVERY,
    TERMINAL_LIFECYCLE,
    CommunicationKind,
    DeliveryStatus,
    Direction,
    LifecycleStatus,
    delivery_accepts,
    initial_status,
    lifecycle_allows,
)
from domain.communications.translations import IdTranslation
from domain.unset import UNSET

__all__ = [
    "DELIVERY_RANK",
    "DELIVERY_TRANSITIONS",
    "EDITABLE_FIELDS",
    "EDITABLE_WHEN_TERMINAL",
    "FACT_LIFECYCLE_TRANSITIONS",
    "FAILED_DELIVERY",
    "IMPORTED_AS_FAILED",
    "IMPORTED_ENDINGS",
    "LIFECYCLE_TRANSITIONS",
    "LIFECYCLE_TRANSITIONS_BY_KIND",
    "SUCCESSFUL_DELIVERY",
    "TERMINAL_LIFECYCLE",
    "UNSET",
    "Communication",
    "CommunicationKind",
    "DeliveryStatus",
    "Direction",
    "IdTranslation",
    "LifecycleStatus",
    "StatusChange",
    "delivery_accepts",
    "imported_changes",
    "initial_status",
    "lifecycle_allows",
]
