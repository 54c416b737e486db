"""A local stand-in for Twilio's Messages API, speaking its wire protocol, for tests and the benchmark.

``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` with Basic auth (account SID and auth token)
and the form fields Twilio takes (``To``, ``From`` or ``MessagingServiceSid``, ``Body``,
``StatusCallback``). It answers 201 with a message resource, or Twilio's error body
(``{"code", "message", "more_info", "status"}``) with Twilio's codes: 20003 bad credentials, 21211
invalid ``To``, 21602 no body, 21603/21604 no sender / recipient, 21610 unsubscribed recipient.

Misbehaviour on purpose: ``latency`` on every answer, and a ``faults`` function choosing per request
``"500"``, ``"503"``, ``"429"`` (with ``Retry-After``), ``"slow"`` (stalls up to ``slow_seconds``
before taking the message; a caller that hangs up meanwhile leaves nothing taken) or None.
``dropping_server()`` is a peer that reads a request and closes the connection without an answer.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import re
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import msgspec

from tests.support.stub_http import answer_lifespan, read_body, serving

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
PATH = re.compile(r"^/2010-04-01/Accounts/(?P<sid>AC[0-9a-zA-Z]+)/Messages\.json$")


@dataclass
class Accepted:
    sid: str
    form: dict[str, str]


@dataclass
class TwilioStub:
    account_sid: str = "AC" + "1" * 32
    auth_token: str = "token-" + "2" * 26
    latency: float = 0.0
    faults: Callable[[dict[str, str]], str | None] = lambda form: None
    slow_seconds: float = 30.0
    retry_after: int = 7
    unsubscribed: set[str] = field(default_factory=set)
    invalid: set[str] = field(default_factory=lambda: {"+15005550001"})
    """Numbers Twilio calls invalid though well-formed (+15005550001 is its own test number for it)."""
    url: str = ""
    accepted: list[Accepted] = field(default_factory=list)
    answered: dict[str, int] = field(default_factory=dict)
    """How many requests got each kind of answer: ``201``, ``429``, ``21211``, ..."""
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def count(self, key: str) -> None:
        self.answered[key] = self.answered.get(key, 0) + 1

    def error(self, status: int, code: int, message: str) -> tuple[int, dict[str, Any], dict[str, str]]:
        self.count(str(code))
        body = {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        }
        return status, body, {}

    def authorised(self, headers: dict[str, str], sid: str) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return sid == self.account_sid and headers.get("authorization") == f"Basic {expected}"

    def answer(self, form: dict[str, str]) -> tuple[int, dict[str, Any], dict[str, str]]:
        to = form.get("To", "")
        number = to.removeprefix("whatsapp:")
        if not to:
            return self.error(400, 21604, "A 'To' phone number is required.")
        if not (form.get("From") or form.get("MessagingServiceSid")):
            return self.error(400, 21603, "A 'From' phone number is required.")
        if not form.get("Body"):
            return self.error(400, 21602, "Message body is required.")
        if not E164.match(number) or number in self.invalid:
            return self.error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if number in self.unsubscribed:
            return self.error(400, 21610, "Attempt to send to unsubscribed recipient")
        sid = f"SM{next(self._ids):032x}"
        self.accepted.append(Accepted(sid=sid, form=form))
        self.count("201")
        body = {
            "sid": sid,
            "account_sid": self.account_sid,
            "to": to,
            "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "body": form["Body"],
            "status": "accepted" if form.get("MessagingServiceSid") else "queued",
            "num_segments": "1",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "price": None,
            "error_code": None,
            "error_message": None,
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
        }
        return 201, body, {}

    async def app(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await answer_lifespan(receive, send)
            return
        body = await read_body(receive)
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        form = {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
        handled = await self.handle(scope["method"], scope["path"], headers, form, receive)
        if handled is None:
            return  # the caller hung up while we stalled: nothing was taken, nothing to answer
        status, reply, extra = handled
        raw = [(b"content-type", b"application/json")]
        raw += [(k.encode(), v.encode()) for k, v in extra.items()]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": msgspec.json.encode(reply)})

    async def handle(
        self, method: str, path: str, headers: dict[str, str], form: dict[str, str], receive: Any
    ) -> tuple[int, dict[str, Any], dict[str, str]] | None:
        if self.latency:
            await asyncio.sleep(self.latency)
        matched = PATH.match(path)
        if method != "POST" or matched is None:
            return self.error(404, 20404, "The requested resource was not found")
        if not self.authorised(headers, matched["sid"]):
            return self.error(401, 20003, "Authentication Error - invalid username")
        fault = self.faults(form)
        if fault == "slow":
            # Stalls before taking the message (an overloaded edge); a caller that gives up and
            # hangs up meanwhile leaves nothing accepted, as with a request that never got through.
            try:
                event = await asyncio.wait_for(receive(), self.slow_seconds)
            except TimeoutError:
                event = {}
            if event.get("type") == "http.disconnect":
                self.count("abandoned")
                return None
        elif fault == "429":
            status, body, _ = self.error(429, 20429, "Too Many Requests")
            return status, body, {"Retry-After": str(self.retry_after)}
        elif fault in ("500", "503"):
            return self.error(int(fault), 20500, "An internal server error has occurred")
        return self.answer(form)


@contextmanager
def twilio_stub(**options: Any) -> Iterator[TwilioStub]:
    stub = TwilioStub(**options)

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await stub.app(scope, receive, send)

    with serving(app) as url:
        stub.url = url
        yield stub


@dataclass
class DroppingServer:
    url: str
    connections: int = 0


@contextmanager
def dropping_server() -> Iterator[DroppingServer]:
    """A peer that takes the request and hangs up: a dropped connection, as a crashing proxy does."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    listener.settimeout(0.2)
    server = DroppingServer(url=f"http://127.0.0.1:{listener.getsockname()[1]}")
    stopping = threading.Event()

    def run() -> None:
        while not stopping.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            server.connections += 1
            connection.settimeout(1)
            with contextlib.suppress(OSError):
                connection.recv(65536)
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        stopping.set()
        thread.join(timeout=5)
        listener.close()
