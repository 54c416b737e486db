"""/api/v1/employees: people who log in; logins unique among all users; changes apply at once."""

from __future__ import annotations

from typing import Any

import pytest

from tests.http.conftest import basic
from tests.http.organisation_support import (
    EMPLOYEES,
    Client,
    company,
    department,
    employee,
    error,
    ids,
    invalid_fields,
    role,
    service_account,
)

FIELDS = {
    "id",
    "login",
    "firstName",
    "lastName",
    "middleName",
    "departmentId",
    "email",
    "phone",
    "extension",
    "roleIds",
    "active",
    "createTime",
    "updateTime",
}


def can_log_in(client: Client, login: str, password: str) -> bool:
    status: int = client.get(EMPLOYEES, headers=basic(login, password)).status_code
    assert status in (200, 401), status
    return status == 200


def test_a_new_employee_comes_back_without_any_password(client: Client) -> None:
    sales = department(client, company(client)["id"])
    operator = role(client, "Operator")
    response = client.post(
        EMPLOYEES,
        json={
            "login": "ivanov",
            "password": "secret1",
            "firstName": "Ivan",
            "lastName": "Ivanov",
            "middleName": "Petrovich",
            "departmentId": sales["id"],
            "email": "ivan@example.com",
            "phone": "+74951234567",
            "roleIds": [operator["id"]],
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == FIELDS
    assert (body["login"], body["departmentId"], body["roleIds"], body["active"]) == (
        "ivanov",
        sales["id"],
        [operator["id"]],
        True,
    )
    assert "secret1" not in response.text
    assert client.get(f"{EMPLOYEES}/ivanov").json() == body


def test_optional_fields_default_to_nothing(client: Client) -> None:
    body = employee(client, "plain")
    assert (body["middleName"], body["departmentId"], body["email"], body["phone"], body["roleIds"]) == (
        None,
        None,
        None,
        None,
        [],
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"password": "1234"}, "password"),
        ({"login": "ivan ivanov"}, "login"),
        ({"login": "ivan:ivanov"}, "login"),
        ({"login": ""}, "login"),
        ({"login": "l" * 129}, "login"),
        ({"firstName": ""}, "firstName"),
        ({"lastName": " "}, "lastName"),
        ({"email": "not-an-email"}, "email"),
        ({"roleIds": [0]}, "roleIds[0]"),
        ({"roleIds": "1"}, "roleIds"),
        ({"departmentId": "sales"}, "departmentId"),
        ({"active": "sometimes"}, "active"),
    ],
)
def test_bad_values_are_refused_naming_the_field(client: Client, changes: dict[str, Any], field: str) -> None:
    body = {"login": "ivanov", "password": "secret1", "firstName": "Ivan", "lastName": "Ivanov", **changes}
    assert invalid_fields(client.post(EMPLOYEES, json=body)) == [field]


def test_an_employee_must_name_a_department_and_roles_that_exist(client: Client) -> None:
    operator = role(client, "Operator")
    body = {"login": "x", "password": "secret1", "firstName": "X", "lastName": "X"}
    dangling = error(
        client.post(EMPLOYEES, json={**body, "departmentId": 77, "roleIds": [operator["id"], 9, 8]}), 400
    )
    assert dangling["details"] == [
        {"field": "roleIds", "message": "no role with id 8, 9"},
        {"field": "departmentId", "message": "no department with id 77"},
    ]
    person = employee(client, "y")
    assert invalid_fields(client.patch(f"{EMPLOYEES}/{person['id']}", json={"roleIds": [55]})) == ["roleIds"]
    assert invalid_fields(client.put(f"{EMPLOYEES}/{person['id']}", json={"departmentId": 55})) == [
        "departmentId"
    ]


