"""The SMTP sender against a real SMTP server on 127.0.0.1: TLS, auth, parts, headers, failures."""

from __future__ import annotations

import asyncio
import threading
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

import aiosmtplib
import pytest

from adapters.smtp.sender import SmtpSecurity, SmtpSender, SmtpSettings, email_bytes, plain_address
from application.sending.email import email_headers, html_from_text
from application.sending.ports import OutgoingMessage, SendOutcome
from domain.communications import DeliveryStatus
from domain.dictionaries import ChannelKind
from tests.support.smtp_server import (
    Sink,
    accept_login,
    client_context,
    self_signed,
    server_context,
    smtp_server,
)

UUID = "6f1c2a4e-6f0b-4d7e-9a51-0d7f3c1b2a90"
UNSUBSCRIBE = "http://localhost:8181/unsubscribe/7.3.abc"


def message(
    to: str = "ivan@example.com", *, html: str | None = "<p>Hello, <b>Ivan</b></p>"
) -> OutgoingMessage:
    return OutgoingMessage(
        uuid=UUID,
        client_id=7,
        channel_id=3,
        channel_kind=ChannelKind.EMAIL,
        to=to,
        subject="Your order",
        text="Hello, Ivan",
        html=html,
        headers=email_headers(uuid=UUID, domain="switchboard.test", unsubscribe=UNSUBSCRIBE),
    )


def sender(port: int, **settings: object) -> SmtpSender:
    return SmtpSender(
        SmtpSettings(host="127.0.0.1", port=port, from_address="news@switchboard.test", **settings)
    )  # type: ignore[arg-type]


