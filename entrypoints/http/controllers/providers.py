"""/api/v1/providers: providers per channel kind (CRUD, test message) and their circuits."""

# No `from __future__ import annotations`: Litestar must see the handlers' annotation objects.

from typing import Any

from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody

from application.providers.catalog import Providers
from entrypoints.http.auth import manage_system
from entrypoints.http.resource import Resource, resource_controller
from entrypoints.http.schemas.providers import (
    CircuitsOut,
    ProviderIn,
    ProviderOut,
    ProviderPatch,
    TestIn,
    TestOut,
    circuits_out,
    provider_out,
    test_out,
)


def _catalog(state: State) -> Any:
    return state.container.delivery.catalog()


CATALOG = Provide(_catalog, sync_to_thread=False)

ProvidersResource = resource_controller(
    Resource(
        path="/api/v1/providers",
        tag="providers",
        use_case="providers",
        use_case_of=_catalog,
        create=ProviderIn,
        change=ProviderPatch,
        out=ProviderOut,
        to_out=provider_out,
        write_guards=[manage_system],
        sortable=("id", "name", "priority", "kind", "channel_kind"),
    )
)
# The catalog lives with the providers' adapters, and even reading a configuration needs the right.
ProvidersResource.guards = [manage_system]  # type: ignore[misc]


class ProviderActionsController(Controller):
    tags = ["providers"]  # noqa: RUF012
    guards = [manage_system]  # noqa: RUF012
    dependencies = {"catalog": CATALOG}  # noqa: RUF012

    @post(
        "/api/v1/providers/{key:str}/test",
        status_code=200,
        summary="Send a test message through this provider alone to the address given",
    )
    async def test_provider(
        self, catalog: NamedDependency[Providers], key: FromPath[str], data: JSONBody[TestIn]
    ) -> TestOut:
        provider = await catalog.find(key)
        return test_out(await catalog.test(provider.id or 0, data.to_command()))

    @get(
        "/api/v1/provider-circuits",
        summary="Every provider at work (configured here or by the environment): circuit and counts",
    )
    async def provider_circuits(self, catalog: NamedDependency[Providers]) -> CircuitsOut:
        return circuits_out(catalog.states())


CONTROLLERS = [ProvidersResource, ProviderActionsController]
