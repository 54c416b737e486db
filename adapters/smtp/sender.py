"""The SMTP ChannelSender: one email per message, over a few reused connections.

A refused recipient is a final ``undelivered``, a refused message body (5xx to DATA) a final
``failed``. Anything else (a dropped connection, a timeout, a 4xx, and also a refused login or
sender, which are the server's configuration and not this message's fault) is transient and left
to the dispatcher's retries, which end in ``failed`` with this reason after N attempts.
A connection that failed is never reused.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import re
import ssl
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from enum import StrEnum
from functools import cache

import aiosmtplib
from aiosmtplib.email import quote_address

from application.sending.ports import OutgoingMessage, SendResult, StatusReport
from domain.communications import DeliveryStatus

PROVIDER = "smtp"


class SmtpSecurity(StrEnum):
    NONE = "none"
    STARTTLS = "starttls"
    SSL = "ssl"


@dataclass(frozen=True, kw_only=True)
class SmtpSettings:
    host: str = "localhost"
    port: int = 25
    username: str | None = None
    password: str | None = None
    security: SmtpSecurity = SmtpSecurity.NONE
    from_address: str = "switchboard@localhost"
    from_name: str | None = None
    timeout: float = 30.0
    connections: int = 4
    """How many connections stay open at most; the dispatcher's concurrency should not exceed it by much."""
    tls_context: ssl.SSLContext | None = None
    """For a private CA or tests; None validates against the system's certificates."""


def build_email(message: OutgoingMessage, settings: SmtpSettings) -> EmailMessage:
    """A multipart/alternative email: the text part first, the HTML part as the preferred one."""
    email = EmailMessage()
    email["From"] = formataddr((settings.from_name or "", settings.from_address))
    email["To"] = message.to
    email["Subject"] = message.subject or ""
    email["Date"] = formatdate(localtime=False, usegmt=True)
    for name, value in message.headers.items():
        email[name] = value
    email.set_content(message.text or "")
    if message.html is not None:
        email.add_alternative(message.html, subtype="html")
    return email


# -- the common case, written straight to bytes ---------------------------------------------
#
# ``EmailMessage`` parses and refolds every header through the header registry, and flattening
# it costs as much again: about 3 ms of CPU a message, more than everything else the worker does
# for it. An email whose header values are plain ASCII on one line (nearly all of them) is written
# directly instead: the same headers, the same multipart/alternative, 7bit or base64 bodies. Any
# other (a non-ASCII subject or address, a line break in a value) goes through ``build_email``.

_MAX_LINE = 998  # RFC 5322 2.1.1


def _plain(headers: dict[str, str], lines: str) -> bool:
    """Whether every name and value of ``headers``, written as ``lines``, is one short line of ASCII."""
    # The line breaks in ``lines`` are exactly its own CRLFs when no name or value holds one.
    count = len(headers)
    return (
        lines.isascii()
        and lines.count("\n") == count
        and lines.count("\r") == count
        and max(map(len, headers)) < _MAX_LINE - 80
        and max(map(len, headers.values())) < _MAX_LINE - 80
    )


# A unique boundary per email needs no random bytes: this process's own prefix and a counter.
_BOUNDARY_PREFIX = f"==sb-{uuid.uuid4().hex[:16]}-"
_boundary_numbers = itertools.count()


class _Clock:
    """The Date header of the current second, formatted once a second rather than once an email."""

    second, header = -1, ""

    @classmethod
    def date(cls) -> str:
        now = int(time.time())
        if now != cls.second:
            cls.second, cls.header = now, formatdate(now, localtime=False, usegmt=True)
        return cls.header


@cache
def _from_header(name: str | None, address: str) -> str:
    return formataddr((name or "", address))


def _body(content: str, subtype: str) -> bytes:
    text = content.replace("\r\n", "\n").replace("\r", "\n")
    head = f"Content-Type: text/{subtype}; charset=utf-8\r\n"
    short = len(text) < _MAX_LINE or all(len(line) < _MAX_LINE for line in text.split("\n"))
    if short and text.isascii():
        body = text.replace("\n", "\r\n")
        return f"{head}Content-Transfer-Encoding: 7bit\r\n\r\n{body}\r\n".encode("ascii")
    encoded = base64.encodebytes(text.encode("utf-8")).replace(b"\n", b"\r\n")
    return f"{head}Content-Transfer-Encoding: base64\r\n\r\n".encode("ascii") + encoded


