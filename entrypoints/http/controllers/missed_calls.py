"""The missed-calls queue of seed 004 (/api/v1/missed-calls): list, card, Save, Book, live stream, report."""

# No `from __future__ import annotations`: Litestar must see the handlers' annotation objects.

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, patch, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import ServerSentEvent, ServerSentEventMessage

from adapters.memory.live_feed import InProcessFeed
from application.telephony.missed_call_report import GroupBy, MissedCallReports, ReportQuery
from application.telephony.missed_calls import MissedCalls
from application.telephony.pbx_events import MISSED_CALLS_TOPIC
from application.telephony.ports import MissedCallSearch
from domain.access import Permission, Principal
from domain.keys import require_id
from domain.telephony.missed_calls import MissedCallStatus
from entrypoints.http.auth import read_statistics, requires
from entrypoints.http.controllers.telephony_support import csv_text, normalised_phone, telephony
from entrypoints.http.schemas.common import aware
from entrypoints.http.schemas.telephony import (
    MissedCallOut,
    MissedCallPageOut,
    MissedCallPatch,
    report_out,
)
from entrypoints.http.schemas.times import answer

work_the_queue = requires(Permission.SEND_COMMUNICATIONS)
KEEP_ALIVE_SECONDS = 15.0
CARD_COLUMNS = (
    "id",
    "phone",
    "clientId",
    "clientName",
    "status",
    "result",
    "calls",
    "firstCallAt",
    "lastCallAt",
    "calledBackBy",
    "calledBackAt",
)

MaxId = 2**31 - 1


