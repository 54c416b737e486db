"""The CCS HTTP API of seed 003: ``POST /api/sendCampaign`` and ``GET /api/closeCampaign/<id>``.

Both answer ``{"campaignid": 1, "status": 1}`` or, with HTTP 400, ``status: 0`` and ``error_msg``.
Times travel as ``%Y-%m-%d %H:%M:%S`` in the call center's own time zone.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any, Final

import httpx

from application.telephony.ports import CallCenterRefused, CampaignOrder, TelephonyUnavailable

SYSTEM: Final = "call center"
TIME_FORMAT: Final = "%Y-%m-%d %H:%M:%S"


def ccs_time(moment: datetime, zone: tzinfo | None) -> str:
    return (moment.astimezone(zone) if zone is not None else moment).strftime(TIME_FORMAT)


class CallCenterService:
    """Implements the CallCenter port."""

    def __init__(
        self,
        base_url: str,
        *,
        time_zone: tzinfo | None = None,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._base_url = base_url.rstrip("/") + "/"
        self._zone = time_zone
        self._timeout = timeout
        self._transport = transport

    async def _call(self, method: str, path: str, **kwargs: Any) -> None:
        async with httpx.AsyncClient(
            base_url=self._base_url, timeout=self._timeout, transport=self._transport
        ) as client:
            try:
                response = await client.request(method, path, **kwargs)
            except httpx.TimeoutException:
                raise TelephonyUnavailable(SYSTEM, f"{path} timed out after {self._timeout:g} s") from None
            except httpx.HTTPError as error:
                raise TelephonyUnavailable(SYSTEM, f"{path} failed: {error!r}") from None
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if isinstance(answer, dict) and answer.get("status") == 1 and response.status_code < 400:
            return
        if isinstance(answer, dict) and answer.get("status") == 0:
            raise CallCenterRefused(str(answer.get("error_msg") or f"HTTP {response.status_code}"))
        raise TelephonyUnavailable(
            SYSTEM, f"{path} answered {response.status_code}: {response.text.strip()[:300] or '(empty)'}"
        )

    async def send_campaign(self, order: CampaignOrder) -> None:
        body: dict[str, Any] = {
            "campaignid": order.campaign_id,
            "starttime": ccs_time(order.start, self._zone),
            "endtime": ccs_time(order.end, self._zone),
        }
        if order.type_id is not None:
            body["typeid"] = order.type_id
        body["contact"] = [
            {"id": c.id, "phonenumber": c.phone, "linkedit": c.link or ""} for c in order.contacts
        ]
        await self._call("POST", "api/sendCampaign", json=body)

    async def close_campaign(self, campaign_id: int) -> None:
        await self._call("GET", f"api/closeCampaign/{campaign_id}")
