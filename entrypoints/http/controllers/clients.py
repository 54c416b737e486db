"""Routes of projects, clients, client groups, channel blocks and bookings (/api/v1)."""

# No `from __future__ import annotations`: Litestar must see the page Structs built below.

from typing import Annotated, Any

from litestar import Controller, Request, delete, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter

from application.clients import Availability, Bookings, ClientGroups, Clients
from application.queries import Filters
from application.searches import BookingFields, ChannelBlockFields, ClientFields
from domain.access import Principal, PrincipalKind
from domain.availability import Owner
from domain.clients import BookingState, Client
from domain.errors import ValidationFailed
from entrypoints.http.auth import manage_clients
from entrypoints.http.controllers.organisation import given
from entrypoints.http.controllers.telegram import bot_username, telegram_links_of
from entrypoints.http.resource import Listing, Resource, check_sort, list_query, resource_controller, use_case
from entrypoints.http.schemas.clients import (
    AvailabilityOut,
    BookingIn,
    BookingOut,
    BookingPatch,
    ChannelBlockIn,
    ChannelBlockOut,
    ChannelBlockPatch,
    ClientDetailOut,
    ClientGroupIn,
    ClientGroupOut,
    ClientGroupPatch,
    ClientIn,
    ClientOut,
    ClientPatch,
    ExpiredOut,
    MembersIn,
    MembersOut,
    ProjectIn,
    ProjectOut,
    ProjectPatch,
    client_detail_out,
    members_out,
)
from entrypoints.http.schemas.common import page_struct
from entrypoints.http.schemas.telegram import telegram_link_out
from entrypoints.http.schemas.times import answer

CLIENT_SORTABLE = ("id", "last_name", "first_name", "birth_date", "email", "create_time", "update_time")
GROUP_SORTABLE = ("id", "name", "create_time")


def owner_of(user: Principal) -> Owner:
    """Who a caller books and asks as: an employee with their department; a front system as nobody."""
    if user.kind is PrincipalKind.EMPLOYEE:
        return Owner(department_id=user.department_id, employee_id=user.id)
    return Owner()


def client_filters(
    phone: Annotated[str | None, QueryParameter(max_length=64, description="any common notation")] = None,
    email: Annotated[str | None, QueryParameter(max_length=255)] = None,
    project: Annotated[str | None, QueryParameter(max_length=64, description="project id or code")] = None,
    guid: Annotated[str | None, QueryParameter(max_length=255, description="id in the project")] = None,
    group_id: Annotated[int | None, QueryParameter(name="groupId", ge=1)] = None,
    available: Annotated[bool | None, QueryParameter(description="the client's own opt-in flag")] = None,
    tag: Annotated[str | None, QueryParameter(max_length=64)] = None,
) -> Filters:
    f = ClientFields
    return given(
        (f.phone, phone),
        (f.email, email),
        (f.project, project),
        (f.guid, guid),
        (f.group_id, group_id),
        (f.available, available),
        (f.tag, tag),
    )


def channel_block_filters(
    client_id: Annotated[int | None, QueryParameter(name="clientId", ge=1)] = None,
    channel_id: Annotated[int | None, QueryParameter(name="channelId", ge=1)] = None,
    active: Annotated[bool | None, QueryParameter(description="true: in force now; false: run out")] = None,
) -> Filters:
    f = ChannelBlockFields
    return given((f.client_id, client_id), (f.channel_id, channel_id), (f.active, active))


def booking_filters(
    client_id: Annotated[int | None, QueryParameter(name="clientId", ge=1)] = None,
    status: Annotated[BookingState | None, QueryParameter()] = None,
    department_id: Annotated[int | None, QueryParameter(name="departmentId", ge=1)] = None,
    employee_id: Annotated[int | None, QueryParameter(name="employeeId", ge=1)] = None,
    active: Annotated[bool | None, QueryParameter(description="true: holding its client now")] = None,
) -> Filters:
    f = BookingFields
    return given(
        (f.client_id, client_id),
        (f.status, status),
        (f.department_id, department_id),
        (f.employee_id, employee_id),
        (f.active, active),
    )


ProjectsController = resource_controller(
    Resource(
        path="/api/v1/projects",
        tag="projects",
        use_case="projects",
        create=ProjectIn,
        change=ProjectPatch,
        out=ProjectOut,
        write_guards=[manage_clients],
        sortable=("id", "name", "code", "create_time"),
    )
)


async def client_detail(state: State, client: Client) -> ClientDetailOut:
    """The client with its Telegram link state, as the card shows it, when a bot is configured."""
    assert client.id is not None
    bot = bot_username(state)
    if bot is None:  # no bot to link to: the hottest read of the API stays one query
        return client_detail_out(client, None)
    link = await telegram_links_of(state).of_client(client.id)
    return client_detail_out(client, telegram_link_out(link, client.id, bot))


