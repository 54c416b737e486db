"""Keeps the router's providers in step with those configured through the API.

A channel kind with active providers in storage is served by them, in their priority order; a channel
kind with none keeps the providers the environment configured (the sandbox by default). The worker
checks every few seconds, so that a change made through any API process reaches every worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping, Sequence
from datetime import datetime

from application.providers.catalog import Providers, SenderFactory
from application.providers.router import ProviderRouter, Route
from application.sending.ratelimit import TokenBucket
from domain.dictionaries import ChannelKind
from domain.providers import CircuitBreaker

log = logging.getLogger("switchboard.providers")


class ProviderRefresh:
    """A worker loop job: rebuilds the router's routes when the configured providers change."""

    def __init__(
        self,
        providers: Providers,
        router: ProviderRouter,
        senders: SenderFactory,
        *,
        failures_to_open: int = 5,
        cooldown: float = 30.0,
        interval: float = 5.0,
    ) -> None:
        self._providers = providers
        self._router = router
        self._senders = senders
        self._failures = failures_to_open
        self._cooldown = cooldown
        self._interval = interval
        self._configured: Mapping[ChannelKind, Sequence[Route]] = {
            kind: router.routes(kind) for kind in ChannelKind
        }
        self._seen: tuple[tuple[int | None, datetime], ...] | None = None

    @property
    def name(self) -> str:
        return "provider-refresh"

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.refresh()
            except Exception:  # storage away for a moment: keep the routes we have
                log.exception("could not read the configured providers; keeping the current ones")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._interval)

    async def refresh(self) -> bool:
        """Rebuild the routes if the configured providers changed; returns whether they did."""
        active = await self._providers.active()
        seen = tuple((p.id, p.update_time) for p in active)
        if seen == self._seen:
            return False
        self._seen = seen
        for kind in ChannelKind:
            mine = [p for p in active if p.channel_kind is kind]
            if not mine:
                self._router.replace(kind, list(self._configured.get(kind, ())))
                continue
            routes = []
            for provider in mine:
                bucket = None
                if provider.rate_limit:
                    rate = provider.rate_limit
                    bucket = TokenBucket(rate, max(1, int(rate)), time.monotonic)
                routes.append(
                    Route(
                        sender=self._senders.build(provider),
                        priority=provider.priority,
                        bucket=bucket,
                        breaker=CircuitBreaker(failures_to_open=self._failures, cooldown=self._cooldown),
                    )
                )
            self._router.replace(kind, routes)
        log.info(
            "providers reloaded: %s", ", ".join(f"{p.name} ({p.channel_kind})" for p in active) or "none"
        )
        return True
