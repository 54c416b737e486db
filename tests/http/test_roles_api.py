"""/api/v1/roles: named sets of permissions; who holds a role; changes apply at once."""

from __future__ import annotations

import pytest

from tests.http.conftest import basic
from tests.http.organisation_support import (
    COMPANIES,
    EMPLOYEES,
    ROLES,
    SERVICE_ACCOUNTS,
    Client,
    employee,
    error,
    ids,
    invalid_fields,
    role,
    service_account,
)


def test_a_role_lists_its_permissions_with_their_scopes(client: Client) -> None:
    response = client.post(
        ROLES,
        json={
            "name": "Mailer",
            "description": "Sends the newsletters",
            "permissions": [
                {"permission": "send_communications", "communicationTypeIds": [3, 1, 3], "channelIds": [2]},
                {"permission": "read_statistics"},
            ],
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["name"], body["description"]) == ("Mailer", "Sends the newsletters")
    assert body["permissions"] == [
        {"permission": "send_communications", "communicationTypeIds": [1, 3], "channelIds": [2]},
        {"permission": "read_statistics", "communicationTypeIds": [], "channelIds": []},
    ]
    assert client.get(f"{ROLES}/Mailer").json() == body


def test_a_role_without_permissions_is_allowed(client: Client) -> None:
    assert client.post(ROLES, json={"name": "Nothing"}).json()["permissions"] == []


@pytest.mark.parametrize(
    ("permissions", "field"),
    [
        ([{"permission": "fly"}], "permissions[0].permission"),
        ([{"communicationTypeIds": [1]}], "permissions[0].permission"),
        ([{"permission": "read_statistics", "channels": [1]}], "permissions[0].channels"),
        ([{"permission": "send_communications", "channelIds": [0]}], "permissions[0].channelIds[0]"),
        (
            [{"permission": "send_communications", "communicationTypeIds": "all"}],
            "permissions[0].communicationTypeIds",
        ),
        ("manage_system", "permissions"),
    ],
)
def test_permissions_are_checked_to_the_field(client: Client, permissions: object, field: str) -> None:
    assert invalid_fields(client.post(ROLES, json={"name": "Bad", "permissions": permissions})) == [field]


def test_a_role_name_is_unique_and_required(client: Client) -> None:
    role(client, "Operator")
    duplicate = error(client.post(ROLES, json={"name": "Operator"}), 409)
    assert duplicate["message"] == "a role with name 'Operator' already exists"
    assert invalid_fields(client.post(ROLES, json={"name": ""})) == ["name"]
    assert invalid_fields(client.post(ROLES, json={"name": "Long", "description": "d" * 2001})) == [
        "description"
    ]
    other = role(client, "Other")
    error(client.patch(f"{ROLES}/{other['id']}", json={"name": "Operator"}), 409)


def test_the_administrator_role_exists_from_the_start(client: Client) -> None:
    administrator = client.get(f"{ROLES}/Administrator").json()
    assert administrator["permissions"] == [
        {"permission": "manage_system", "communicationTypeIds": [], "channelIds": []}
    ]
    assert client.get(f"{ROLES}/administrator").json()["id"] == administrator["id"]


def test_a_patch_keeps_the_permissions_it_does_not_mention(client: Client) -> None:
    operator = role(client, "Operator", "manage_clients")
    changed = client.patch(f"{ROLES}/Operator", json={"description": "Front desk"}).json()
    assert (changed["description"], changed["permissions"]) == ("Front desk", operator["permissions"])
    cleared = client.put(f"{ROLES}/{operator['id']}", json={"permissions": [], "description": None}).json()
    assert (cleared["name"], cleared["permissions"], cleared["description"]) == ("Operator", [], None)


# -- who holds a role ------------------------------------------------------------------------


def test_a_role_lists_its_employees_by_role_id_or_name(client: Client) -> None:
    operator = role(client, "Operator", "manage_clients")
    other = role(client, "Other")
    holders = [
        employee(client, "a", roleIds=[operator["id"]]),
        employee(client, "b", roleIds=[other["id"], operator["id"]]),
    ]
    employee(client, "c", roleIds=[other["id"]])
    account = service_account(client, "crm", roleIds=[operator["id"]])
    for key in (operator["id"], "Operator", "operator"):
        page = client.get(f"{ROLES}/{key}/employees").json()
        assert [e["login"] for e in page["items"]] == ["a", "b"], key
        assert page["total"] == 2
    assert ids(client.get(f"{EMPLOYEES}?roleId={operator['id']}")) == [h["id"] for h in holders]
    assert ids(client.get(f"{SERVICE_ACCOUNTS}?roleId={operator['id']}")) == [account["id"]]


def test_the_employees_of_a_role_page_and_sort(client: Client) -> None:
    operator = role(client, "Operator")
    for login in ("b", "a", "c"):
        employee(client, login, roleIds=[operator["id"]])
    page = client.get(f"{ROLES}/Operator/employees?sort=-login&limit=2").json()
    assert [e["login"] for e in page["items"]] == ["c", "b"]
    assert (page["total"], page["limit"]) == (3, 2)
    assert (
        error(client.get(f"{ROLES}/Operator/employees?sort=password"), 400)["details"][0]["field"] == "sort"
    )


def test_the_employees_of_an_unknown_role_are_not_found(client: Client) -> None:
    error(client.get(f"{ROLES}/999/employees"), 404)
    error(client.get(f"{ROLES}/Nobody/employees"), 404)


def test_a_role_nobody_holds_has_an_empty_page(client: Client) -> None:
    role(client, "Unused")
    assert client.get(f"{ROLES}/Unused/employees").json()["items"] == []


def test_a_role_held_by_an_employee_or_a_service_account_cannot_be_deleted(client: Client) -> None:
    operator = role(client, "Operator")
    person = employee(client, "a", roleIds=[operator["id"]])
    account = service_account(client, "crm", roleIds=[operator["id"]])
    in_use = error(client.delete(f"{ROLES}/Operator"), 409)
    assert in_use["references"] == {"employees": 1, "service accounts": 1}
    client.patch(f"{EMPLOYEES}/{person['id']}", json={"roleIds": []})
    assert error(client.delete(f"{ROLES}/Operator"), 409)["references"] == {"service accounts": 1}
    client.patch(f"{SERVICE_ACCOUNTS}/{account['id']}", json={"roleIds": []})
    assert client.delete(f"{ROLES}/Operator").status_code == 204


def test_the_administrator_role_cannot_be_deleted_while_admin_holds_it(client: Client) -> None:
    assert error(client.delete(f"{ROLES}/Administrator"), 409)["references"] == {"employees": 1}


# -- changes apply at once -------------------------------------------------------------------


def test_taking_a_permission_from_a_role_applies_to_logged_in_holders_at_once(client: Client) -> None:
    boss = role(client, "Boss", "manage_system")
    employee(client, "boss", roleIds=[boss["id"]])
    account = service_account(client, "bot", roleIds=[boss["id"]])
    as_boss, as_bot = basic("boss", "secret1"), basic("bot", "token1")
    assert client.post(COMPANIES, json={"name": "A", "code": "a"}, headers=as_boss).status_code == 201
    assert client.post(COMPANIES, json={"name": "B", "code": "b"}, headers=as_bot).status_code == 201
    client.patch(f"{ROLES}/Boss", json={"permissions": [{"permission": "read_statistics"}]})
    for who in (as_boss, as_bot):
        denied = error(client.post(COMPANIES, json={"name": "C", "code": "c"}, headers=who), 403)
        assert denied["permission"] == "manage_system"
    assert client.get(f"{SERVICE_ACCOUNTS}/{account['id']}", headers=as_bot).status_code == 200


def test_granting_a_permission_to_a_role_applies_at_once(client: Client) -> None:
    clerk = role(client, "Clerk", "read_statistics")
    employee(client, "clerk", roleIds=[clerk["id"]])
    as_clerk = basic("clerk", "secret1")
    error(client.post(COMPANIES, json={"name": "A", "code": "a"}, headers=as_clerk), 403)
    client.put(f"{ROLES}/{clerk['id']}", json={"permissions": [{"permission": "manage_system"}]})
    assert client.post(COMPANIES, json={"name": "A", "code": "a"}, headers=as_clerk).status_code == 201


def test_taking_a_role_from_an_employee_applies_at_once(client: Client) -> None:
    boss = role(client, "Boss", "manage_system")
    person = employee(client, "boss", roleIds=[boss["id"]])
    as_boss = basic("boss", "secret1")
    assert client.post(COMPANIES, json={"name": "A", "code": "a"}, headers=as_boss).status_code == 201
    client.patch(f"{EMPLOYEES}/{person['id']}", json={"roleIds": []})
    error(client.post(COMPANIES, json={"name": "B", "code": "b"}, headers=as_boss), 403)
