"""A provider's circuit breaker: closed, open for a cool-down after repeated failures, half-open probe.

Times are seconds on a monotonic scale the caller passes in (no clock reads here). A transient failure
counts; a success, or a final rejection of one message (the provider answered, the message was bad),
resets the count. A provider that asked us to wait (429 with ``Retry-After``) is paused for that long
at once, whatever the count.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class CircuitState(StrEnum):
    CLOSED = "closed"
    """Messages go through."""
    OPEN = "open"
    """Paused until the cool-down ends; the channel's other providers carry the load."""
    HALF_OPEN = "half_open"
    """The cool-down is over: one probe message may try; its outcome closes or reopens the circuit."""


@dataclass(kw_only=True)
class CircuitBreaker:
    failures_to_open: int = 5
    cooldown: float = 30.0
    state: CircuitState = CircuitState.CLOSED
    consecutive_failures: int = 0
    open_until: float = 0.0
    probing: bool = False
    last_failure: str | None = None
    opened_count: int = 0

    def __post_init__(self) -> None:
        if self.failures_to_open < 1 or self.cooldown < 0:
            raise ValueError("a circuit breaker opens after at least one failure, with a cool-down >= 0")

    def allows(self, now: float) -> bool:
        """Whether a message may try this provider now (taking the half-open probe slot if so)."""
        if self.state is CircuitState.CLOSED:
            return True
        if self.state is CircuitState.OPEN:
            if now < self.open_until:
                return False
            self.state = CircuitState.HALF_OPEN
            self.probing = False
        if self.probing:
            return False
        self.probing = True
        return True

    def succeeded(self) -> None:
        self.state = CircuitState.CLOSED
        self.consecutive_failures = 0
        self.probing = False

    def failed(self, now: float, reason: str, *, retry_after: float | None = None) -> None:
        self.consecutive_failures += 1
        self.last_failure = reason
        if retry_after is not None and retry_after > 0:
            self._open(now, max(retry_after, 0.0))
        elif self.state is CircuitState.HALF_OPEN or self.consecutive_failures >= self.failures_to_open:
            self._open(now, self.cooldown)

    def _open(self, now: float, pause: float) -> None:
        if self.state is not CircuitState.OPEN:
            self.opened_count += 1
        self.state = CircuitState.OPEN
        self.open_until = max(self.open_until, now + pause)
        self.probing = False
