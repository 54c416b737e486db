"""The login throttle: three sliding-window limits on failed logins, counted before the hash runs.

- failures per (source, login): a guesser at one account from one address;
- a looser cap per source across logins: one address spraying many accounts;
- a cap per login across sources: many addresses guessing one account.

A check in flight counts as a failure until it is known to have succeeded, so a parallel burst gets
at most the limit's worth of verifications; the rest are refused at once, before any hashing.
Per process: each API process counts its own.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from application.ports import Clock
from domain.errors import DomainError


class TooManyAttempts(DomainError):
    """Too many failed logins for this source or login (HTTP 429, with Retry-After)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed logins; try again in {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class ThrottlePolicy:
    max_failures: int = 10
    """Per (source, login) in one window."""
    max_failures_per_source: int = 100
    """Per source across every login: looser, since many people may share one address."""
    max_failures_per_login: int = 50
    """Per login across every source."""
    window: timedelta = timedelta(minutes=1)


Key = tuple[str, ...]


class _Window:
    """Failure times of one key in the window, and how many checks of it are in flight."""

    __slots__ = ("failures", "in_flight")

    def __init__(self) -> None:
        self.failures: deque[datetime] = deque()
        self.in_flight = 0


class Attempt:
    """One login check admitted by the throttle; say how it ended exactly once."""

    def __init__(self, throttle: LoginThrottle, keys: tuple[Key, ...]) -> None:
        self._throttle = throttle
        self._keys = keys
        self._open = True

    def succeeded(self) -> None:
        self._close(failed=False)

    def failed(self) -> None:
        self._close(failed=True)

    def _close(self, *, failed: bool) -> None:
        if self._open:
            self._open = False
            self._throttle._finish(self._keys, failed=failed)


class LoginThrottle:
    """Admits a login check only while none of its three keys is at its limit."""

    def __init__(self, clock: Clock, policy: ThrottlePolicy | None = None) -> None:
        self._clock = clock
        self._policy = policy or ThrottlePolicy()
        self._windows: dict[Key, _Window] = {}

    def begin(self, source: str, login: str) -> Attempt:
        """Admits one check, counted in flight, or raises TooManyAttempts at once."""
        keys = (("pair", source, login), ("source", source), ("login", login))
        limits = (
            self._policy.max_failures,
            self._policy.max_failures_per_source,
            self._policy.max_failures_per_login,
        )
        now = self._clock.now()
        waits = []
        for key, limit in zip(keys, limits, strict=True):
            window = self._window(key, now)
            if len(window.failures) + window.in_flight >= limit:
                # Free again when the oldest failure leaves the window (or, if only checks in flight
                # fill it, as soon as one of them ends: a second at most).
                oldest = window.failures[0] if window.failures else now
                waits.append((oldest + self._policy.window - now).total_seconds())
        if waits:
            raise TooManyAttempts(max(1, math.ceil(max(waits))))
        for key in keys:
            self._windows.setdefault(key, _Window()).in_flight += 1
        return Attempt(self, keys)

    def _finish(self, keys: tuple[Key, ...], *, failed: bool) -> None:
        now = self._clock.now()
        for key in keys:
            window = self._windows.setdefault(key, _Window())
            window.in_flight = max(0, window.in_flight - 1)
            if failed:
                window.failures.append(now)
            self._window(key, now)

    def _window(self, key: Key, now: datetime) -> _Window:
        window = self._windows.get(key)
        if window is None:
            return _Window()
        horizon = now - self._policy.window
        while window.failures and window.failures[0] <= horizon:
            window.failures.popleft()
        if not window.failures and not window.in_flight:
            # Forget quiet keys so the table cannot grow without bound.
            del self._windows[key]
        return window