def test_a_login_is_unique_among_employees_and_service_accounts(client: Client) -> None:
    employee(client, "ivanov")
    service_account(client, "crm")
    taken = error(
        client.post(
            EMPLOYEES, json={"login": "ivanov", "password": "secret1", "firstName": "A", "lastName": "B"}
        ),
        409,
    )
    assert "ivanov" in taken["message"]
    by_account = error(
        client.post(
            EMPLOYEES, json={"login": "crm", "password": "secret1", "firstName": "A", "lastName": "B"}
        ),
        409,
    )
    assert by_account["message"] == "the login 'crm' is taken"
    other = employee(client, "petrov")
    error(client.patch(f"{EMPLOYEES}/{other['id']}", json={"login": "crm"}), 409)
    error(client.patch(f"{EMPLOYEES}/{other['id']}", json={"login": "Admin"}), 409)
    assert client.get(f"{EMPLOYEES}/{other['id']}").json()["login"] == "petrov"


def test_the_administrator_exists_from_the_start(client: Client) -> None:
    admin = client.get(f"{EMPLOYEES}/Admin").json()
    administrator = client.get("/api/v1/roles/Administrator").json()
    assert (admin["login"], admin["roleIds"], admin["active"]) == ("Admin", [administrator["id"]], True)


def test_an_employee_is_found_by_id_or_login(client: Client) -> None:
    person = employee(client, "Ivanov.I")
    for key in (str(person["id"]), "Ivanov.I", "ivanov.i"):
        assert client.get(f"{EMPLOYEES}/{key}").json()["id"] == person["id"], key
    error(client.get(f"{EMPLOYEES}/Ivanov"), 404)


def test_a_patch_changes_only_what_it_names(client: Client) -> None:
    sales = department(client, company(client)["id"])
    person = employee(client, "ivanov", email="ivan@example.com", departmentId=sales["id"])
    changed = client.patch(f"{EMPLOYEES}/ivanov", json={"lastName": "Petrov", "middleName": "Ilyich"}).json()
    unchanged = {k: v for k, v in person.items() if k not in ("lastName", "middleName", "updateTime")}
    assert {k: v for k, v in changed.items() if k in unchanged} == unchanged
    assert (changed["lastName"], changed["middleName"]) == ("Petrov", "Ilyich")
    cleared = client.put(f"{EMPLOYEES}/ivanov", json={"email": None, "departmentId": None}).json()
    assert (cleared["email"], cleared["departmentId"], cleared["lastName"]) == (None, None, "Petrov")
    assert can_log_in(client, "ivanov", "secret1")


def test_role_ids_come_back_sorted_once_each(client: Client) -> None:
    first, second = role(client, "First"), role(client, "Second")
    person = employee(client, "ivanov", roleIds=[second["id"], first["id"], second["id"]])
    assert person["roleIds"] == [first["id"], second["id"]]


# -- logging in ------------------------------------------------------------------------------


def test_a_new_password_works_at_once_and_the_old_one_stops(client: Client) -> None:
    person = employee(client, "ivanov", password="first-password")
    assert can_log_in(client, "ivanov", "first-password")
    client.patch(f"{EMPLOYEES}/{person['id']}", json={"password": "second-password"})
    assert not can_log_in(client, "ivanov", "first-password")
    assert can_log_in(client, "ivanov", "second-password")
    client.put(f"{EMPLOYEES}/ivanov", json={"password": "third-password"})
    assert not can_log_in(client, "ivanov", "second-password")
    assert can_log_in(client, "ivanov", "third-password")


def test_a_new_login_works_at_once_and_the_old_one_stops(client: Client) -> None:
    employee(client, "ivanov")
    assert can_log_in(client, "ivanov", "secret1")
    client.patch(f"{EMPLOYEES}/ivanov", json={"login": "i.ivanov"})
    assert not can_log_in(client, "ivanov", "secret1")
    assert can_log_in(client, "i.ivanov", "secret1")


def test_deactivating_or_deleting_an_employee_ends_its_logins_at_once(client: Client) -> None:
    employee(client, "ivanov")
    employee(client, "petrov")
    assert can_log_in(client, "ivanov", "secret1") and can_log_in(client, "petrov", "secret1")
    client.patch(f"{EMPLOYEES}/ivanov", json={"active": False})
    assert not can_log_in(client, "ivanov", "secret1")
    client.patch(f"{EMPLOYEES}/ivanov", json={"active": True})
    assert can_log_in(client, "ivanov", "secret1")
    assert client.delete(f"{EMPLOYEES}/petrov").status_code == 204
    assert not can_log_in(client, "petrov", "secret1")


