"""What every organisation resource does alike: auth, permissions, input checks, 404s, pages, sorting.

Each rule runs against companies, departments, roles, employees and service accounts; the
resource files (test_companies_api.py, ...) cover what is particular to each. The last section
repeats the essentials on SQLite and PostgreSQL, with values those databases cannot hold.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException

from domain.access import Grant, Permission, Principal, PrincipalKind
from domain.errors import PermissionDenied
from entrypoints.http.auth import manage_system
from tests.http.conftest import basic, user_with
from tests.http.organisation_support import (
    COMPANIES,
    DEPARTMENTS,
    EMPLOYEES,
    ROLES,
    SERVICE_ACCOUNTS,
    Client,
    company,
    error,
    ids,
    invalid_fields,
)


@dataclass(frozen=True)
class Kind:
    path: str
    body: Callable[[Client, str], dict[str, Any]]
    """A valid new item whose key (code, name or login) is the given text; arranges what it needs."""
    key: str
    """The field that names an item (get by name)."""
    required: tuple[str, ...]
    wrong_type: tuple[str, Any]
    change: dict[str, Any]
    sortable: tuple[str, ...] = ("id", "name")
    extra: dict[str, Any] = field(default_factory=dict)


def company_body(client: Client, key: str) -> dict[str, Any]:
    return {"name": f"Company {key}", "code": key}


def department_body(client: Client, key: str) -> dict[str, Any]:
    found = client.get(f"{COMPANIES}/parent-co")
    owner = found.json() if found.status_code == 200 else company(client, "parent-co")
    return {"companyId": owner["id"], "name": f"Department {key}", "code": key}


def role_body(client: Client, key: str) -> dict[str, Any]:
    return {"name": key, "permissions": [{"permission": "read_statistics"}]}


def employee_body(client: Client, key: str) -> dict[str, Any]:
    return {"login": key, "password": "secret1", "firstName": "Ivan", "lastName": "Ivanov"}


def account_body(client: Client, key: str) -> dict[str, Any]:
    return {"name": f"System {key}", "login": key, "password": "token1"}


KINDS = {
    "companies": Kind(
        COMPANIES, company_body, "code", ("name", "code"), ("code", 5), {"name": "Renamed"}, ("code",)
    ),
    "departments": Kind(
        DEPARTMENTS,
        department_body,
        "code",
        ("companyId", "name", "code"),
        ("companyId", "one"),
        {"name": "Renamed"},
        ("code", "companyId"),
    ),
    "roles": Kind(ROLES, role_body, "name", ("name",), ("permissions", "all"), {"description": "Changed"}),
    "employees": Kind(
        EMPLOYEES,
        employee_body,
        "login",
        ("login", "password", "firstName", "lastName"),
        ("active", "yes"),
        {"lastName": "Renamed"},
        ("login", "lastName", "firstName", "departmentId", "createTime"),
    ),
    "service accounts": Kind(
        SERVICE_ACCOUNTS,
        account_body,
        "login",
        ("name", "login", "password"),
        ("roleIds", "1"),
        {"name": "Renamed"},
        ("login",),
    ),
}

each_kind = pytest.mark.parametrize("kind", list(KINDS.values()), ids=list(KINDS))


def made(client: Client, kind: Kind, key: str) -> dict[str, Any]:
    response = client.post(kind.path, json=kind.body(client, key))
    assert response.status_code == 201, response.text
    item: dict[str, Any] = response.json()
    return item


# -- authentication and permissions ----------------------------------------------------------


@each_kind
def test_every_route_refuses_a_caller_without_credentials(client: Client, kind: Kind) -> None:
    item = made(client, kind, "item1")
    one = f"{kind.path}/{item['id']}"
    client.headers.pop("Authorization")
    for method, path, body in [
        ("GET", kind.path, None),
        ("GET", one, None),
        ("POST", kind.path, kind.body(client, "item2") if kind.path != DEPARTMENTS else {}),
        ("PUT", one, kind.change),
        ("PATCH", one, kind.change),
        ("DELETE", one, None),
    ]:
        response = client.request(method, path, json=body)
        assert error(response, 401)["message"] == "Basic Auth credentials are required", (method, path)
        assert response.headers["www-authenticate"].startswith("Basic")


@each_kind
def test_a_wrong_password_is_refused_on_every_route(client: Client, kind: Kind) -> None:
    item = made(client, kind, "item1")
    wrong = basic("Admin", "not-admin")
    for method, path in [("GET", kind.path), ("GET", f"{kind.path}/{item['id']}")]:
        assert (
            error(client.request(method, path, headers=wrong), 401)["message"] == "invalid login or password"
        )
    assert error(client.post(kind.path, json=kind.change, headers=wrong), 401)


@each_kind
def test_changes_need_manage_system_and_the_403_names_it(client: Client, kind: Kind) -> None:
    item = made(client, kind, "item1")
    one = f"{kind.path}/{item['id']}"
    manager = user_with(client, "manager", "manage_clients", "read_statistics")
    for method, path, body in [
        ("POST", kind.path, kind.body(client, "item2")),
        ("PUT", one, kind.change),
        ("PATCH", one, kind.change),
        ("DELETE", one, None),
    ]:
        denied = error(client.request(method, path, json=body, headers=manager), 403)
        assert denied["permission"] == "manage_system", (method, path)
        assert "manage_system" in denied["message"]
    assert client.get(one).json() == item, "nothing changed"


@each_kind
def test_reading_needs_only_a_login(client: Client, kind: Kind) -> None:
    item = made(client, kind, "item1")
    nobody = user_with(client, "nobody")
    assert client.get(kind.path, headers=nobody).status_code == 200
    assert client.get(f"{kind.path}/{item['id']}", headers=nobody).json() == item


async def guarded(method: str, user: Principal | None) -> None:
    scope: dict[str, Any] = {"type": "http", "method": method, "path": "/", "headers": []}
    if user is not None:
        scope["user"] = user
    outcome = manage_system(ASGIConnection(scope), None)
    if inspect.isawaitable(outcome):
        await outcome


async def test_the_manage_system_guard_refuses_anonymous_calls_and_lets_preflights_through() -> None:
    # A guard on a whole controller also guards Litestar's automatic OPTIONS answer, which the
    # authentication middleware lets through unauthenticated: it must not fail there with a 500.
    await guarded("OPTIONS", None)
    with pytest.raises(NotAuthorizedException):
        await guarded("POST", None)
    clerk = Principal(kind=PrincipalKind.EMPLOYEE, id=2, login="clerk", grants=())
    with pytest.raises(PermissionDenied):
        await guarded("POST", clerk)
    boss = Principal(
        kind=PrincipalKind.EMPLOYEE, id=3, login="boss", grants=(Grant(permission=Permission.MANAGE_SYSTEM),)
    )
    await guarded("DELETE", boss)


# -- input checks ----------------------------------------------------------------------------


@each_kind
def test_unknown_fields_are_refused_by_name(client: Client, kind: Kind) -> None:
    body = {**kind.body(client, "item1"), "colour": "red"}
    assert invalid_fields(client.post(kind.path, json=body)) == ["colour"]
    item = made(client, kind, "item2")
    for method in ("PUT", "PATCH"):
        response = client.request(method, f"{kind.path}/{item['id']}", json={**kind.change, "ownerId": 3})
        assert invalid_fields(response) == ["ownerId"]
    assert client.get(f"{kind.path}/{item['id']}").json() == item


@each_kind
def test_server_fields_cannot_be_sent(client: Client, kind: Kind) -> None:
    for server_field, value in [("id", 99), ("createTime", "2020-01-01T00:00:00Z")]:
        body = {**kind.body(client, "item1"), server_field: value}
        assert invalid_fields(client.post(kind.path, json=body)) == [server_field]


@each_kind
def test_a_wrong_type_is_refused_naming_the_field(client: Client, kind: Kind) -> None:
    name, value = kind.wrong_type
    body = {**kind.body(client, "item1"), name: value}
    response = client.post(kind.path, json=body)
    assert invalid_fields(response) == [name]
    assert error(response, 400)["message"] == "validation failed"


@each_kind
def test_each_missing_required_field_is_named(client: Client, kind: Kind) -> None:
    complete = kind.body(client, "item1")
    for missing in kind.required:
        body = {k: v for k, v in complete.items() if k != missing}
        details = error(client.post(kind.path, json=body), 400)["details"]
        assert details == [{"field": missing, "message": f"Object missing required field `{missing}`"}]


@each_kind
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "a JSON request body is required"),
        (b"{not json", "JSON is malformed"),
        (b"[]", "Expected `object`, got `array`"),
        (b"null", "Expected `object`, got `null`"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_refused(
    client: Client, kind: Kind, content: bytes, message: str
) -> None:
    response = client.post(kind.path, content=content, headers={"Content-Type": "application/json"})
    refused = error(response, 400)
    assert message in refused["message"] or message in str(refused.get("details"))


@each_kind
def test_nothing_is_created_by_a_refused_request(client: Client, kind: Kind) -> None:
    before = client.get(kind.path).json()["total"]
    client.post(kind.path, json={**kind.body(client, "item1"), "unknown": 1})
    assert client.get(kind.path).json()["total"] == before


# -- unknown ids and names -------------------------------------------------------------------


@each_kind
@pytest.mark.parametrize("key", ["999", "no-such-thing", "²"])
def test_an_unknown_id_or_name_answers_404_on_every_route(client: Client, kind: Kind, key: str) -> None:
    made(client, kind, "item1")
    for method, body in [("GET", None), ("PUT", kind.change), ("PATCH", kind.change), ("DELETE", None)]:
        missing = error(client.request(method, f"{kind.path}/{key}", json=body), 404)
        assert "not found" in missing["message"], (method, key)


@each_kind
def test_an_id_beyond_64_bits_is_a_400_naming_the_key_on_every_route(client: Client, kind: Kind) -> None:
    made(client, kind, "item1")
    for method, body in [("GET", None), ("PUT", kind.change), ("PATCH", kind.change), ("DELETE", None)]:
        refused = error(client.request(method, f"{kind.path}/99999999999999999999999", json=body), 400)
        assert refused["details"][0]["field"] == "key", method


@each_kind
def test_an_item_is_found_by_id_and_by_its_name(client: Client, kind: Kind) -> None:
    item = made(client, kind, "item-one")
    assert client.get(f"{kind.path}/{item['id']}").json() == item
    assert client.get(f"{kind.path}/{item[kind.key]}").json() == item


@each_kind
def test_a_deleted_item_is_gone(client: Client, kind: Kind) -> None:
    item = made(client, kind, "item1")
    deleted = client.delete(f"{kind.path}/{item[kind.key]}")
    assert deleted.status_code == 204 and deleted.content == b""
    error(client.get(f"{kind.path}/{item['id']}"), 404)
    error(client.delete(f"{kind.path}/{item['id']}"), 404)


# -- pages, order and search -----------------------------------------------------------------


@each_kind
def test_pages_have_bounds(client: Client, kind: Kind) -> None:
    for query, name in [("limit=0", "limit"), ("limit=1001", "limit"), ("offset=-1", "offset")]:
        assert invalid_fields(client.get(f"{kind.path}?{query}")) == [name]
    assert invalid_fields(client.get(f"{kind.path}?limit=many")) == ["limit"]
    assert client.get(f"{kind.path}?limit=1000").json()["limit"] == 1000


@each_kind
def test_pages_split_the_whole_list_and_count_it(client: Client, kind: Kind) -> None:
    before = client.get(f"{kind.path}?limit=1000").json()["total"]
    made_ids = [made(client, kind, f"item{i}")["id"] for i in range(5)]
    everything = ids(client.get(f"{kind.path}?limit=1000"))
    assert everything[-5:] == made_ids
    first = client.get(f"{kind.path}?limit=2&offset={before}").json()
    second = client.get(f"{kind.path}?limit=2&offset={before + 2}").json()
    assert [i["id"] for i in first["items"] + second["items"]] == made_ids[:4]
    assert (first["total"], first["limit"], first["offset"]) == (before + 5, 2, before)
    beyond = client.get(f"{kind.path}?offset=99999").json()
    assert (beyond["items"], beyond["total"]) == ([], before + 5)


@each_kind
def test_sorting_by_an_unknown_field_is_refused_listing_the_known_ones(client: Client, kind: Kind) -> None:
    refused = error(client.get(f"{kind.path}?sort=passwordHash"), 400)
    assert refused["details"][0]["field"] == "sort"
    assert "passwordHash" in refused["message"]
    for known in kind.sortable:
        assert known in refused["message"]
        assert client.get(f"{kind.path}?sort={known}").status_code == 200
        assert client.get(f"{kind.path}?sort=-{known}").status_code == 200


@each_kind
def test_sorting_descending_reverses_the_order(client: Client, kind: Kind) -> None:
    for key in ("item-b", "item-c", "item-a"):
        made(client, kind, key)
    ascending = ids(client.get(f"{kind.path}?sort=id"))
    assert ascending == sorted(ascending)
    assert ids(client.get(f"{kind.path}?sort=-id")) == ascending[::-1]


@each_kind
def test_the_free_text_search_ignores_case(client: Client, kind: Kind) -> None:
    wanted = made(client, kind, "needle-42")
    made(client, kind, "haystack")
    assert ids(client.get(f"{kind.path}?q=NEEDLE")) == [wanted["id"]]
    assert ids(client.get(f"{kind.path}?q=nothing-like-this")) == []


# -- the same on real databases --------------------------------------------------------------


def test_create_change_and_delete_on_a_real_database(sql_client: Client) -> None:
    acme = company(sql_client, "acme")
    sales = sql_client.post(DEPARTMENTS, json={"companyId": acme["id"], "name": "Sales", "code": "sales"})
    assert sales.status_code == 201
    changed = sql_client.patch(f"{COMPANIES}/acme", json={"name": "Acme Ltd"})
    assert changed.json()["name"] == "Acme Ltd" and changed.json()["code"] == "acme"
    in_use = error(sql_client.delete(f"{COMPANIES}/acme"), 409)
    assert in_use["references"] == {"departments": 1}
    assert error(sql_client.post(COMPANIES, json={"name": "Other", "code": "acme"}), 409)
    assert sql_client.delete(f"{DEPARTMENTS}/{sales.json()['id']}").status_code == 204
    assert sql_client.delete(f"{COMPANIES}/acme").status_code == 204


def test_ids_beyond_what_the_database_holds_are_simply_not_found(sql_client: Client) -> None:
    for key in ("2147483648", "9223372036854775807"):
        error(sql_client.get(f"{COMPANIES}/{key}"), 404)
        error(sql_client.delete(f"{ROLES}/{key}"), 404)
    for key in ("9223372036854775808", "99999999999999999999999"):  # no id can be this large
        error(sql_client.get(f"{COMPANIES}/{key}"), 400)
        error(sql_client.delete(f"{ROLES}/{key}"), 400)
    for key in ("2147483648", "9223372036854775808", "99999999999999999999999"):
        assert sql_client.get(f"{DEPARTMENTS}?companyId={key}").json()["items"] == []
        assert sql_client.get(f"{EMPLOYEES}?roleId={key}").json()["items"] == []


def test_references_beyond_what_the_database_holds_name_the_field(sql_client: Client) -> None:
    response = sql_client.post(
        EMPLOYEES,
        json={
            "login": "big",
            "password": "secret1",
            "firstName": "B",
            "lastName": "B",
            "departmentId": 2147483648,
            "roleIds": [9223372036854775808],
        },
    )
    assert sorted(invalid_fields(response)) == ["departmentId", "roleIds"]


def test_an_offset_beyond_what_the_database_counts_is_an_empty_page(sql_client: Client) -> None:
    company(sql_client, "acme")
    page = sql_client.get(f"{COMPANIES}?offset=99999999999999999999").json()
    assert (page["items"], page["total"]) == ([], 1)


def test_text_the_database_cannot_store_is_refused_by_field(sql_client: Client) -> None:
    assert invalid_fields(sql_client.post(COMPANIES, json={"name": "A\u0000B", "code": "a"})) == ["name"]
    long_text = sql_client.post(
        EMPLOYEES,
        json={
            "login": "long",
            "password": "secret1",
            "firstName": "L",
            "lastName": "L",
            "middleName": "m" * 256,
            "phone": "1" * 33,
        },
    )
    assert error(long_text, 400)["details"] == [
        {"field": "middleName", "message": "must be at most 255 characters"},
        {"field": "phone", "message": "must be at most 32 characters"},
    ]
    assert sql_client.get(EMPLOYEES).json()["total"] == 1, "only Admin"


def test_searching_for_text_the_database_cannot_store_finds_nothing(sql_client: Client) -> None:
    company(sql_client, "acme")
    assert sql_client.get(f"{COMPANIES}?q=ac%00").json()["items"] == []
    error(sql_client.get(f"{COMPANIES}/ac%00"), 404)