ClientsController = resource_controller(
    Resource(
        path="/api/v1/clients",
        tag="clients",
        use_case="clients",
        create=ClientIn,
        change=ClientPatch,
        out=ClientOut,
        write_guards=[manage_clients],
        filters=client_filters,
        sortable=CLIENT_SORTABLE,
        detail=client_detail,
        detail_out=ClientDetailOut,
    )
)
ClientGroupsController = resource_controller(
    Resource(
        path="/api/v1/client-groups",
        tag="client groups",
        use_case="client_groups",
        create=ClientGroupIn,
        change=ClientGroupPatch,
        out=ClientGroupOut,
        write_guards=[manage_clients],
        sortable=GROUP_SORTABLE,
    )
)
ChannelBlocksController = resource_controller(
    Resource(
        path="/api/v1/channel-blocks",
        tag="channel blocks",
        use_case="channel_blocks",
        create=ChannelBlockIn,
        change=ChannelBlockPatch,
        out=ChannelBlockOut,
        write_guards=[manage_clients],
        filters=channel_block_filters,
        sortable=("id", "client_id", "channel_id", "until", "create_time"),
    )
)
BookingsController = resource_controller(
    Resource(
        path="/api/v1/bookings",
        tag="bookings",
        use_case="bookings",
        create=BookingIn,
        change=BookingPatch,
        out=BookingOut,
        write_guards=[manage_clients],
        filters=booking_filters,
        sortable=("id", "name", "client_id", "before_date", "status", "create_time"),
    )
)

ClientPage = page_struct(ClientOut)
ClientGroupPage = page_struct(ClientGroupOut)


class ClientRelationsController(Controller):
    """A group's members, a client's groups and availability, booking actions."""

    tags = ["clients"]  # noqa: RUF012
    dependencies = {  # noqa: RUF012
        "clients": use_case("clients"),
        "client_groups": use_case("client_groups"),
        "availability": use_case("availability"),
        "bookings": use_case("bookings"),
        "listing": Provide(list_query, sync_to_thread=False),
    }

    @get("/api/v1/client-groups/{key:str}/members", tags=["client groups"], summary="A group's members")
    async def members(
        self, client_groups: NamedDependency[ClientGroups], key: FromPath[str], listing: Listing
    ) -> ClientPage:
        found = await client_groups.members(key, check_sort(listing, CLIENT_SORTABLE))
        return answer(found, ClientPage)

    @post(
        "/api/v1/client-groups/{key:str}/members",
        guards=[manage_clients],
        status_code=200,
        tags=["client groups"],
        summary="Add clients to a group",
    )
    async def add_members(
        self, client_groups: NamedDependency[ClientGroups], key: FromPath[str], data: JSONBody[MembersIn]
    ) -> MembersOut:
        return members_out(await client_groups.add_members(key, data.client_ids))

    @delete(
        "/api/v1/client-groups/{key:str}/members",
        guards=[manage_clients],
        status_code=200,
        tags=["client groups"],
        summary="Remove clients from a group: ids in the body, or in clientIds",
    )
    async def remove_members(
        self,
        client_groups: NamedDependency[ClientGroups],
        key: FromPath[str],
        data: JSONBody[MembersIn | None] = None,
        client_ids: Annotated[
            list[int] | None, QueryParameter(name="clientIds", description="ids to remove (or give a body)")
        ] = None,
    ) -> MembersOut:
        ids = [*(data.client_ids if data else []), *(client_ids or [])]
        if not ids:
            raise ValidationFailed.field("clientIds", "give the client ids to remove")
        return members_out(await client_groups.remove_members(key, ids))

    @get("/api/v1/clients/{key:str}/groups", summary="The groups a client belongs to")
    async def groups(
        self,
        clients: NamedDependency[Clients],
        client_groups: NamedDependency[ClientGroups],
        key: FromPath[str],
        listing: Listing,
    ) -> ClientGroupPage:
        client = await clients.find(key)
        assert client.id is not None
        found = await client_groups.of_client(client.id, check_sort(listing, GROUP_SORTABLE))
        return answer(found, ClientGroupPage)

    @get("/api/v1/clients/{key:str}/availability", summary="Whether the client may be contacted now")
    async def availability(
        self,
        request: Request[Principal, Any, Any],
        clients: NamedDependency[Clients],
        availability: NamedDependency[Availability],
        key: FromPath[str],
        department_id: Annotated[
            int | None, QueryParameter(name="departmentId", ge=1, description="ask for this owner")
        ] = None,
        employee_id: Annotated[
            int | None, QueryParameter(name="employeeId", ge=1, description="ask for this owner")
        ] = None,
    ) -> AvailabilityOut:
        client = await clients.find(key)
        assert client.id is not None
        asking = owner_of(request.user)
        if department_id is not None or employee_id is not None:
            asking = Owner(department_id=department_id, employee_id=employee_id)
        return answer(await availability.of_client(client.id, asking), AvailabilityOut)

    @post(
        "/api/v1/bookings/{key:str}/release",
        guards=[manage_clients],
        status_code=200,
        tags=["bookings"],
        summary="Release a booking before its time",
    )
    async def release(self, bookings: NamedDependency[Bookings], key: FromPath[str]) -> BookingOut:
        return answer(await bookings.release(key), BookingOut)

    @post(
        "/api/v1/bookings/expire-due",
        guards=[manage_clients],
        status_code=200,
        tags=["bookings"],
        summary="Mark Expired every booking whose beforeDate has passed",
    )
    async def expire_due(self, bookings: NamedDependency[Bookings]) -> ExpiredOut:
        return ExpiredOut(expired=await bookings.expire_due())


CONTROLLERS = [
    ProjectsController,
    ClientsController,
    ClientGroupsController,
    ChannelBlocksController,
    BookingsController,
    ClientRelationsController,
]