async def test_an_email_arrives_multipart_with_its_id_and_one_click_unsubscribe() -> None:
    sink = Sink()
    with smtp_server(sink) as port:
        smtp = sender(port)
        result = await smtp.send(message())
        await smtp.close()
    assert result.outcome is SendOutcome.SENT
    assert result.provider_message_id == f"<{UUID}@switchboard.test>"
    [email] = sink.received
    assert email["Message-ID"] == f"<{UUID}@switchboard.test>"
    assert email["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>"
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert (email["From"], email["To"], email["Subject"]) == (
        "news@switchboard.test",
        "ivan@example.com",
        "Your order",
    )
    assert email.get_content_type() == "multipart/alternative"
    parts = {
        p.get_content_type(): p.get_payload(decode=True).decode()
        for p in email.walk()
        if not p.is_multipart()
    }
    assert parts["text/plain"].strip() == "Hello, Ivan"
    assert "<b>Ivan</b>" in parts["text/html"]
    assert sink.envelopes == [("news@switchboard.test", ["ivan@example.com"])]


async def test_connections_are_reused_between_messages() -> None:
    sink = Sink()
    with smtp_server(sink) as port:
        smtp = sender(port, connections=1)
        results = [await smtp.send(message(f"client{i}@example.com")) for i in range(5)]
        await smtp.close()
    assert {r.outcome for r in results} == {SendOutcome.SENT}
    assert len(sink.received) == 5


async def test_a_refused_recipient_is_finally_undelivered_with_the_server_reason() -> None:
    with smtp_server(Sink()) as port:
        smtp = sender(port)
        result = await smtp.send(message("refuse@example.com"))
        after = await smtp.send(message("ivan@example.com"))
        await smtp.close()
    assert result.outcome is SendOutcome.REJECTED
    assert result.delivery_status is DeliveryStatus.UNDELIVERED
    assert result.reason is not None and "550" in result.reason and "no such user" in result.reason
    assert after.outcome is SendOutcome.SENT


async def test_a_dropped_connection_is_a_retry_and_the_next_attempt_goes_through() -> None:
    sink = Sink(drop_next=1)
    with smtp_server(sink) as port:
        smtp = sender(port)
        first = await smtp.send(message())
        second = await smtp.send(message())
        await smtp.close()
    assert first.outcome is SendOutcome.RETRY
    assert first.reason is not None
    assert second.outcome is SendOutcome.SENT
    assert len(sink.received) == 1


async def test_no_server_listening_is_a_retry() -> None:
    from tests.support.smtp_server import free_port

    result = await sender(free_port(), timeout=2.0).send(message())
    assert result.outcome is SendOutcome.RETRY


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed(tmp_path_factory.mktemp("tls"))


async def test_starttls_with_authentication(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    sink = Sink()
    options = {
        "tls_context": server_context(cert, key),
        "require_starttls": True,
        "auth_required": True,
        "authenticator": accept_login("mailer", "s3cret"),
    }
    with smtp_server(sink, **options) as port:
        good = sender(
            port,
            security=SmtpSecurity.STARTTLS,
            username="mailer",
            password="s3cret",
            tls_context=client_context(cert),
        )
        sent = await good.send(message())
        await good.close()
        bad = sender(
            port,
            security=SmtpSecurity.STARTTLS,
            username="mailer",
            password="wrong",
            tls_context=client_context(cert),
        )
        refused = await bad.send(message())
    assert sent.outcome is SendOutcome.SENT
    assert refused.outcome is SendOutcome.RETRY  # a configuration problem, not this message's
    assert refused.reason is not None and "535" in refused.reason
    assert len(sink.received) == 1


async def test_implicit_ssl(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    sink = Sink()
    with smtp_server(sink, ssl_context=server_context(cert, key)) as port:
        smtp = sender(port, security=SmtpSecurity.SSL, tls_context=client_context(cert))
        result = await smtp.send(message(html=None))
        await smtp.close()
    assert result.outcome is SendOutcome.SENT
    [email] = sink.received
    assert email.get_content_type() == "text/plain"


def test_text_only_email_gets_an_escaped_html_part() -> None:
    html = html_from_text("Tom & Jerry <3\n\nSecond line")
    assert "Tom &amp; Jerry &lt;3" in html
    assert html.count("<p>") == 2


def received_parts(email: Any) -> dict[str, str]:
    return {
        p.get_content_type(): p.get_payload(decode=True).decode()
        for p in email.walk()
        if not p.is_multipart()
    }


async def test_plain_and_unusual_emails_arrive_the_same_whichever_way_they_are_written() -> None:
    # ASCII headers are written straight to bytes; a Cyrillic subject goes through EmailMessage.
    # Bodies with non-ASCII text, a line that starts with a dot and CRLFs arrive as they were.
    text = "Здравствуйте, Иван\n.a line with a dot\r\nend"
    html = "<p>Hi</p>\n.\n.x</p>"  # ASCII: 7bit, and its lines that start with a dot
    plain = OutgoingMessage(**{**message().__dict__, "text": text, "html": html})
    unusual = OutgoingMessage(**{**plain.__dict__, "subject": "Ваш заказ"})
    sink = Sink()
    with smtp_server(sink) as port:
        smtp = sender(port)
        results = [await smtp.send(plain), await smtp.send(unusual)]
        await smtp.close()
    assert [r.provider_message_id for r in results] == [f"<{UUID}@switchboard.test>"] * 2
    for email, subject in zip(sink.received, ("Your order", "Ваш заказ"), strict=True):
        decoded = str(make_header(decode_header(email["Subject"])))
        assert (decoded, email["Message-ID"]) == (subject, f"<{UUID}@switchboard.test>")
        assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert email.get_content_type() == "multipart/alternative"
        parts = received_parts(email)
        assert parts["text/plain"].replace("\r\n", "\n").strip() == text.replace("\r\n", "\n")
        assert parts["text/html"].replace("\r\n", "\n").strip() == html


def test_only_plain_one_line_ascii_headers_are_written_directly() -> None:
    settings = SmtpSettings(from_address="news@switchboard.test")
    assert email_bytes(message(), settings) is not None
    assert email_bytes(OutgoingMessage(**{**message().__dict__, "subject": "Ваш заказ"}), settings) is None
    assert (
        email_bytes(OutgoingMessage(**{**message().__dict__, "subject": "a\r\nBcc: x@y"}), settings) is None
    )
    assert email_bytes(OutgoingMessage(**{**message().__dict__, "to": "иван@пример.рф"}), settings) is None
    for odd in ("a\nb", "a\rb", "x" * 918):
        assert email_bytes(OutgoingMessage(**{**message().__dict__, "subject": odd}), settings) is None
        headers = {**message().headers, "X-Odd": odd}
        assert email_bytes(OutgoingMessage(**{**message().__dict__, "headers": headers}), settings) is None
    assert email_bytes(OutgoingMessage(**{**message().__dict__, "subject": "x" * 917}), settings) is not None


class Answering(Sink):
    """A sink whose MAIL, RCPT or DATA answer is given (or that keeps DATA waiting for ``stall`` seconds)."""

    def __init__(
        self, *, mail: str | None = None, rcpt: str | None = None, data: str | None = None, stall: float = 0.0
    ) -> None:
        super().__init__()
        self.mail, self.rcpt, self.data, self.stall = mail, rcpt, data, stall
        self.in_data = threading.Event()

    async def handle_RCPT(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.rcpt is not None:
            return self.rcpt
        return await super().handle_RCPT(server, session, envelope, address, options)

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:  # noqa: N802
        if self.mail is not None:
            return self.mail
        envelope.mail_from = address
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.in_data.set()
        if self.stall:
            await asyncio.sleep(self.stall)
        return self.data or await super().handle_DATA(server, session, envelope)


async def test_after_a_refused_recipient_the_next_message_has_an_envelope_of_its_own() -> None:
    sink = Sink()
    with smtp_server(sink) as port:
        smtp = sender(port, connections=1)
        refused = await smtp.send(message("refuse@example.com"))
        sent = await smtp.send(message("ivan@example.com"))
        await smtp.close()
    assert (refused.outcome, sent.outcome) == (SendOutcome.REJECTED, SendOutcome.SENT)
    assert sink.envelopes == [("news@switchboard.test", ["ivan@example.com"])]


async def test_content_refused_for_good_is_failed_and_refused_for_now_is_a_retry() -> None:
    results = []
    for answer in ("554 5.6.0 content refused", "451 4.3.0 try again later"):
        with smtp_server(Answering(data=answer)) as port:
            smtp = sender(port)
            results.append(await smtp.send(message()))
            await smtp.close()
    refused, later = results
    assert (refused.outcome, refused.delivery_status) == (SendOutcome.REJECTED, DeliveryStatus.FAILED)
    assert refused.reason == "smtp: 554 5.6.0 content refused"
    assert (later.outcome, later.reason) == (SendOutcome.RETRY, "smtp: 451 4.3.0 try again later")


async def test_a_refused_sender_is_a_retry() -> None:
    with smtp_server(Answering(mail="553 5.7.1 sender not allowed")) as port:
        smtp = sender(port)
        result = await smtp.send(message())
        await smtp.close()
    assert result.outcome is SendOutcome.RETRY
    assert result.reason is not None and "553" in result.reason


async def test_a_server_that_stops_answering_is_a_retry_and_its_connection_is_dropped() -> None:
    sink = Answering(stall=1.0)
    with smtp_server(sink) as port:
        smtp = sender(port, timeout=0.2, connections=1)
        result = await smtp.send(message())
        sink.stall = 0.0
        after = await smtp.send(message())
        await smtp.close()
    assert result.outcome is SendOutcome.RETRY
    assert result.reason == "smtp: TimeoutError: no answer within 0.2 s"
    assert after.outcome is SendOutcome.SENT


async def test_a_send_cancelled_mid_transaction_closes_its_connection() -> None:
    sink = Answering(stall=5.0)
    with smtp_server(sink) as port:
        smtp = sender(port, connections=1)
        made: list[aiosmtplib.SMTP] = []
        connect = smtp._client

        def recorded() -> aiosmtplib.SMTP:
            made.append(connect())
            return made[-1]

        smtp._client = recorded  # type: ignore[method-assign]
        sending = asyncio.create_task(smtp.send(message()))
        assert await asyncio.to_thread(sink.in_data.wait, 5.0)
        sending.cancel()
        with pytest.raises(asyncio.CancelledError):
            await sending
        assert [client.is_connected for client in made] == [False]
        await smtp.close()


async def test_an_address_that_needs_parsing_goes_through_sendmail_and_arrives() -> None:
    sink = Sink()
    with smtp_server(sink) as port:
        smtp = sender(port)
        result = await smtp.send(message("Ivan <ivan@example.com>"))
        await smtp.close()
    assert result.outcome is SendOutcome.SENT
    assert sink.envelopes == [("news@switchboard.test", ["ivan@example.com"])]


def test_only_addresses_that_parsing_would_leave_as_they_are_skip_it() -> None:
    from aiosmtplib.email import quote_address

    plain = ["ivan@example.com", "o'brien+news@mail.example.org", "a..b@c.d", "#!$%&*/=?^_`{|}~-@x.y"]
    for address in plain:
        assert plain_address(address) and quote_address(address) == f"<{address}>"
    for address in (
        "Ivan <ivan@example.com>",
        "ivan@example.com\r\nRCPT TO:<x@y>",
        "a b@c.d",
        "иван@пример.рф",
        "a@b@c",
    ):
        assert not plain_address(address)


async def test_a_recipient_refused_for_now_is_a_retry_and_for_good_is_undelivered() -> None:
    results = []
    for answer in ("450 4.2.0 greylisted, try again later", "550 5.1.1 no such user"):
        with smtp_server(Answering(rcpt=answer)) as port:
            smtp = sender(port)
            results.append(await smtp.send(message()))
            await smtp.close()
    later, refused = results
    assert (later.outcome, later.reason) == (
        SendOutcome.RETRY,
        "smtp: recipient refused for now: 450 4.2.0 greylisted, try again later",
    )
    assert (refused.outcome, refused.delivery_status) == (SendOutcome.REJECTED, DeliveryStatus.UNDELIVERED)