class MissedCallsController(Controller):
    path = "/api/v1/missed-calls"
    tags = ["missed calls"]  # noqa: RUF012
    dependencies = {  # noqa: RUF012
        "missed_calls": telephony("missed_calls"),
        "reports": telephony("missed_call_reports"),
        "feed": telephony("feed"),
    }

    @get("", guards=[work_the_queue], summary="Missed-call cards, newest first (status=missed by default)")
    async def list_cards(
        self,
        state: State,
        missed_calls: NamedDependency[MissedCalls],
        status: Annotated[
            str,
            QueryParameter(pattern="^(missed|called_back|all)$", description="missed, called_back or all"),
        ] = "missed",
        phone: Annotated[str | None, QueryParameter(max_length=64, description="in any notation")] = None,
        client_id: Annotated[int | None, QueryParameter(name="clientId", ge=1, le=MaxId)] = None,
        employee_id: Annotated[int | None, QueryParameter(name="employeeId", ge=1, le=MaxId)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
        offset: Annotated[int, QueryParameter(ge=0, le=MaxId)] = 0,
    ) -> MissedCallPageOut:
        search = MissedCallSearch(
            status=None if status == "all" else MissedCallStatus(status),
            phone=normalised_phone(state, phone),
            client_id=client_id,
            employee_id=employee_id,
            limit=limit,
            offset=offset,
        )
        return answer(await missed_calls.find(search), MissedCallPageOut)

    @get(
        "/stream",
        guards=[work_the_queue],
        summary="Server-Sent Events: a card was opened, added to or worked",
        # An endless stream: OpenAPI cannot describe it, and schema-driven tests would wait forever.
        include_in_schema=False,
    )
    async def stream(
        self,
        feed: NamedDependency[InProcessFeed],
        max_events: Annotated[
            int | None, QueryParameter(name="maxEvents", ge=1, le=10_000, description="end after this many")
        ] = None,
    ) -> ServerSentEvent:
        async def events() -> AsyncIterator[ServerSentEventMessage]:
            async with feed.subscribe(MISSED_CALLS_TOPIC) as queue:
                # Tells the listener it is subscribed: changes from now on will reach it.
                yield ServerSentEventMessage(event="ready", data="{}")
                sent = 0
                while max_events is None or sent < max_events:
                    try:
                        async with asyncio.timeout(KEEP_ALIVE_SECONDS):
                            change = await queue.get()
                    except TimeoutError:
                        # data=None: a comment only; an empty data line would reach EventSource
                        # as an empty message.
                        yield ServerSentEventMessage(comment="keep-alive", data=None)
                        continue
                    sent += 1
                    yield ServerSentEventMessage(event="missed-call", data=json.dumps(change))

        return ServerSentEvent(events())

    @get("/report", guards=[read_statistics], summary="Missed calls over a period, grouped; JSON or CSV")
    async def report(
        self,
        request: Request[Any, Any, Any],
        state: State,
        reports: NamedDependency[MissedCallReports],
        date_from: Annotated[datetime, QueryParameter(name="from", description="period start (ISO 8601)")],
        date_to: Annotated[datetime, QueryParameter(name="to", description="period end, exclusive")],
        group_by: Annotated[GroupBy | None, QueryParameter(name="groupBy")] = None,
        status: Annotated[MissedCallStatus | None, QueryParameter(description="all when omitted")] = None,
        phone: Annotated[str | None, QueryParameter(max_length=64)] = None,
        client_id: Annotated[int | None, QueryParameter(name="clientId", ge=1, le=MaxId)] = None,
        employee_id: Annotated[int | None, QueryParameter(name="employeeId", ge=1, le=MaxId)] = None,
        called_back_by: Annotated[int | None, QueryParameter(name="calledBackBy", ge=1, le=MaxId)] = None,
        time_zone: Annotated[str, QueryParameter(name="timeZone", max_length=64)] = "UTC",
        format: Annotated[str | None, QueryParameter(pattern="^(json|csv)$")] = None,
    ) -> Response[Any]:
        query = ReportQuery(
            since=aware(date_from),
            until=aware(date_to),
            group_by=group_by,
            time_zone=time_zone,
            search=MissedCallSearch(
                status=status,
                phone=normalised_phone(state, phone),
                client_id=client_id,
                employee_id=employee_id,
                called_back_by=called_back_by,
            ),
        )
        report = report_out(await reports.report(query))
        wants_csv = format == "csv" or (format is None and "text/csv" in request.headers.get("accept", ""))
        if not wants_csv:
            return Response(report)
        if report.group_by is not None:
            text = csv_text(
                (report.group_by, "label", "cards", "calls", "calledBack"),
                ((g.key, g.label, g.cards, g.calls, g.called_back) for g in report.groups),
            )
        else:
            text = csv_text(
                CARD_COLUMNS,
                (
                    (
                        c.id,
                        c.phone,
                        c.client_id,
                        c.client_name,
                        c.status.value,
                        c.result,
                        c.calls,
                        c.first_call_at,
                        c.last_call_at,
                        c.called_back_by,
                        c.called_back_at,
                    )
                    for c in report.items
                ),
            )
        return Response(
            text,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="missed-calls.csv"'},
        )

    @get("/{card_id:str}", guards=[work_the_queue], summary="One missed-call card")
    async def get_card(
        self, missed_calls: NamedDependency[MissedCalls], card_id: FromPath[str]
    ) -> MissedCallOut:
        return answer(await missed_calls.get(require_id(card_id, "card_id")), MissedCallOut)

    @patch("/{card_id:str}", guards=[work_the_queue], summary="Save the card: called_back needs a result")
    async def save_card(
        self,
        request: Request[Principal, Any, Any],
        missed_calls: NamedDependency[MissedCalls],
        card_id: FromPath[str],
        data: JSONBody[MissedCallPatch],
    ) -> MissedCallOut:
        return answer(
            await missed_calls.edit(request.user, require_id(card_id, "card_id"), data.to_command()),
            MissedCallOut,
        )

    @post("/{card_id:str}/book", status_code=200, guards=[work_the_queue], summary="Book: booked for repair")
    async def book(
        self,
        request: Request[Principal, Any, Any],
        missed_calls: NamedDependency[MissedCalls],
        card_id: FromPath[str],
    ) -> MissedCallOut:
        return answer(await missed_calls.book(request.user, require_id(card_id, "card_id")), MissedCallOut)


CONTROLLERS = [MissedCallsController]
