"""The mailing-service contract (seed 001, see docs/contracts.md): projects and clients, snake_case."""

# No `from __future__ import annotations`: Litestar reads the handlers' annotations at start-up.

from litestar import Controller, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from msgspec import UNSET

from application.clients import Clients, Projects
from domain.errors import ValidationFailed
from entrypoints.http.auth import manage_clients
from entrypoints.http.resource import use_case
from entrypoints.http.schemas.mailing_service import (
    Seed001ClientIn,
    Seed001Ok,
    Seed001ProjectIn,
    Seed001ProjectUpdate,
)

OK = Seed001Ok()


class Seed001Controller(Controller):
    tags = ["seed 001"]  # noqa: RUF012
    guards = [manage_clients]  # noqa: RUF012
    dependencies = {"projects": use_case("projects"), "clients": use_case("clients")}  # noqa: RUF012

    @post("/project/create", status_code=201, summary="Add a project")
    async def create_project(
        self, projects: NamedDependency[Projects], data: JSONBody[Seed001ProjectIn]
    ) -> Seed001Ok:
        await projects.create(data.as_command(projects.command))
        return OK

    @put("/project/{id:int}/update", status_code=201, summary="Change a project's name (and code)")
    async def update_project(
        self,
        projects: NamedDependency[Projects],
        id: FromPath[int],
        data: JSONBody[Seed001ProjectUpdate],
    ) -> Seed001Ok:
        if data.primary_key is not UNSET and str(data.primary_key).strip() != str(id):
            raise ValidationFailed.field("primary key", f"must be the project id of the path ({id})")
        await projects.change(id, data.patch(without=("primary_key",)))
        return OK

    @post("/client/create", status_code=201, summary="Add a client to a project, named by its code")
    async def create_client(
        self, clients: NamedDependency[Clients], data: JSONBody[Seed001ClientIn]
    ) -> Seed001Ok:
        command = data.as_command(clients.command, without=("project",))
        await clients.create_in_project(data.project, command)
        return OK


CONTROLLERS = [Seed001Controller]
