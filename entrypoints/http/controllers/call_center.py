"""The call center (seed 003): its callbacks ``/api/finishCampaign`` and ``/api/updateCampaign``,
and our campaigns API (/api/v1/call-campaigns).

The CCS cannot do Basic Auth: callbacks carry CCS_CALLBACK_TOKEN as ``X-Callback-Token`` or
``?token=``. They answer in the CCS's own shape: ``{"campaignid": 1, "status": 1}``, or 400 with
``status: 0`` and ``error_msg`` for an unknown campaign or a malformed body, never a 500.
"""

# No `from __future__ import annotations`: Litestar must see the handlers' annotation objects.

import hmac
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody, QueryParameter

from application.telephony.campaigns import CallCampaigns, CallUpdate, CampaignFinish
from domain.access import Permission, Principal
from domain.errors import DomainError
from domain.keys import require_id
from entrypoints.http.auth import requires
from entrypoints.http.controllers.telephony_support import telephony
from entrypoints.http.schemas.telephony import (
    CampaignIn,
    CampaignOut,
    CampaignPageOut,
    FinishCampaignIn,
    UpdateCampaignIn,
)
from entrypoints.http.schemas.times import answer

CCS_TIME = "%Y-%m-%d %H:%M:%S"


class CallbackAnswer(msgspec.Struct):
    """The CCS protocol's answer: ``status`` 1, or 0 with ``error_msg``."""

    campaignid: Any
    status: int
    error_msg: str | None = None


CALLBACK_RESPONSES = {
    400: ResponseSpec(CallbackAnswer, description="unknown campaign or malformed body (status 0, error_msg)"),
    401: ResponseSpec(
        CallbackAnswer, description="missing or wrong CCS_CALLBACK_TOKEN (status 0, error_msg)"
    ),
}
send_communications = requires(Permission.SEND_COMMUNICATIONS)


class CallbackRefused(Exception):
    def __init__(self, status: int, error_msg: str, campaign_id: object = None) -> None:
        super().__init__(error_msg)
        self.status = status
        self.error_msg = error_msg
        self.campaign_id = campaign_id


def _answer(campaign_id: object, status: int = 200, error_msg: str | None = None) -> Response[Any]:
    body: dict[str, Any] = {"campaignid": campaign_id, "status": 1 if error_msg is None else 0}
    if error_msg is not None:
        body["error_msg"] = error_msg
    return Response(body, status_code=status)


def _authenticate(request: Request[Any, Any, Any], state: State) -> None:
    expected = state.container.telephony.settings().ccs_callback_token
    if not expected:
        raise CallbackRefused(401, "callbacks are disabled: CCS_CALLBACK_TOKEN is not set")
    presented = request.headers.get("x-callback-token") or request.query_params.get("token") or ""
    if not hmac.compare_digest(presented.encode(), expected.encode()):
        raise CallbackRefused(401, "invalid callback token")


def _decode(body: bytes, kind: type[Any]) -> Any:
    try:
        return msgspec.json.decode(body, type=kind)
    except msgspec.ValidationError as error:
        raise CallbackRefused(400, f"PARAM_INVALID: {error}") from None
    except msgspec.DecodeError as error:
        raise CallbackRefused(400, f"PAYLOAD_INVALID: {error}") from None


def _time(value: str | None, name: str, zone: ZoneInfo, campaign_id: int) -> datetime | None:
    if value is None or not value.strip():
        return None
    try:
        return datetime.strptime(value.strip(), CCS_TIME).replace(tzinfo=zone)
    except ValueError:
        raise CallbackRefused(400, f"DATETIME_FORMAT: {name} must be {CCS_TIME}", campaign_id) from None


