"""Twilio's requests to us: status callbacks and inbound messages, and their ``X-Twilio-Signature``.

Twilio signs each request with the account's auth token over the full URL it called and the sorted
form fields; ``RequestValidator`` recomputes that. The URL is the server's configured public address
(``PUBLIC_URL``) plus the path and query, never the Host header a client could choose.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import parse_qs

from twilio.request_validator import RequestValidator

from application.providers.callbacks import InboundMessage, StatusCallback
from domain.communications import DeliveryStatus
from domain.dictionaries import ChannelKind

# Twilio's message statuses; those that say nothing past what the dispatcher recorded map to None.
TWILIO_STATUSES: Mapping[str, DeliveryStatus | None] = {
    "accepted": None,
    "scheduled": None,
    "queued": None,
    "sending": DeliveryStatus.SENDING,
    "sent": DeliveryStatus.SENT,
    "delivered": DeliveryStatus.DELIVERED,
    "read": DeliveryStatus.READ,
    "undelivered": DeliveryStatus.UNDELIVERED,
    "failed": DeliveryStatus.FAILED,
    "canceled": DeliveryStatus.FAILED,
}


class Form:
    """A urlencoded body with every value of a repeated field, as the validator wants it."""

    def __init__(self, body: bytes) -> None:
        self._values: dict[str, list[str]] = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._values)

    def getall(self, name: str) -> Sequence[str]:
        return self._values.get(name, [])

    def get(self, name: str) -> str:
        values = self._values.get(name)
        return values[-1] if values else ""


class TwilioWebhooks:
    def __init__(self, auth_token: str, public_url: str, provider: str = "twilio") -> None:
        self._validator = RequestValidator(auth_token)
        self._public_url = public_url.rstrip("/")
        self._provider = provider

    def verified(self, path_and_query: str, body: bytes, signature: str | None) -> Form | None:
        """The form when Twilio signed this request; None for an unsigned or forged one."""
        if not signature:
            return None
        form = Form(body)
        if not self._validator.validate(self._public_url + path_and_query, form, signature):
            return None
        return form

    def status_callback(self, form: Form, uuid: str) -> StatusCallback:
        status = form.get("MessageStatus") or form.get("SmsStatus")
        code = form.get("ErrorCode")
        reason = None
        if status in ("undelivered", "failed"):
            reason = f"twilio {code}: {status}" if code else f"twilio: {status}"
        provider = "twilio_whatsapp" if form.get("From").startswith("whatsapp:") else self._provider
        return StatusCallback(
            provider=provider,
            uuid=uuid,
            provider_message_id=form.get("MessageSid") or form.get("SmsSid"),
            status=TWILIO_STATUSES.get(status.lower()),
            reason=reason,
        )

    def inbound(self, form: Form) -> InboundMessage:
        sender = form.get("From")
        whatsapp = sender.startswith("whatsapp:")
        return InboundMessage(
            provider="twilio_whatsapp" if whatsapp else self._provider,
            channel_kind=ChannelKind.MESSENGER if whatsapp else ChannelKind.SMS,
            sender=sender.removeprefix("whatsapp:"),
            text=form.get("Body"),
            provider_message_id=form.get("MessageSid") or None,
        )