def email_bytes(message: OutgoingMessage, settings: SmtpSettings) -> bytes | None:
    """The email ``build_email`` would make, as bytes to send; None when it needs ``build_email``."""
    headers = {
        "From": _from_header(settings.from_name, settings.from_address),
        "To": message.to,
        "Subject": message.subject or "",
        "Date": _Clock.date(),
        **message.headers,
    }
    lines = "".join([f"{name}: {value}\r\n" for name, value in headers.items()])
    if not _plain(headers, lines):
        return None
    text = _body(message.text or "", "plain")
    if message.html is None:
        return f"{lines}MIME-Version: 1.0\r\n".encode("ascii") + text
    html = _body(message.html, "html")
    boundary = f"{_BOUNDARY_PREFIX}{next(_boundary_numbers)}=="  # base64 never holds it; 7bit is checked
    while boundary.encode() in text or boundary.encode() in html:
        boundary = f"{_BOUNDARY_PREFIX}{next(_boundary_numbers)}=="
    mark = f"--{boundary}\r\n".encode("ascii")
    kind = f'Content-Type: multipart/alternative; boundary="{boundary}"'
    return b"".join(
        (
            f"{lines}MIME-Version: 1.0\r\n{kind}\r\n\r\n".encode("ascii"),
            mark,
            text,
            b"\r\n",
            mark,
            html,
            f"\r\n--{boundary}--\r\n".encode("ascii"),
        )
    )


# -- one transaction on a greeted connection ------------------------------------------------
#
# ``sendmail`` parses the sender and the recipient with ``email.utils.parseaddr`` twice each
# (validating, then quoting), checks EHLO three times and takes a lock the connection pool makes
# unnecessary: about a fifth of the worker's CPU a message. An address made of atom characters
# around one ``@`` (every address the clients' validation lets through, bar odd ones) is the same
# after that parsing, so it is sent as it is; any other goes through ``sendmail``.

_ATOM_ADDRESS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+")


def plain_address(address: str) -> bool:
    """Whether ``address`` needs no parsing to go in MAIL FROM or RCPT TO as ``<address>``."""
    return _ATOM_ADDRESS.fullmatch(address) is not None


async def _greeted(client: aiosmtplib.SMTP) -> None:
    # What sendmail does before its first transaction: EHLO, or HELO from a server without ESMTP.
    if client.is_ehlo_or_helo_needed:
        try:
            await client.ehlo()
        except aiosmtplib.SMTPHeloError:
            await client.helo()


async def _transaction(client: aiosmtplib.SMTP, sender: str, mail_from: bytes, to: str, raw: bytes) -> None:
    """``sendmail(sender, [to], raw)`` for a plain ``to`` and CRLF-terminated ``raw``, raising as it does."""
    protocol = client.protocol
    if protocol is None:
        raise aiosmtplib.SMTPServerDisconnected("Server not connected")
    if client.supports_extension("size"):
        mail_from += b" SIZE=%d" % len(raw)
    # No per-command timeout: one deadline (the caller's) bounds the whole transaction.
    response = await protocol.execute_command(mail_from, timeout=None)
    if response.code != aiosmtplib.SMTPStatus.completed:
        await _reset(client, response.code)
        raise aiosmtplib.SMTPSenderRefused(response.code, response.message, sender)
    response = await protocol.execute_command(b"RCPT TO:<%s>" % to.encode("ascii"), timeout=None)
    if response.code not in (aiosmtplib.SMTPStatus.completed, aiosmtplib.SMTPStatus.will_forward):
        await _reset(client, response.code)
        refused = aiosmtplib.SMTPRecipientRefused(response.code, response.message, to)
        raise aiosmtplib.SMTPRecipientsRefused([refused])
    try:
        await protocol.execute_data_command(raw, timeout=None)
    except aiosmtplib.SMTPDataError as error:
        await _reset(client, error.code)
        raise


