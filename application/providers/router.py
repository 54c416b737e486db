"""The provider router: which provider sends a message, failover between them, circuit breakers.

The dispatcher hands every message to ``ProviderRouter.send`` and records what it answers. For the
message's channel kind the router tries the providers in priority order:

* a provider whose circuit is open is skipped (the others carry the load);
* a transient failure (timeout, connection error, 408, 429, 5xx, an adapter's own exception) counts
  against that provider's circuit and moves the message to the next provider;
* a final rejection (invalid number, unsubscribed) is the message's own fault: no failover;
* when every provider failed or is paused, the message goes back to the dispatcher as a retry, with
  every provider's reason, and its backoff applies.

One message is with one provider at a time, so two providers never both take it, except when a
provider takes a message and its answer is lost (a timeout after acceptance): at least once, as any
retry over a network must be.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from application.sending.ports import ChannelSender, OutgoingMessage, SendOutcome, SendResult
from application.sending.ratelimit import TokenBucket
from domain.dictionaries import ChannelKind
from domain.providers import CircuitBreaker, CircuitState


@dataclass(kw_only=True)
class Route:
    """One provider serving a channel kind, with its own rate limit and circuit breaker."""

    sender: ChannelSender
    priority: int = 0
    bucket: TokenBucket | None = None
    breaker: CircuitBreaker = field(default_factory=CircuitBreaker)
    sent: int = 0
    rejected: int = 0
    failed: int = 0

    @property
    def provider(self) -> str:
        return self.sender.provider


@dataclass(frozen=True, kw_only=True)
class ProviderState:
    """What the API shows of a provider at work: its circuit and its counts since the start."""

    provider: str
    channel_kind: ChannelKind
    priority: int
    circuit: CircuitState
    consecutive_failures: int
    open_for_seconds: float
    last_failure: str | None
    sent: int
    rejected: int
    failed: int


class ProviderRouter:
    """Sends each message through the first provider of its channel kind that takes it."""

    def __init__(
        self,
        routes: Mapping[ChannelKind, Sequence[Route]],
        monotonic: Callable[[], float],
        *,
        attempt_timeout: float = 30.0,
    ) -> None:
        self._routes = {kind: sorted(found, key=lambda r: r.priority) for kind, found in routes.items()}
        self._monotonic = monotonic
        self._timeout = attempt_timeout
        self._retired: list[ChannelSender] = []

    @classmethod
    def single(
        cls,
        senders: Mapping[ChannelKind, ChannelSender],
        buckets: Mapping[str, TokenBucket],
        monotonic: Callable[[], float],
        *,
        attempt_timeout: float = 30.0,
    ) -> ProviderRouter:
        """One provider per channel kind, with a circuit that never opens: no failover to do."""
        routes = {
            kind: [
                Route(
                    sender=sender,
                    bucket=buckets.get(sender.provider),
                    breaker=CircuitBreaker(failures_to_open=2**31, cooldown=0),
                )
            ]
            for kind, sender in senders.items()
        }
        return cls(routes, monotonic, attempt_timeout=attempt_timeout)

    def routes(self, kind: ChannelKind) -> list[Route]:
        return list(self._routes.get(kind, ()))

    def replace(self, kind: ChannelKind, routes: Sequence[Route]) -> None:
        """Swap a channel kind's providers (configuration changed); a provider kept keeps its circuit.

        Senders dropped are closed with the router, not now: a send may still be using them.
        """
        before = {route.provider: route for route in self._routes.get(kind, ())}
        for route in routes:
            kept = before.get(route.provider)
            if kept is not None:
                route.breaker, route.sent, route.rejected, route.failed = (
                    kept.breaker,
                    kept.sent,
                    kept.rejected,
                    kept.failed,
                )
        current = {id(route.sender) for route in routes}
        self._retired.extend(r.sender for r in before.values() if id(r.sender) not in current)
        self._routes[kind] = sorted(routes, key=lambda r: r.priority)

    def states(self) -> list[ProviderState]:
        """Every route's circuit and counts, by channel kind and priority."""
        now = self._monotonic()
        return [
            ProviderState(
                provider=route.provider,
                channel_kind=kind,
                priority=route.priority,
                circuit=route.breaker.state,
                consecutive_failures=route.breaker.consecutive_failures,
                open_for_seconds=max(0.0, route.breaker.open_until - now)
                if route.breaker.state is CircuitState.OPEN
                else 0.0,
                last_failure=route.breaker.last_failure,
                sent=route.sent,
                rejected=route.rejected,
                failed=route.failed,
            )
            for kind, routes in self._routes.items()
            for route in routes
        ]

    async def close(self) -> None:
        """Close the providers' connections (those that keep any)."""
        seen: set[int] = set()
        senders = [route.sender for routes in self._routes.values() for route in routes] + self._retired
        for sender in senders:
            closer = getattr(sender, "close", None)
            if closer is not None and id(sender) not in seen:
                seen.add(id(sender))
                await closer()

    async def send(self, message: OutgoingMessage) -> tuple[str | None, SendResult]:
        """The provider that answered last and its answer: sent, rejected, or retry (all failed)."""
        routes = self._routes.get(message.channel_kind, ())
        if not routes:
            return None, SendResult.rejected(f"no provider is configured for {message.channel_kind} channels")
        reasons: list[str] = []
        last: tuple[str | None, SendResult] | None = None
        for route in routes:
            began = self._monotonic()
            if not route.breaker.allows(began):
                reasons.append(f"{route.provider}: paused (circuit open)")
                continue
            result = await self._attempt(route, message)
            if result.outcome is SendOutcome.RETRY:
                route.failed += 1
                route.breaker.failed(
                    self._monotonic(), result.reason or "transient failure", retry_after=result.retry_after
                )
                reasons.append(result.reason or f"{route.provider}: transient failure")
                last = route.provider, result
                continue
            route.breaker.succeeded(began)
            if result.outcome is SendOutcome.SENT:
                route.sent += 1
            else:
                route.rejected += 1
            return route.provider, result
        reason = "; ".join(reasons)
        if last is None:
            now = self._monotonic()
            reopens = min(route.breaker.open_until for route in routes) - now
            return None, SendResult.retry(reason, retry_after=max(0.0, reopens), attempted=False)
        return last[0], SendResult.retry(reason, retry_after=last[1].retry_after)

    async def _attempt(self, route: Route, message: OutgoingMessage) -> SendResult:
        if route.bucket is not None:
            await route.bucket.take()
        try:
            # A deadline on this task, not wait_for: that wraps every send in a task of its own.
            async with asyncio.timeout(self._timeout):
                return await route.sender.send(message)
        except TimeoutError:
            return SendResult.retry(f"{route.provider}: no answer within {self._timeout:g} s")
        except Exception as error:  # a provider adapter's bug must not stop the worker
            return SendResult.retry(f"{route.provider}: {type(error).__name__}: {error}")
