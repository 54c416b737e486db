"""The CRM prototype contract (seed 000, see docs/contracts.md): its /clients routes."""

# No `from __future__ import annotations`: Litestar reads the handlers' annotations at start-up.

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post, put
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from application.clients import Availability, Bookings, Clients
from application.queries import MAX_PAGE_SIZE, Page, Query
from domain.access import Principal
from domain.availability import Owner
from domain.keys import require_id
from entrypoints.http.auth import manage_clients
from entrypoints.http.controllers.clients import owner_of
from entrypoints.http.resource import use_case
from entrypoints.http.schemas.common import aware
from entrypoints.http.schemas.crm_prototype import (
    SeedAvailabilityOut,
    SeedBookingIn,
    SeedClientEdit,
    SeedClientIn,
    SeedClientOut,
    seed_availability_out,
    seed_client_out,
)

Limit = Annotated[
    int,
    QueryParameter(
        ge=1,
        le=MAX_PAGE_SIZE,
        description=f"page size (default and most: {MAX_PAGE_SIZE}); the X-Total-Count header has the total",
    ),
]
Offset = Annotated[int, QueryParameter(ge=0, description="clients to skip")]
TOTAL = "X-Total-Count"
TOTAL_HEADER = [ResponseHeader(name=TOTAL, documentation_only=True, description="how many there are in all")]


class SeedClientsController(Controller):
    """The answers are bare arrays and seed-shaped clients; pages via ``limit``/``offset``."""

    path = "/clients"
    tags = ["seed 000: clients"]  # noqa: RUF012
    dependencies = {  # noqa: RUF012
        "clients": use_case("clients"),
        "bookings": use_case("bookings"),
        "availability": use_case("availability"),
    }

    @post("/add", guards=[manage_clients], summary="Add a client")
    async def add(
        self,
        clients: NamedDependency[Clients],
        bookings: NamedDependency[Bookings],
        data: JSONBody[SeedClientIn],
    ) -> SeedClientOut:
        client = await clients.create(data.as_command(clients.command))
        return seed_client_out((await bookings.with_bookings([client]))[0])

    @put("/edit/{id:str}", guards=[manage_clients], summary="Change a client: the fields given")
    async def edit(
        self,
        clients: NamedDependency[Clients],
        bookings: NamedDependency[Bookings],
        id: FromPath[str],
        data: JSONBody[SeedClientEdit],
    ) -> SeedClientOut:
        client = await clients.change(require_id(id, "id"), data.as_command(clients.patch))
        return seed_client_out((await bookings.with_bookings([client]))[0])

    @get("", summary="All clients (a bare array; X-Total-Count has the total)", response_headers=TOTAL_HEADER)
    async def all_clients(
        self,
        clients: NamedDependency[Clients],
        bookings: NamedDependency[Bookings],
        limit: Limit = MAX_PAGE_SIZE,
        offset: Offset = 0,
    ) -> Response[list[SeedClientOut]]:
        found = await clients.list(Query(limit=limit, offset=offset))
        return await bare_array(found, bookings)

    @get(
        "/available",
        summary="Clients the caller may contact now (a bare array)",
        response_headers=TOTAL_HEADER,
    )
    async def available(
        self,
        request: Request[Principal, Any, Any],
        availability: NamedDependency[Availability],
        bookings: NamedDependency[Bookings],
        limit: Limit = MAX_PAGE_SIZE,
        offset: Offset = 0,
    ) -> Response[list[SeedClientOut]]:
        found = await availability.available_clients(
            owner_of(request.user), Query(limit=limit, offset=offset)
        )
        return await bare_array(found, bookings)

    @get("/{id:str}/availability", summary="Whether the client may be contacted now")
    async def availability(
        self,
        request: Request[Principal, Any, Any],
        availability: NamedDependency[Availability],
        id: FromPath[str],
    ) -> SeedAvailabilityOut:
        return seed_availability_out(
            await availability.of_client(require_id(id, "id"), owner_of(request.user))
        )

    @put("/{id:str}/bookings", guards=[manage_clients], summary="Book the client for future communications")
    async def book(
        self,
        request: Request[Principal, Any, Any],
        bookings: NamedDependency[Bookings],
        id: FromPath[str],
        data: JSONBody[SeedBookingIn],
    ) -> SeedClientOut:
        owner = owner_of(request.user)
        if data.department_id is not None or data.employee_id is not None:
            owner = Owner(department_id=data.department_id, employee_id=data.employee_id)
        status = data.status.name if data.status else None
        before_date = aware(data.before_date)
        return seed_client_out(await bookings.book_client(require_id(id, "id"), before_date, owner, status))


async def bare_array(found: Page[Any], bookings: Bookings) -> Response[list[SeedClientOut]]:
    held = await bookings.with_bookings(found.items)
    return Response([seed_client_out(h) for h in held], headers={TOTAL: str(found.total)})


CONTROLLERS = [SeedClientsController]
