"""Click-to-call by ARI originate: ring the employee's endpoint, then dial the client in a context.

``POST /ari/channels?endpoint=PJSIP/101&extension=<number>&context=<ctx>&priority=1`` with HTTP
basic auth (ari.conf). The answer is the new channel; its id is the call id.
"""

from __future__ import annotations

from typing import Final

import httpx

from application.telephony.ports import TelephonyUnavailable

SYSTEM: Final = "Asterisk ARI"


class AsteriskAri:
    """Implements the Telephony port."""

    name = "asterisk"

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        context: str = "from-internal",
        technology: str = "PJSIP",
        caller_id: str | None = None,
        ring_timeout: int = 30,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._base_url = base_url.rstrip("/") + "/"
        self._auth = httpx.BasicAuth(username, password)
        self._context = context
        self._technology = technology
        self._caller_id = caller_id
        self._ring_timeout = ring_timeout
        self._timeout = timeout
        self._transport = transport

    async def call(self, *, extension: str, phone: str) -> str | None:
        params: dict[str, str | int] = {
            "endpoint": f"{self._technology}/{extension}",
            "extension": phone,
            "context": self._context,
            "priority": 1,
            "timeout": self._ring_timeout,
        }
        if self._caller_id:
            params["callerId"] = self._caller_id
        async with httpx.AsyncClient(
            base_url=self._base_url, auth=self._auth, timeout=self._timeout, transport=self._transport
        ) as client:
            try:
                response = await client.post("ari/channels", params=params)
            except httpx.TimeoutException:
                raise TelephonyUnavailable(SYSTEM, f"originate timed out after {self._timeout:g} s") from None
            except httpx.HTTPError as error:
                raise TelephonyUnavailable(SYSTEM, f"originate failed: {error!r}") from None
        if response.status_code >= 400:
            raise TelephonyUnavailable(
                SYSTEM,
                f"originate answered {response.status_code}: {response.text.strip()[:300] or '(empty)'}",
            )
        try:
            channel = response.json()
        except ValueError:
            return None
        return str(channel["id"]) if isinstance(channel, dict) and channel.get("id") else None
