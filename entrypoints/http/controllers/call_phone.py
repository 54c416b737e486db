"""Seed 002's ``POST /v2/communications/{uuid}/call-phone``: click-to-call from a communication."""

# No `from __future__ import annotations`: Litestar must see the handlers' annotation objects.

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import Body, FromPath

from application.telephony.click_to_call import CallPhone, ClickToCall
from domain.access import Principal
from entrypoints.http.controllers.communications import key_of
from entrypoints.http.controllers.telephony_support import telephony
from entrypoints.http.schemas.telephony import CallPhoneIn, CallPlacedOut


class CallPhoneController(Controller):
    tags = ["communications (seed 002)"]  # noqa: RUF012
    dependencies = {"click_to_call": telephony("click_to_call")}  # noqa: RUF012

    @post(
        "/v2/communications/{uuid:str}/call-phone",
        status_code=200,
        summary="Call the communication's client from an employee's extension (the caller's by default)",
        description="409 names what is missing, checked in this order: the client's phone, the employee's "
        "extension, a configured telephony adapter (Beeline PBX or Asterisk ARI).",
    )
    async def call_phone(
        self,
        request: Request[Principal, Any, Any],
        click_to_call: NamedDependency[ClickToCall],
        uuid: FromPath[str],
        data: Annotated[CallPhoneIn | None, Body()] = None,
    ) -> CallPlacedOut:
        command = CallPhone(key=key_of(uuid), employee_id=data.employee_id if data else None)
        placed = await click_to_call.call(request.user, command)
        return msgspec.convert(placed, CallPlacedOut, from_attributes=True)


CONTROLLERS = [CallPhoneController]
