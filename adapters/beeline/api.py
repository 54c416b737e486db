"""The Beeline cloud PBX REST API: event subscriptions and click-to-call.

Every request carries the integration token in ``X-MPBX-API-AUTH-TOKEN``. Errors and timeouts become
TelephonyUnavailable with what the PBX said, so that callers can report and retry.
"""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import quote

import httpx

from application.telephony.ports import GrantedSubscription, TelephonyUnavailable
from domain.telephony.subscriptions import SubscriptionType

DEFAULT_URL: Final = "https://cloudpbx.beeline.ru/apis/portal"
TOKEN_HEADER: Final = "X-MPBX-API-AUTH-TOKEN"
SYSTEM: Final = "Beeline PBX"


class BeelinePbx:
    """Implements the PbxSubscriptions and Telephony ports."""

    name = "beeline"

    def __init__(
        self,
        token: str,
        base_url: str = DEFAULT_URL,
        *,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._token = token
        self._base_url = base_url.rstrip("/") + "/"
        self._timeout = timeout
        self._transport = transport

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        # A client per call: calls are rare (renewals, click-to-call) and no pool outlives an event loop.
        async with httpx.AsyncClient(
            base_url=self._base_url,
            headers={TOKEN_HEADER: self._token},
            timeout=self._timeout,
            transport=self._transport,
        ) as client:
            try:
                return await client.request(method, path, **kwargs)
            except httpx.TimeoutException:
                raise TelephonyUnavailable(
                    SYSTEM, f"{method} {path} timed out after {self._timeout:g} s"
                ) from None
            except httpx.HTTPError as error:
                raise TelephonyUnavailable(SYSTEM, f"{method} {path} failed: {error!r}") from None

    @staticmethod
    def _refused(response: httpx.Response) -> TelephonyUnavailable:
        body = response.text.strip().replace("\n", " ")[:300]
        request = response.request
        return TelephonyUnavailable(
            SYSTEM,
            f"{request.method} {request.url.path} answered {response.status_code}: {body or '(empty)'}",
        )

    async def create(
        self, *, pattern: str | None, expires: int, subscription_type: SubscriptionType, url: str
    ) -> GrantedSubscription:
        body: dict[str, Any] = {"expires": expires, "subscriptionType": subscription_type.value, "url": url}
        if pattern:
            body = {"pattern": pattern, **body}
        response = await self._request("PUT", "subscription", json=body)
        if response.status_code >= 400:
            raise self._refused(response)
        try:
            answer = response.json()
            subscription_id = str(answer["subscriptionId"])
        except (ValueError, KeyError, TypeError):
            raise TelephonyUnavailable(SYSTEM, f"no subscriptionId in {response.text[:200]!r}") from None
        granted = answer.get("expires")
        # The PBX may grant less than asked: the granted figure is the one that counts.
        return GrantedSubscription(
            subscription_id=subscription_id,
            expires=int(granted) if isinstance(granted, int | str) else expires,
        )

    async def exists(self, subscription_id: str) -> bool:
        response = await self._request("GET", "subscription", params={"subscriptionId": subscription_id})
        if response.status_code == 404:
            return False
        if response.status_code >= 400:
            raise self._refused(response)
        return True

    async def delete(self, subscription_id: str) -> None:
        response = await self._request("DELETE", "subscription", params={"subscriptionId": subscription_id})
        if response.status_code >= 400 and response.status_code != 404:
            raise self._refused(response)

    async def call(self, *, extension: str, phone: str) -> str | None:
        path = f"abonents/{quote(extension, safe='')}/call"
        response = await self._request("POST", path, params={"phoneNumber": phone})
        if response.status_code >= 400:
            raise self._refused(response)
        # The answer's shape is undocumented: keep whatever id-like value it has.
        try:
            answer = response.json()
        except ValueError:
            return response.text.strip() or None
        if isinstance(answer, dict):
            for key in ("callId", "id", "extTrackingId"):
                if answer.get(key):
                    return str(answer[key])
        return str(answer) if isinstance(answer, str | int) else None