def test_an_employee_may_log_in_with_a_password_containing_a_colon(client: Client) -> None:
    employee(client, "ivanov", password="pass:word")
    assert can_log_in(client, "ivanov", "pass:word")


# -- lists -----------------------------------------------------------------------------------


def test_employees_filter_by_department_role_and_active(client: Client) -> None:
    acme = company(client)
    sales, support = department(client, acme["id"], "sales"), department(client, acme["id"], "support")
    operator = role(client, "Operator")
    a = employee(client, "a", departmentId=sales["id"], roleIds=[operator["id"]])
    b = employee(client, "b", departmentId=sales["id"], active=False)
    c = employee(client, "c", departmentId=support["id"], roleIds=[operator["id"]], active=False)
    assert ids(client.get(f"{EMPLOYEES}?departmentId={sales['id']}")) == [a["id"], b["id"]]
    assert ids(client.get(f"{EMPLOYEES}?roleId={operator['id']}")) == [a["id"], c["id"]]
    assert ids(client.get(f"{EMPLOYEES}?active=false")) == [b["id"], c["id"]]
    assert ids(client.get(f"{EMPLOYEES}?active=true&roleId={operator['id']}")) == [a["id"]]
    assert ids(client.get(f"{EMPLOYEES}?departmentId={sales['id']}&active=false")) == [b["id"]]
    assert ids(client.get(f"{EMPLOYEES}?roleId=999")) == []
    assert invalid_fields(client.get(f"{EMPLOYEES}?departmentId=0")) == ["departmentId"]
    assert invalid_fields(client.get(f"{EMPLOYEES}?roleId=x")) == ["roleId"]


def test_employees_search_names_logins_emails_and_phones(client: Client) -> None:
    a = employee(client, "smirnov", firstName="Anna", lastName="Smirnova", email="anna@corp.example")
    b = employee(client, "kuznetsov", firstName="Boris", lastName="Kuznetsov", phone="+79161234567")
    assert ids(client.get(f"{EMPLOYEES}?q=SMIRN")) == [a["id"]]
    assert ids(client.get(f"{EMPLOYEES}?q=anna@")) == [a["id"]]
    assert ids(client.get(f"{EMPLOYEES}?q=boris")) == [b["id"]]
    assert ids(client.get(f"{EMPLOYEES}?q=9161234")) == [b["id"]]


def test_employees_sort_by_names_and_login(client: Client) -> None:
    b = employee(client, "b", lastName="Alpha", firstName="Zed")
    a = employee(client, "a", lastName="Beta", firstName="Amy")
    admin = client.get(f"{EMPLOYEES}/Admin").json()
    assert ids(client.get(f"{EMPLOYEES}?sort=lastName")) == [b["id"], a["id"], admin["id"]]
    assert ids(client.get(f"{EMPLOYEES}?sort=-firstName")) == [b["id"], a["id"], admin["id"]]
    assert ids(client.get(f"{EMPLOYEES}?sort=login")) == [admin["id"], a["id"], b["id"]]


def test_a_login_differing_only_in_case_is_taken_across_employees_and_service_accounts(client: Any) -> None:
    person = {"password": "secret1", "firstName": "A", "lastName": "B"}
    assert client.post("/api/v1/employees", json={"login": "ADMIN", **person}).status_code == 409
    machine = {"name": "Portal", "password": "secret1"}
    assert client.post("/api/v1/service-accounts", json={"login": "admin", **machine}).status_code == 409
    # Changing the case of one's own login is no clash with oneself.
    admin = client.get("/api/v1/employees/Admin").json()
    renamed = client.patch(f"/api/v1/employees/{admin['id']}", json={"login": "ADMIN"})
    assert renamed.status_code == 200, renamed.text
    assert client.get("/api/v1/companies", headers=basic("ADMIN", "admin")).status_code == 200
