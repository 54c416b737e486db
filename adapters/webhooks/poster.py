"""The WebhookPoster: an HTTP POST signed by the Standard Webhooks scheme (``standardwebhooks``).

Headers: ``webhook-id`` (the message id, the same on every try), ``webhook-timestamp`` (Unix seconds)
and ``webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body" with the secret's key>``.
"""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from standardwebhooks.webhooks import Webhook

from application.ports import Clock
from application.webhooks.delivery import PostResult
from domain.webhooks import WebhookDelivery, WebhookSubscription


def signed_headers(secret: str, message_id: str, at: datetime, body: str) -> dict[str, str]:
    signature = Webhook(secret).sign(msg_id=message_id, timestamp=at.astimezone(UTC), data=body)
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
        "user-agent": "Switchboard-Webhooks/1",
    }


class HttpWebhookPoster:
    def __init__(self, clock: Clock, *, timeout: float = 10.0) -> None:
        self._clock = clock
        self._timeout = timeout
        self._client: httpx.AsyncClient | None = None

    async def post(self, subscription: WebhookSubscription, delivery: WebhookDelivery) -> PostResult:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._timeout, follow_redirects=False)
        headers = signed_headers(
            subscription.secret, delivery.message_id, self._clock.now(), delivery.payload
        )
        try:
            answer = await self._client.post(
                subscription.url, content=delivery.payload.encode(), headers=headers
            )
        except httpx.HTTPError as failure:
            return PostResult(status=None, error=f"{type(failure).__name__}: {failure}"[:500])
        said = None if answer.is_success else f"HTTP {answer.status_code}: {answer.text[:200]}"
        return PostResult(status=answer.status_code, error=said)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