async def _reset(client: aiosmtplib.SMTP, code: int) -> None:
    # As sendmail: a refusal resets the envelope for the next message; a 421 closes the connection.
    if code == aiosmtplib.SMTPStatus.domain_unavailable:
        client.close()
        return
    with contextlib.suppress(ConnectionError, aiosmtplib.SMTPResponseException):
        await client.rset()


class SmtpSender:
    provider = PROVIDER
    polls = False
    """SMTP has no status query (delivery refresh skips it)."""

    def __init__(self, settings: SmtpSettings) -> None:
        self._settings = settings
        self._idle: list[aiosmtplib.SMTP] = []
        self._slots = asyncio.Semaphore(max(1, settings.connections))
        self._plain_sender = plain_address(settings.from_address)
        self._mail_from = b"MAIL FROM:" + quote_address(settings.from_address).encode("ascii")

    def _client(self) -> aiosmtplib.SMTP:
        s = self._settings
        return aiosmtplib.SMTP(
            hostname=s.host,
            port=s.port,
            username=s.username,
            password=s.password,
            use_tls=s.security is SmtpSecurity.SSL,
            start_tls=s.security is SmtpSecurity.STARTTLS,
            timeout=s.timeout,
            tls_context=s.tls_context,
        )

    async def _connected(self) -> aiosmtplib.SMTP:
        while self._idle:
            client = self._idle.pop()
            if client.is_connected:
                return client
        client = self._client()
        await client.connect()
        await _greeted(client)
        return client

    async def send(self, message: OutgoingMessage) -> SendResult:
        raw = email_bytes(message, self._settings)
        email = build_email(message, self._settings) if raw is None else None
        async with self._slots:
            client: aiosmtplib.SMTP | None = None
            try:
                client = await self._connected()
                if email is not None:
                    await client.send_message(email)
                elif self._plain_sender and plain_address(message.to):
                    async with asyncio.timeout(self._settings.timeout):
                        await _transaction(
                            client, self._settings.from_address, self._mail_from, message.to, raw or b""
                        )
                else:
                    await client.sendmail(self._settings.from_address, [message.to], raw or b"")
            except aiosmtplib.SMTPRecipientsRefused as error:
                self._keep(client)
                reasons = "; ".join(f"{r.code} {r.message}" for r in error.recipients)
                if all(400 <= r.code < 500 for r in error.recipients):
                    # A transient refusal (RFC 5321 4.2.1: greylisting, a full mailbox, a rate limit):
                    # the same envelope may succeed later, so it is retried with backoff.
                    return SendResult.retry(f"smtp: recipient refused for now: {reasons}")
                return SendResult.rejected(f"smtp: recipient refused: {reasons}", DeliveryStatus.UNDELIVERED)
            except aiosmtplib.SMTPDataError as error:
                # The server refused this message's content for good (5xx) or for now (4xx).
                await self._drop(client)
                if 500 <= error.code < 600:
                    return SendResult.rejected(f"smtp: {error.code} {error.message}")
                return SendResult.retry(f"smtp: {error.code} {error.message}")
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
                await self._drop(client)
                detail = str(error) or f"no answer within {self._settings.timeout:g} s"
                return SendResult.retry(f"smtp: {type(error).__name__}: {detail}")
            except BaseException:
                # Cancelled mid-transaction (the dispatcher's own deadline): the connection's state
                # is unknown, so it is closed rather than left open and unreferenced.
                await self._drop(client)
                raise
            self._keep(client)
        sent_id = email["Message-ID"] if email is not None else message.headers.get("Message-ID")
        return SendResult.sent(str(sent_id or message.uuid))

    def _keep(self, client: aiosmtplib.SMTP | None) -> None:
        if client is not None and client.is_connected:
            self._idle.append(client)

    async def _drop(self, client: aiosmtplib.SMTP | None) -> None:
        # A broken connection may fail to close; it is gone either way.
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()

    async def statuses(self, provider_message_ids: Sequence[str]) -> list[StatusReport]:
        # SMTP has no status query: bounces come back as mail (DSN), which this adapter does not read.
        return []

    async def close(self) -> None:
        while self._idle:
            client = self._idle.pop()
            try:
                await client.quit()
            except aiosmtplib.SMTPException:
                client.close()
