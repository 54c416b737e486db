"""The Web Push ChannelSender: a message to every browser a client subscribed, through pywebpush.

pywebpush's asynchronous path is used (``WebPusher.send_async`` over one pooled aiohttp session, the
client the project already has): no thread per message, and a semaphore bounds the posts in flight.
pywebpush encrypts the payload (aes128gcm, RFC 8291, through http_ece); py_vapid signs the VAPID JWT
(RFC 8292), once per push service origin and reused until an hour before it expires, not per message.

A message's address is ``push:<client id>``: the client's subscriptions are read when it goes, so a
browser subscribed after the send request still gets it and one gone meanwhile is not tried.
The message goes to every subscription of the client (their phone and their laptop both ring):

* at least one push service took it (201): ``sent``; the others' failures are logged, not retried,
  so no browser gets it twice;
* a push service answered 404 or 410: that subscription is gone and is removed at once;
* none took it and one failed transiently (a timeout, a dropped connection, 408, 429, 5xx): ``retry``
  (the dispatcher tries again later; the gone ones will not be tried again);
* none took it and none can (all gone, or refused with another 4xx): a final rejection; a client
  with no subscription left has nowhere to be reached on Push.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from urllib.parse import urlsplit

import aiohttp
from py_vapid import Vapid
from pywebpush import WebPusher, WebPushException

from application.sending.ports import (
    OutgoingMessage,
    PushSubscriptionBook,
    SendResult,
    StatusReport,
)
from domain.communications import DeliveryStatus
from domain.dictionaries import ChannelKind
from domain.push import PushSubscription

log = logging.getLogger("switchboard.webpush")

TOKEN_LIFETIME = 12 * 3600
"""Seconds a VAPID JWT is valid; RFC 8292 allows at most 24 hours."""
TOKEN_MARGIN = 3600
"""A token is signed anew this long before it expires, so none goes out about to lapse."""
TRANSIENT_STATUSES = frozenset({408, 425, 429})
GONE_STATUSES = frozenset({404, 410})
MAX_PAYLOAD = 3993
"""RFC 8291: a push message's plaintext record holds 4096 - 16 (tag) - 86 (header) - 1 (padding)."""


@dataclass(frozen=True, kw_only=True)
class WebPushSettings:
    subject: str
    """VAPID ``sub``: a ``mailto:`` or ``https:`` contact for push services (VAPID_SUBJECT)."""
    concurrency: int = 50
    timeout: float = 10.0
    ttl: int = 24 * 3600
    """Seconds a push service keeps a message for a browser that is offline."""
    ca_file: str | None = None
    """Extra certificate authorities to trust besides the system's (a private push service, tests)."""


class _Verdict(Enum):
    OK = "ok"
    GONE = "gone"
    TRANSIENT = "transient"
    REFUSED = "refused"


@dataclass(frozen=True)
class _Attempt:
    subscription: PushSubscription
    verdict: _Verdict
    detail: str
    location: str | None = None
    retry_after: float | None = None


def payload_of(message: OutgoingMessage) -> bytes:
    """What the service worker receives: JSON with the title, the text and the communication's uuid."""
    body = {"title": message.subject or "", "body": message.text, "uuid": message.uuid}
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    if len(data) > MAX_PAYLOAD:
        # Shorten the text, not the JSON: cut characters until the whole fits one record.
        text = message.text
        while len(data) > MAX_PAYLOAD and text:
            text = text[: max(0, len(text) - (len(data) - MAX_PAYLOAD) - 1)]
            body["body"] = text + "…"
            data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    return data


def client_of(message: OutgoingMessage) -> int | None:
    if message.client_id is not None:
        return message.client_id
    prefix, _, rest = message.to.partition(":")
    return int(rest) if prefix == "push" and rest.isdigit() else None


