"""The Twilio ChannelSender: SMS and WhatsApp through Twilio's Messages API, with the ``twilio`` library.

The library's asynchronous HTTP client (``AsyncTwilioHttpClient``, aiohttp) is used, so that sending
never blocks the event loop or needs a thread per message; a semaphore bounds the calls in flight.
The API's address is the ``base_url`` of the library's ``api`` domain, which tests and the benchmark
point at a local stub of the Messages API.

Outcomes, as the dispatcher and the provider router read them:

* 201: ``sent`` with the message SID;
* a timeout, a dropped or refused connection, 408, 429 (with its ``Retry-After``), 5xx, and also a
  refused login (401/403: this account's fault, not the message's): transient, worth another provider;
* any other 4xx (21211 invalid number, 21610 unsubscribed recipient, 21614 not a mobile, ...): a final
  rejection of this message, never tried elsewhere.
"""

from __future__ import annotations

import asyncio
import base64
import contextvars
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from application.sending.ports import OutgoingMessage, SendResult, StatusReport
from domain.communications import DeliveryStatus
from domain.dictionaries import ChannelKind

API_URL = "https://api.twilio.com"
TRANSIENT_STATUSES = frozenset({401, 403, 408, 429})

# The answer the library turned into an exception carries no headers; the last answer of the current
# task does (each send runs in its own task, so concurrent sends never see each other's).
_last_headers: contextvars.ContextVar[Mapping[str, str] | None] = contextvars.ContextVar(
    "twilio_last_headers", default=None
)


@dataclass(frozen=True, kw_only=True)
class TwilioSettings:
    account_sid: str
    auth_token: str
    from_number: str | None = None
    """The sender number (E.164) for SMS; or use a messaging service."""
    messaging_service_sid: str | None = None
    whatsapp_from: str | None = None
    """The WhatsApp sender number (E.164, without the ``whatsapp:`` prefix)."""
    api_url: str = API_URL
    status_callback_url: str | None = None
    """Where Twilio reports statuses: ``<PUBLIC_URL>/webhooks/twilio/status``; the uuid is appended."""
    concurrency: int = 50
    timeout: float = 10.0

    def __repr__(self) -> str:  # the token never reaches a log through a repr
        return f"TwilioSettings(account_sid={self.account_sid!r}, auth_token='***', api_url={self.api_url!r})"


class _LeanHttpClient(AsyncTwilioHttpClient):  # type: ignore[misc]
    """The library's async HTTP client interface over one pooled aiohttp session, made leaner.

    Measured on the benchmark: aiohttp's FormData and a BasicAuth object per request, and the
    library's per-request log formatting, cost about a third of the client's CPU per message. The body
    is urlencoded once, the Authorization header is computed once, and the answer's headers are kept
    for ``Retry-After``.
    """

    def __init__(self, connections: int) -> None:
        super().__init__(pool_connections=False)
        self._connections = connections
        self._own: aiohttp.ClientSession | None = None
        self._auth: dict[tuple[str, str], str] = {}

    def _pool(self) -> aiohttp.ClientSession:
        if self._own is None:
            self._own = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=self._connections))
        return self._own

    async def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - the library's interface; send() bounds the call
        allow_redirects: bool = False,
    ) -> Response:
        sent = dict(headers or {})
        if auth is not None:
            token = self._auth.get(auth)
            if token is None:
                token = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
                self._auth[auth] = token
            sent["Authorization"] = token
        body = urlencode(data, doseq=True) if data else None
        async with self._pool().request(
            method.upper(),
            url,
            params=params,  # type: ignore[arg-type]
            data=body,
            headers=sent,
            allow_redirects=allow_redirects,
        ) as answer:
            text = await answer.text()
            _last_headers.set(answer.headers)
            return Response(answer.status, text, answer.headers)

    async def close(self) -> None:
        if self._own is not None:
            await self._own.close()


