"""PBX event subscriptions: created from the API, kept alive by the worker (seed 004, SPEC §5.1).

Network calls to the PBX happen outside transactions: store the intent, call the PBX, record the
outcome in a second short transaction. PBX errors are recorded on the subscription and retried.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from application.ports import Clock, UnitOfWorkFactory
from application.telephony.ports import PbxSubscriptions, TelephonyUnavailable
from domain.errors import NotFound, ValidationFailed
from domain.telephony.subscriptions import PbxSubscription, SubscriptionState, SubscriptionType

log = logging.getLogger("switchboard.telephony")

TOKEN_NAME = "beeline_webhook_token"
WEBHOOK_PATH = "/webhooks/beeline/"
MIN_EXPIRES, MAX_EXPIRES = 60, 31 * 24 * 3600

_Change = Callable[[PbxSubscription], None]


@dataclass(frozen=True, kw_only=True)
class NewSubscription:
    """The command to subscribe to the PBX's events."""

    pattern: str | None = None
    expires: int = 3600
    subscription_type: SubscriptionType = SubscriptionType.BASIC_CALL


@dataclass(frozen=True)
class SubscriptionList:
    webhook_url: str
    webhook_token: str
    items: list[PbxSubscription]


@dataclass(frozen=True)
class Maintenance:
    renewed: int = 0
    recreated: int = 0
    failed: int = 0


class WebhookToken:
    """BEELINE_WEBHOOK_TOKEN, or one made up at first start and kept in storage."""

    def __init__(self, uow_factory: UnitOfWorkFactory, configured: str | None) -> None:
        self._uow_factory = uow_factory
        self._token = configured or None

    async def value(self) -> str:
        if self._token is None:
            async with self._uow_factory() as uow:
                token = await uow.telephony_secrets.get_or_create(TOKEN_NAME, secrets.token_urlsafe(24))
                await uow.commit()
            self._token = token
        return self._token

    async def accepts(self, presented: str) -> bool:
        return hmac.compare_digest(presented.encode(), (await self.value()).encode())


class PbxSubscriptionService:
    """Subscribing to the PBX's events and keeping the subscriptions alive."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        pbx: PbxSubscriptions | None,
        token: WebhookToken,
        public_url: str,
        renew_margin: timedelta = timedelta(minutes=5),
    ) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self._pbx = pbx
        self._token = token
        self._public_url = public_url.rstrip("/")
        self._margin = renew_margin

    async def webhook_url(self) -> str:
        """The address the PBX posts this subscription's events to."""
        return f"{self._public_url}{WEBHOOK_PATH}{await self._token.value()}"

    async def list(self) -> SubscriptionList:
        """Every subscription with its state and expiry, and the webhook address they post to."""
        async with self._uow_factory(read_only=True) as uow:
            items = list(await uow.pbx_subscriptions.all())
        return SubscriptionList(await self.webhook_url(), await self._token.value(), items)

    async def create(self, command: NewSubscription) -> PbxSubscription:
        """Stores the subscription and asks the PBX for it; a refusal is recorded and retried."""
        if not MIN_EXPIRES <= command.expires <= MAX_EXPIRES:
            raise ValidationFailed.field(
                "expires", f"must be between {MIN_EXPIRES} and {MAX_EXPIRES} seconds"
            )
        now = self._clock.now()
        subscription = PbxSubscription(
            pattern=command.pattern or None,
            subscription_type=command.subscription_type,
            requested_expires=command.expires,
            url=await self.webhook_url(),
            create_time=now,
            update_time=now,
        )
        async with self._uow_factory() as uow:
            subscription = await uow.pbx_subscriptions.add(subscription)
            await uow.commit()
        await self._subscribe(subscription)
        return subscription

    async def get(self, subscription_id: int) -> PbxSubscription:
        """One PBX subscription by id (404 when unknown)."""
        async with self._uow_factory(read_only=True) as uow:
            found = await uow.pbx_subscriptions.get(subscription_id) if 0 < subscription_id < 2**31 else None
        if found is None:
            raise NotFound("PBX subscription", subscription_id)
        return found

    async def drop(self, subscription_id: int) -> None:
        """Ends it at the PBX (TelephonyUnavailable keeps it stored), then forgets it."""
        subscription = await self.get(subscription_id)
        if subscription.subscription_id and self._pbx is not None:
            await self._pbx.delete(subscription.subscription_id)
        async with self._uow_factory() as uow:
            await uow.pbx_subscriptions.delete(subscription_id)
            await uow.commit()

    async def maintain(self) -> Maintenance:
        """The worker's round: recreate lost ones, renew those close to expiry, retry failures."""
        renewed = recreated = failed = 0
        async with self._uow_factory(read_only=True) as uow:
            subscriptions = list(await uow.pbx_subscriptions.all())
        for subscription in subscriptions:
            now = self._clock.now()
            if not subscription.due(now=now, margin=self._margin):
                continue
            was_active = subscription.state is SubscriptionState.ACTIVE
            if await self._subscribe(subscription):
                if was_active:
                    renewed += 1
                else:
                    recreated += 1
            else:
                failed += 1
        return Maintenance(renewed=renewed, recreated=recreated, failed=failed)

    async def check_alive(self) -> int:
        """Asks the PBX about each active subscription; marks the lost ones for recreation."""
        if self._pbx is None:
            return 0
        async with self._uow_factory(read_only=True) as uow:
            active = [s for s in await uow.pbx_subscriptions.all() if s.state is SubscriptionState.ACTIVE]
        lost = 0
        for subscription in active:
            assert subscription.subscription_id is not None
            try:
                alive = await self._pbx.exists(subscription.subscription_id)
            except TelephonyUnavailable as error:
                log.warning("could not check PBX subscription %s: %s", subscription.id, error)
                continue
            if not alive:
                lost += 1
                await self._save(subscription, lambda s: s.lost(at=self._clock.now()))
        return lost

    async def _subscribe(self, subscription: PbxSubscription) -> bool:
        """PUTs a new PBX subscription for it; the previous one (a renewal) is deleted afterwards."""
        if self._pbx is None:
            await self._save(
                subscription, lambda s: s.failed(error="no PBX is configured", at=self._clock.now())
            )
            return False
        previous = subscription.subscription_id
        try:
            granted = await self._pbx.create(
                pattern=subscription.pattern,
                expires=subscription.requested_expires,
                subscription_type=subscription.subscription_type,
                url=subscription.url,
            )
        except TelephonyUnavailable as error:
            log.warning("PBX subscription %s not (re)created: %s", subscription.id, error)
            message = str(error)
            await self._save(subscription, lambda s: s.failed(error=message, at=self._clock.now()))
            return False
        at = self._clock.now()
        await self._save(
            subscription,
            lambda s: s.granted(subscription_id=granted.subscription_id, expires=granted.expires, at=at),
        )
        if previous and previous != granted.subscription_id:
            try:
                await self._pbx.delete(previous)
            except TelephonyUnavailable as error:  # it expires on its own; events may come twice meanwhile
                log.warning("old PBX subscription %s not deleted: %s", previous, error)
        return True

    async def _save(self, subscription: PbxSubscription, change: _Change) -> None:
        """Applies ``change`` to the stored row (it may have moved on meanwhile) and to ``subscription``."""
        assert subscription.id is not None
        change(subscription)
        async with self._uow_factory() as uow:
            stored = await uow.pbx_subscriptions.get(subscription.id)
            if stored is None:  # dropped meanwhile
                return
            change(stored)
            await uow.pbx_subscriptions.update(stored)
            await uow.commit()
