"""The mailing-service contract (seed 001, docs/contracts.md): projects, clients, mailings; snake_case."""

# No `from __future__ import annotations`: Litestar reads the handlers' annotations at start-up.

from typing import Any

from litestar import Controller, Request, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from msgspec import UNSET

from application.clients import Clients, Projects
from application.mailings.mailings import Mailings
from domain.access import Permission, Principal
from domain.errors import ValidationFailed
from domain.keys import require_id
from entrypoints.http.auth import manage_clients, requires
from entrypoints.http.resource import use_case
from entrypoints.http.schemas.mailing_service import (
    Seed001ClientIn,
    Seed001Ok,
    Seed001ProjectIn,
    Seed001ProjectUpdate,
)
from entrypoints.http.schemas.mailings import Seed001MailingIn

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
        await projects.change(project_id, data.as_command(projects.patch, without=("primary_key",)))
        return OK

    @post("/client/create", status_code=201, summary="Add a client to a project, named by its code")
    async def create_client(
        self, clients: NamedDependency[Clients], data: JSONBody[Seed001ClientIn]
    ) -> Seed001Ok:
        command = data.as_command(clients.command, without=("project",))
        await clients.create_in_project(data.project, command)
        return OK


class Seed001MailingController(Controller):
    """``POST /mailing/create``: a mailing of a project's clients with a template, at ``event``."""

    tags = ["seed 001"]  # noqa: RUF012
    guards = [requires(Permission.SEND_COMMUNICATIONS)]  # noqa: RUF012
    dependencies = {"mailings": use_case("mailings")}  # noqa: RUF012

    @post(
        "/mailing/create",
        status_code=201,
        summary="Create a mailing (рассылка) of a project's clients",
        description=(
            "status 1 starts it (it runs once at event: a date is midnight UTC), 0 keeps it a draft. "
            "project_id is the project's id, or its code as a string; template_id a document id; "
            "channels channel ids in priority order. The type is the default mass-communication type, "
            "the department the caller's. Steer and watch it under /api/v1/mailings."
        ),
    )
    async def create_mailing(
        self,
        request: Request[Principal, Any, Any],
        mailings: NamedDependency[Mailings],
        data: JSONBody[Seed001MailingIn],
    ) -> Seed001Ok:
        await mailings.create(request.user, data.to_command())
        return OK


CONTROLLERS = [Seed001Controller, Seed001MailingController]