class _Client(Client):  # type: ignore[misc]
    """The library's REST client with its constant headers computed once, not per request.

    ``get_headers`` asks the platform module for the OS, machine and Python version on every call.
    """

    _constant: dict[str, dict[str, str]]

    def get_headers(self, method: str, headers: dict[str, str] | None) -> dict[str, str]:
        if headers:
            return dict(super().get_headers(method, headers))
        cache = self.__dict__.setdefault("_constant", {})
        if method not in cache:
            cache[method] = dict(super().get_headers(method, None))
        return dict(cache[method])


def retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds from a ``Retry-After`` header given in seconds; None when absent or a date."""
    if not headers:
        return None
    for name, value in headers.items():
        if name.lower() == "retry-after":
            try:
                return max(0.0, float(value))
            except ValueError:
                return None
    return None


class TwilioSender:
    """SMS (``whatsapp=False``) or WhatsApp messages through one Twilio account."""

    def __init__(self, settings: TwilioSettings, *, whatsapp: bool = False, name: str | None = None) -> None:
        if whatsapp and not settings.whatsapp_from:
            raise ValueError("a WhatsApp sender needs whatsapp_from")
        if not whatsapp and not (settings.from_number or settings.messaging_service_sid):
            raise ValueError("an SMS sender needs from_number or messaging_service_sid")
        self.provider = name or ("twilio_whatsapp" if whatsapp else "twilio")
        self.kinds = frozenset({ChannelKind.MESSENGER if whatsapp else ChannelKind.SMS})
        self._settings = settings
        self._whatsapp = whatsapp
        self._client: Client | None = None
        self._http: _LeanHttpClient | None = None
        self._slots = asyncio.Semaphore(max(1, settings.concurrency))

    def _twilio(self) -> Client:
        # aiohttp binds its session to the running loop: made on first use, inside the loop.
        if self._client is None:
            self._http = _LeanHttpClient(max(1, self._settings.concurrency))
            client = _Client(self._settings.account_sid, self._settings.auth_token, http_client=self._http)
            client.api.base_url = self._settings.api_url.rstrip("/")
            self._client = client
        return self._client

    def _fields(self, message: OutgoingMessage) -> dict[str, Any]:
        s = self._settings
        callback = None
        if s.status_callback_url:
            joiner = "&" if "?" in s.status_callback_url else "?"
            callback = f"{s.status_callback_url}{joiner}uuid={quote(message.uuid)}"
        if self._whatsapp:
            return {
                "to": f"whatsapp:{message.to}",
                "from_": f"whatsapp:{s.whatsapp_from}",
                "body": message.text,
                "status_callback": callback,
            }
        return {
            "to": message.to,
            "from_": None if s.messaging_service_sid else s.from_number,
            "messaging_service_sid": s.messaging_service_sid,
            "body": message.text,
            "status_callback": callback,
        }

    async def send(self, message: OutgoingMessage) -> SendResult:
        client = self._twilio()
        async with self._slots:
            try:
                async with asyncio.timeout(self._settings.timeout):
                    created = await client.messages.create_async(**self._fields(message))
            except TwilioRestException as error:
                return self._refused(error)
            except TimeoutError:
                return SendResult.retry(f"{self.provider}: no answer within {self._settings.timeout:g} s")
            except aiohttp.ClientError as error:
                return SendResult.retry(f"{self.provider}: {type(error).__name__}: {error}")
        return SendResult.sent(str(created.sid))

    def _refused(self, error: TwilioRestException) -> SendResult:
        code = f" {error.code}" if error.code else ""
        reason = f"{self.provider}{code}: {error.msg or 'HTTP ' + str(error.status)}"
        if error.status in TRANSIENT_STATUSES or error.status >= 500:
            return SendResult.retry(reason, retry_after=retry_after(_last_headers.get()))
        return SendResult.rejected(reason, DeliveryStatus.FAILED)

    async def statuses(self, provider_message_ids: Sequence[str]) -> list[StatusReport]:
        # Twilio pushes statuses to the status callback; polling them is not needed.
        return []

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
