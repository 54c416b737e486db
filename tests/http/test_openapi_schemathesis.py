"""Schemathesis over the whole OpenAPI document: no 5xx, and every answer as the document says.

The app is built once, on in-memory storage, and its document is read when this module is
collected, so every operation that exists at that moment is tested: new routes join without
touching this file. Each operation gets a bounded, reproducible run (derandomized Hypothesis,
fixed seed) of schemathesis' phases: the document's examples, coverage of boundaries and missing
or wrong parts, then fuzzing. Every case is sent as Admin and starts from the same small world
(the defaults, plus a company, a department, a role, an employee and a service account), so a
case that deletes or changes something cannot change what a later case sees.

Checks left out, and why:
- ``positive_data_acceptance``: schema-valid input may still break a business rule that JSON
  Schema cannot express (an id that names nothing, opening after closing); the API answers 400.
- ``negative_data_rejection``: Litestar converts parameters and bodies leniently (``"5"`` for 5,
  ``0`` for false), so some schema-invalid input is accepted on purpose.
- ``allow_header_conformance``: Litestar's automatic OPTIONS answer lists only the methods of
  the first handler registered on a path (a framework bug); OPTIONS is not in the document.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import schemathesis
from dependency_injector import providers
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.python import asgi

from adapters.security import Argon2PasswordHasher
from entrypoints.container import build_container
from entrypoints.http.app import create_app
from entrypoints.settings import Settings
from tests.http.conftest import ADMIN

pytestmark = pytest.mark.schemathesis

EXAMPLES_PER_OPERATION = 20

SKIPPED_CHECKS = ("positive_data_acceptance", "negative_data_rejection", "allow_header_conformance")


def build_app() -> tuple[Any, Any]:
    # Probes send wrong credentials on purpose: the login throttle must not answer them with 429.
    app_settings = Settings(
        storage="memory",
        login_failures_per_minute=1_000_000_000,
        login_failures_per_source_per_minute=1_000_000_000,
        login_failures_per_login_per_minute=1_000_000_000,
    )
    container = build_container(app_settings)
    container.core.hasher.override(
        providers.Object(Argon2PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    )
    return create_app(container, app_settings), container


def seed(app: Any) -> None:
    """A little of everything the organisation API manages, so that ids like 1 and 2 exist."""
    with asgi.get_client(app) as client:
        for path, body in [
            ("/api/v1/companies", {"name": "Acme", "code": "acme"}),
            ("/api/v1/departments", {"companyId": 1, "name": "Sales", "code": "sales"}),
            (
                "/api/v1/roles",
                {
                    "name": "Operator",
                    "permissions": [
                        {"permission": "manage_clients"},
                        {"permission": "send_communications", "communicationTypeIds": [1], "channelIds": [1]},
                    ],
                },
            ),
            (
                "/api/v1/employees",
                {
                    "login": "operator",
                    "password": "operator",
                    "firstName": "Olga",
                    "lastName": "Operator",
                    "departmentId": 1,
                    "roleIds": [2],
                },
            ),
            (
                "/api/v1/service-accounts",
                {"name": "CRM", "login": "crm", "password": "crm-token", "roleIds": [2]},
            ),
        ]:
            response = client.post(path, json=body, headers=ADMIN)
            assert response.status_code == 201, f"seeding {path}: {response.text}"


class StoreSnapshot:
    """The in-memory store as it is now, to put back before every case.

    A unit of work copies what it reads and commits by replacing the store's attributes, so the
    objects captured here are never changed afterwards: keeping references is a full snapshot.
    """

    def __init__(self, store: Any) -> None:
        self._store = store
        self._saved = {k: v for k, v in vars(store).items() if not isinstance(v, asyncio.Lock)}

    def restore(self) -> None:
        vars(self._store).update(self._saved)


@schemathesis.hook
def before_load_schema(context: Any, raw_schema: dict[str, Any]) -> None:
    # Litestar lists the several paths of one handler in set order, which differs from process to
    # process; pytest-xdist needs every worker to collect the same tests in the same order.
    raw_schema["paths"] = dict(sorted(raw_schema["paths"].items()))


APP, CONTAINER = build_app()
schema = schemathesis.openapi.from_asgi(
    "/openapi.json",
    APP,
    config=schemathesis.Config.from_dict(
        {
            "seed": 20260302,
            "headers": ADMIN,
            "checks": {name: {"enabled": False} for name in SKIPPED_CHECKS},
        }
    ),
)
seed(APP)
WORLD = StoreSnapshot(CONTAINER.storage.uow_factory().store)

# Ids and names that exist in that world: random strings alone would only ever meet 404.
KNOWN_IDS = [1, 2, 3]
KNOWN_KEYS = ["1", "2", "3", "acme", "sales", "Operator", "operator", "crm", "Admin", "sms", "mass"]


def known(params: Any) -> st.SearchStrategy[Any]:
    if not isinstance(params, dict) or not params:
        return st.just(params)  # no path parameters, or a coverage-phase value: leave it be
    return st.fixed_dictionaries(
        {k: st.sampled_from(KNOWN_IDS if isinstance(v, int) else KNOWN_KEYS) for k, v in params.items()}
    )


@schema.hook
def before_generate_path_parameters(context: Any, strategy: st.SearchStrategy[Any]) -> Any:
    return st.one_of(strategy.flatmap(known), strategy)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # Under pytest 9 a schemathesis item is named after its function alone, so every operation
    # would share one node id, and xdist (`--dist loadgroup`) would run just one of them. A
    # parameter makes schemathesis name each item after its operation: `...[GET /health][memory]`.
    if "storage" in metafunc.fixturenames:
        metafunc.parametrize("storage", ["memory"])


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
def test_every_operation_answers_as_documented(case: Any, storage: str) -> None:
    WORLD.restore()
    case.call_and_validate(headers=ADMIN)


# -- what the document promises, which the run above holds the app to ------------------------


def openapi_document() -> dict[str, Any]:
    with asgi.get_client(APP) as client:
        document: dict[str, Any] = client.get("/openapi.json").json()
    return document


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in ("get", "put", "post", "patch", "delete")
    ]


def test_every_authenticated_operation_documents_the_error_envelope() -> None:
    document = openapi_document()
    envelope = {"$ref": "#/components/schemas/ErrorEnvelope"}
    for path, method, operation in operations(document):
        if operation.get("security") == [{}]:
            continue
        expected = {"400", "401", "403", "404", "429"} | ({"409"} if method != "get" else set())
        documented = operation["responses"]
        assert expected <= set(documented), (method, path)
        for code in expected:
            assert documented[code]["content"]["application/json"]["schema"] == envelope, (method, path, code)
    body = document["components"]["schemas"]["ErrorBody"]
    assert set(body["required"]) == {"message", "status"}
    assert {"details", "references", "permission"} <= set(body["properties"])


def test_public_operations_say_they_need_no_credentials() -> None:
    document = openapi_document()
    assert document["security"] == [{"basicAuth": []}]
    assert document["paths"]["/health"]["get"]["security"] == [{}]
    assert "401" not in document["paths"]["/health"]["get"]["responses"]


def test_request_bodies_refuse_unknown_properties_in_the_document() -> None:
    schemas = openapi_document()["components"]["schemas"]
    for name in ("CompanyIn", "CompanyPatch", "DepartmentIn", "RoleIn", "GrantIo", "EmployeePatch"):
        assert schemas[name]["additionalProperties"] is False, name
    assert "additionalProperties" not in schemas["CompanyOut"]