class CallCenterCallbacks(Controller):
    tags = ["call center (seed 003)"]  # noqa: RUF012
    dependencies = {"campaigns": telephony("call_campaigns")}  # noqa: RUF012

    async def _handle(self, request: Request[Any, Any, Any], state: State, work: Any) -> Response[Any]:
        try:
            _authenticate(request, state)
            return await work(
                await request.body(), ZoneInfo(state.container.telephony.settings().ccs_time_zone)
            )
        except CallbackRefused as refused:
            return _answer(refused.campaign_id, refused.status, refused.error_msg)

    @post(
        "/api/finishCampaign",
        status_code=200,
        summary="The call center finished a campaign: its totals",
        responses=CALLBACK_RESPONSES,
    )
    async def finish_campaign(
        self, request: Request[Any, Any, Any], state: State, campaigns: NamedDependency[CallCampaigns]
    ) -> Response[CallbackAnswer]:
        async def work(body: bytes, _: ZoneInfo) -> Response[Any]:
            data: FinishCampaignIn = _decode(body, FinishCampaignIn)
            try:
                await campaigns.finish(
                    CampaignFinish(
                        campaign_id=data.campaignid,
                        status=data.status,
                        contact_total=data.contact_total,
                        contact_success=data.contact_success,
                    )
                )
            except DomainError as error:
                raise CallbackRefused(400, error.message, data.campaignid) from None
            return _answer(data.campaignid)

        return await self._handle(request, state, work)

    @post(
        "/api/updateCampaign",
        status_code=200,
        summary="The call center dialled a contact: the call's CDR",
        responses=CALLBACK_RESPONSES,
    )
    async def update_campaign(
        self, request: Request[Any, Any, Any], state: State, campaigns: NamedDependency[CallCampaigns]
    ) -> Response[CallbackAnswer]:
        async def work(body: bytes, zone: ZoneInfo) -> Response[Any]:
            data: UpdateCampaignIn = _decode(body, UpdateCampaignIn)
            started = _time(data.starttime, "starttime", zone, data.campaignid)
            if started is None:
                raise CallbackRefused(400, "PARAM_MISS: starttime", data.campaignid)
            update = CallUpdate(
                campaign_id=data.campaignid,
                contact_id=data.contact_id,
                phone=data.phonenumber,
                agent=data.agentcode,
                station=data.station_id,
                started_at=started,
                answered_at=_time(data.answertime, "answertime", zone, data.campaignid),
                ended_at=_time(data.endtime, "endtime", zone, data.campaignid),
                duration=data.duration,
                ring_time=data.ringtime,
                recording_url=data.link_down_record,
                status=data.status,
                call_id=data.callid,
            )
            try:
                await campaigns.record_call(update)
            except DomainError as error:
                raise CallbackRefused(400, error.message, data.campaignid) from None
            return _answer(data.campaignid)

        return await self._handle(request, state, work)


class CallCampaignsController(Controller):
    path = "/api/v1/call-campaigns"
    tags = ["call center (seed 003)"]  # noqa: RUF012
    guards = [send_communications]  # noqa: RUF012
    dependencies = {"campaigns": telephony("call_campaigns")}  # noqa: RUF012

    @post("", summary="A campaign over a client group or a list of clients, within a time window")
    async def create_campaign(
        self,
        request: Request[Principal, Any, Any],
        campaigns: NamedDependency[CallCampaigns],
        data: JSONBody[CampaignIn],
    ) -> CampaignOut:
        return answer(await campaigns.create(request.user, data.to_command()), CampaignOut)

    @get("", summary="Campaigns with their progress, newest first")
    async def list_campaigns(
        self,
        campaigns: NamedDependency[CallCampaigns],
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
        offset: Annotated[int, QueryParameter(ge=0, le=2**31 - 1)] = 0,
    ) -> CampaignPageOut:
        page = await campaigns.find(limit, offset)
        return CampaignPageOut(items=[answer(c, CampaignOut) for c in page.items], total=page.total)

    @get("/{campaign_id:str}", summary="A campaign and its progress: contacts total, called, successful")
    async def get_campaign(
        self, campaigns: NamedDependency[CallCampaigns], campaign_id: FromPath[str]
    ) -> CampaignOut:
        return answer(await campaigns.get(require_id(campaign_id, "campaign_id")), CampaignOut)

    @post("/{campaign_id:str}/send", status_code=200, summary="Hand the campaign to the call center")
    async def send_campaign(
        self,
        request: Request[Principal, Any, Any],
        campaigns: NamedDependency[CallCampaigns],
        campaign_id: FromPath[str],
    ) -> CampaignOut:
        return answer(await campaigns.send(request.user, require_id(campaign_id, "campaign_id")), CampaignOut)

    @post("/{campaign_id:str}/close", status_code=200, summary="End the campaign before its time")
    async def close_campaign(
        self,
        request: Request[Principal, Any, Any],
        campaigns: NamedDependency[CallCampaigns],
        campaign_id: FromPath[str],
    ) -> CampaignOut:
        return answer(
            await campaigns.close(request.user, require_id(campaign_id, "campaign_id")), CampaignOut
        )


CONTROLLERS = [CallCenterCallbacks, CallCampaignsController]
