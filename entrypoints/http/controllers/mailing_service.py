"""The mailing-service contract (seed 001, see docs/contracts.md): projects and clients, snake_case."""

# No `from __future__ import annotations`: Litestar reads the handlers' annotations at start-up.

from litestar import Controller, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from msgspec import UNSET

from application.clients import Clients, Projects
from application.managed_entities import Patch
from domain.errors import ValidationFailed
from domain.keys import require_id
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
        await projects.create(data.values())
        return OK

    @put("/project/{id:str}/update", status_code=201, summary="Change a project's name (and code)")
    async def update_project(
        self,
        projects: NamedDependency[Projects],
        id: FromPath[str],
        data: JSONBody[Seed001ProjectUpdate],
    ) -> Seed001Ok:
        project_id = require_id(id, "id")
        if data.primary_key is not UNSET and str(data.primary_key).strip() != str(project_id):
            raise ValidationFailed.field("primary key", f"must be the project id of the path ({project_id})")
        changes = {k: v for k, v in data.values().items() if k != "primary_key"}
        await projects.change(project_id, Patch(changes))
        return OK

    @post("/client/create", status_code=201, summary="Add a client to a project, named by its code")
    async def create_client(
        self, clients: NamedDependency[Clients], data: JSONBody[Seed001ClientIn]
    ) -> Seed001Ok:
        values = data.values()
        project = values.pop("project")
        await clients.create_in_project(project, values)
        return OK


CONTROLLERS = [Seed001Controller]