class WebPushSender:
    """Push messages to the browsers clients subscribed, signed with the server's VAPID key."""

    kinds = frozenset({ChannelKind.PUSH})

    def __init__(
        self,
        book: PushSubscriptionBook,
        private_key: Callable[[], Awaitable[str]],
        settings: WebPushSettings,
        *,
        name: str = "webpush",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.provider = name
        self._book = book
        self._private_key = private_key
        self._settings = settings
        self._clock = clock
        self._vapid: Vapid | None = None
        self._tokens: dict[str, tuple[float, dict[str, str]]] = {}
        self._session: aiohttp.ClientSession | None = None
        self._slots = asyncio.Semaphore(max(1, settings.concurrency))

    async def _signer(self) -> Vapid:
        if self._vapid is None:
            self._vapid = Vapid.from_string(await self._private_key())
        return self._vapid

    async def _authorization(self, endpoint: str) -> dict[str, str]:
        parts = urlsplit(endpoint)
        audience = f"{parts.scheme}://{parts.netloc}"
        now = self._clock()
        cached = self._tokens.get(audience)
        if cached is not None and cached[0] - TOKEN_MARGIN > now:
            return cached[1]
        expires = int(now) + TOKEN_LIFETIME
        claims = {"sub": self._settings.subject, "aud": audience, "exp": expires}
        headers = dict((await self._signer()).sign(claims))
        self._tokens[audience] = (float(expires), headers)
        return headers

    def _pool(self) -> aiohttp.ClientSession:
        # aiohttp binds its session to the running loop: made on first use, inside the loop.
        if self._session is None:
            tls = ssl.create_default_context()
            if self._settings.ca_file:
                tls.load_verify_locations(cafile=self._settings.ca_file)
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=max(1, self._settings.concurrency), ssl=tls)
            )
        return self._session

    async def send(self, message: OutgoingMessage) -> SendResult:
        client_id = client_of(message)
        if client_id is None:
            return SendResult.rejected(f"{self.provider}: {message.to!r} is not a push address")
        subscriptions = await self._book.of_client(client_id)
        if not subscriptions:
            return SendResult.rejected(
                f"{self.provider}: the client has no push subscription", DeliveryStatus.UNDELIVERED
            )
        data = payload_of(message)
        attempts = await asyncio.gather(*(self._push(s, data) for s in subscriptions))
        gone = [a.subscription.id for a in attempts if a.verdict is _Verdict.GONE and a.subscription.id]
        if gone:
            await self._book.forget(gone)
        delivered = [a for a in attempts if a.verdict is _Verdict.OK]
        for attempt in attempts:
            if attempt.verdict is not _Verdict.OK:
                log.info("push subscription %s: %s", attempt.subscription.id, attempt.detail)
        if delivered:
            return SendResult.sent(delivered[0].location or message.uuid)
        transient = [a for a in attempts if a.verdict is _Verdict.TRANSIENT]
        if transient:
            waits = [a.retry_after for a in transient if a.retry_after is not None]
            return SendResult.retry(
                f"{self.provider}: {transient[0].detail}", retry_after=min(waits) if waits else None
            )
        reasons = "; ".join(sorted({a.detail for a in attempts}))
        return SendResult.rejected(f"{self.provider}: {reasons}", DeliveryStatus.UNDELIVERED)

    async def _push(self, subscription: PushSubscription, data: bytes) -> _Attempt:
        keys = {"p256dh": subscription.p256dh, "auth": subscription.auth}
        info = {"endpoint": subscription.endpoint, "keys": keys}
        timeout = self._settings.timeout
        async with self._slots:
            try:
                headers = {**await self._authorization(subscription.endpoint), "Urgency": "normal"}
                pusher = WebPusher(info, aiohttp_session=self._pool())
                async with asyncio.timeout(timeout):
                    answer = await pusher.send_async(
                        data,
                        headers,
                        ttl=self._settings.ttl,
                        content_encoding="aes128gcm",
                        timeout=aiohttp.ClientTimeout(total=timeout),
                    )
            except TimeoutError:
                return _Attempt(subscription, _Verdict.TRANSIENT, f"no answer within {timeout:g} s")
            except aiohttp.ClientError as error:
                return _Attempt(subscription, _Verdict.TRANSIENT, f"{type(error).__name__}: {error}")
            except WebPushException as error:
                # Bad keys stored for this subscription: no push service can ever take it.
                return _Attempt(subscription, _Verdict.REFUSED, f"cannot encrypt: {error.message}")
        assert isinstance(answer, aiohttp.ClientResponse)
        status = answer.status
        detail = f"push service answered {status}"
        if 200 <= status < 300:
            return _Attempt(subscription, _Verdict.OK, detail, answer.headers.get("Location"))
        if status in GONE_STATUSES:
            return _Attempt(subscription, _Verdict.GONE, f"{detail}: the subscription is gone")
        if status in TRANSIENT_STATUSES or status >= 500:
            wait = answer.headers.get("Retry-After", "")
            seconds = float(wait) if wait.isdigit() else None
            return _Attempt(subscription, _Verdict.TRANSIENT, detail, retry_after=seconds)
        return _Attempt(subscription, _Verdict.REFUSED, detail)

    async def statuses(self, provider_message_ids: Sequence[str]) -> list[StatusReport]:
        # Push services say nothing after 201: no delivery reports to poll.
        return []

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
