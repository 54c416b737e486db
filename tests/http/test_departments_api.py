"""/api/v1/departments: a tree inside a company, with working hours, and its employees."""

from __future__ import annotations

from typing import Any

import pytest

from tests.http.organisation_support import (
    DEPARTMENTS,
    EMPLOYEES,
    Client,
    company,
    department,
    employee,
    error,
    ids,
    invalid_fields,
)

WEEKDAYS_NINE_TO_SIX = [{"weekday": d, "opens": "09:00", "closes": "18:00"} for d in range(5)]


@pytest.fixture
def acme(client: Client) -> dict[str, Any]:
    return company(client, "acme", "Acme")


def test_a_new_department_works_weekdays_nine_to_six_in_moscow(client: Client, acme: dict[str, Any]) -> None:
    sales = department(client, acme["id"], "sales", name="Sales")
    assert (sales["companyId"], sales["name"], sales["code"], sales["parentId"]) == (
        acme["id"],
        "Sales",
        "sales",
        None,
    )
    assert sales["timeZone"] == "Europe/Moscow"
    assert sales["workingHours"] == WEEKDAYS_NINE_TO_SIX


def test_a_department_keeps_its_own_hours_and_zone(client: Client, acme: dict[str, Any]) -> None:
    hours = [
        {"weekday": 5, "opens": "10:00", "closes": "14:30"},
        {"weekday": 6, "opens": "00:00", "closes": "23:59"},
    ]
    night = department(client, acme["id"], "night", timeZone="Asia/Vladivostok", workingHours=hours)
    assert (night["timeZone"], night["workingHours"]) == ("Asia/Vladivostok", hours)
    assert department(client, acme["id"], "closed", workingHours=[])["workingHours"] == []


@pytest.mark.parametrize(
    ("hours", "field"),
    [
        ([{"weekday": 1, "opens": "18:00", "closes": "09:00"}], "workingHours[0]"),
        ([{"weekday": 1, "opens": "09:00", "closes": "09:00"}], "workingHours[0]"),
        ([{"weekday": 7, "opens": "09:00", "closes": "18:00"}], "workingHours[0].weekday"),
        ([{"weekday": 1, "opens": "9:00", "closes": "18:00"}], "workingHours[0].opens"),
        ([{"weekday": 1, "opens": "09:00", "closes": "24:00"}], "workingHours[0].closes"),
        ([{"weekday": 1, "opens": "09:00"}], "workingHours[0].closes"),
        ([{"weekday": 1, "opens": "09:00", "closes": "18:00", "lunch": "13:00"}], "workingHours[0].lunch"),
        (
            [
                {"weekday": 2, "opens": "09:00", "closes": "12:00"},
                {"weekday": 2, "opens": "13:00", "closes": "18:00"},
            ],
            "workingHours",
        ),
    ],
)
def test_working_hours_are_checked_to_the_field(
    client: Client, acme: dict[str, Any], hours: list[dict[str, Any]], field: str
) -> None:
    body = {"companyId": acme["id"], "name": "S", "code": "s", "workingHours": hours}
    assert invalid_fields(client.post(DEPARTMENTS, json=body)) == [field]


def test_an_unknown_time_zone_is_refused(client: Client, acme: dict[str, Any]) -> None:
    body = {"companyId": acme["id"], "name": "S", "code": "s", "timeZone": "Moon/Base"}
    refused = error(client.post(DEPARTMENTS, json=body), 400)
    assert refused["details"] == [{"field": "timeZone", "message": "unknown time zone 'Moon/Base'"}]


def test_a_department_must_name_a_company_and_parent_that_exist(client: Client, acme: dict[str, Any]) -> None:
    body = {"companyId": 404, "parentId": 405, "name": "S", "code": "s"}
    refused = error(client.post(DEPARTMENTS, json=body), 400)
    assert refused["details"] == [
        {"field": "companyId", "message": "no company with id 404"},
        {"field": "parentId", "message": "no department with id 405"},
    ]
    sales = department(client, acme["id"], "sales")
    assert invalid_fields(client.patch(f"{DEPARTMENTS}/{sales['id']}", json={"parentId": 999})) == [
        "parentId"
    ]
    assert invalid_fields(client.put(f"{DEPARTMENTS}/{sales['id']}", json={"companyId": 999})) == [
        "companyId"
    ]
    assert invalid_fields(client.post(DEPARTMENTS, json={**body, "companyId": 0, "parentId": None})) == [
        "companyId"
    ]


def test_a_code_is_unique_within_its_company_only(client: Client, acme: dict[str, Any]) -> None:
    globex = company(client, "globex")
    department(client, acme["id"], "sales")
    assert department(client, globex["id"], "sales")["companyId"] == globex["id"]
    duplicate = error(
        client.post(DEPARTMENTS, json={"companyId": acme["id"], "name": "X", "code": "sales"}), 409
    )
    assert "code 'sales'" in duplicate["message"]


def test_moving_a_department_to_a_company_where_its_code_is_taken_is_a_conflict(
    client: Client, acme: dict[str, Any]
) -> None:
    globex = company(client, "globex")
    department(client, acme["id"], "sales")
    theirs = department(client, globex["id"], "sales")
    error(client.patch(f"{DEPARTMENTS}/{theirs['id']}", json={"companyId": acme["id"]}), 409)
    assert client.get(f"{DEPARTMENTS}/{theirs['id']}").json()["companyId"] == globex["id"]


def test_departments_form_a_tree_without_cycles(client: Client, acme: dict[str, Any]) -> None:
    top = department(client, acme["id"], "top")
    middle = department(client, acme["id"], "middle", parentId=top["id"])
    leaf = department(client, acme["id"], "leaf", parentId=middle["id"])
    cycle = error(client.patch(f"{DEPARTMENTS}/{top['id']}", json={"parentId": leaf["id"]}), 400)
    assert cycle["details"] == [
        {"field": "parentId", "message": "would make the department its own ancestor"}
    ]
    own = error(client.put(f"{DEPARTMENTS}/{middle['id']}", json={"parentId": middle["id"]}), 400)
    assert [d["field"] for d in own["details"]] == ["parentId"]
    assert client.get(f"{DEPARTMENTS}/{top['id']}").json()["parentId"] is None
    assert (
        client.patch(f"{DEPARTMENTS}/{leaf['id']}", json={"parentId": top["id"]}).json()["parentId"]
        == top["id"]
    )
    assert client.patch(f"{DEPARTMENTS}/{leaf['id']}", json={"parentId": None}).json()["parentId"] is None


def test_a_department_with_children_or_employees_cannot_be_deleted(
    client: Client, acme: dict[str, Any]
) -> None:
    top = department(client, acme["id"], "top")
    child = department(client, acme["id"], "child", parentId=top["id"])
    staff = [employee(client, login, departmentId=top["id"]) for login in ("a", "b")]
    in_use = error(client.delete(f"{DEPARTMENTS}/top"), 409)
    assert in_use["references"] == {"child departments": 1, "employees": 2}
    client.delete(f"{DEPARTMENTS}/{child['id']}")
    for person in staff:
        client.patch(f"{EMPLOYEES}/{person['id']}", json={"departmentId": None})
    assert client.delete(f"{DEPARTMENTS}/top").status_code == 204


def test_a_patch_keeps_the_hours_it_does_not_mention(client: Client, acme: dict[str, Any]) -> None:
    sales = department(client, acme["id"], "sales", timeZone="Europe/Berlin")
    changed = client.patch(f"{DEPARTMENTS}/sales", json={"name": "Sales EU"}).json()
    assert (changed["name"], changed["timeZone"], changed["workingHours"]) == (
        "Sales EU",
        "Europe/Berlin",
        sales["workingHours"],
    )
    hours = [{"weekday": 0, "opens": "08:00", "closes": "12:00"}]
    assert client.patch(f"{DEPARTMENTS}/sales", json={"workingHours": hours}).json()["workingHours"] == hours


def test_a_department_is_found_by_id_code_or_name(client: Client, acme: dict[str, Any]) -> None:
    sales = department(client, acme["id"], "sales", name="Sales Team")
    for key in (str(sales["id"]), "sales", "Sales Team", "SALES", "sales team"):
        assert client.get(f"{DEPARTMENTS}/{key}").json()["id"] == sales["id"], key


def test_departments_filter_by_company_and_parent(client: Client, acme: dict[str, Any]) -> None:
    globex = company(client, "globex")
    top = department(client, acme["id"], "top")
    child = department(client, acme["id"], "child", parentId=top["id"])
    theirs = department(client, globex["id"], "theirs")
    assert ids(client.get(f"{DEPARTMENTS}?companyId={acme['id']}")) == [top["id"], child["id"]]
    assert ids(client.get(f"{DEPARTMENTS}?companyId={globex['id']}")) == [theirs["id"]]
    assert ids(client.get(f"{DEPARTMENTS}?parentId={top['id']}")) == [child["id"]]
    assert ids(client.get(f"{DEPARTMENTS}?companyId={acme['id']}&parentId={top['id']}")) == [child["id"]]
    assert ids(client.get(f"{DEPARTMENTS}?companyId=999")) == []
    refused = error(client.get(f"{DEPARTMENTS}?companyId=0"), 400)
    assert refused["details"][0]["field"] == "companyId"
    assert invalid_fields(client.get(f"{DEPARTMENTS}?parentId=abc")) == ["parentId"]


def test_departments_sort_by_several_fields(client: Client, acme: dict[str, Any]) -> None:
    globex = company(client, "globex")
    a2 = department(client, globex["id"], "a")
    b1 = department(client, acme["id"], "b")
    a1 = department(client, acme["id"], "a")
    assert ids(client.get(f"{DEPARTMENTS}?sort=companyId,-code")) == [b1["id"], a1["id"], a2["id"]]
    assert ids(client.get(f"{DEPARTMENTS}?sort=code,-companyId")) == [a2["id"], a1["id"], b1["id"]]


# -- a department's employees ----------------------------------------------------------------


def test_a_department_lists_its_own_employees_by_id_or_code(client: Client, acme: dict[str, Any]) -> None:
    sales = department(client, acme["id"], "sales")
    support = department(client, acme["id"], "support")
    ours = [employee(client, login, departmentId=sales["id"])["id"] for login in ("s1", "s2", "s3")]
    employee(client, "elsewhere", departmentId=support["id"])
    employee(client, "nowhere")
    for key in (sales["id"], "sales"):
        page = client.get(f"{DEPARTMENTS}/{key}/employees").json()
        assert [e["id"] for e in page["items"]] == ours
        assert page["total"] == 3
        assert {e["departmentId"] for e in page["items"]} == {sales["id"]}
        assert "password" not in page["items"][0] and "passwordHash" not in page["items"][0]


def test_a_department_employee_list_pages_and_sorts(client: Client, acme: dict[str, Any]) -> None:
    sales = department(client, acme["id"], "sales")
    made = [employee(client, login, departmentId=sales["id"])["id"] for login in ("b", "c", "a")]
    page = client.get(f"{DEPARTMENTS}/sales/employees?sort=-login&limit=2&offset=1").json()
    assert [e["id"] for e in page["items"]] == [made[0], made[2]]
    assert (page["total"], page["limit"], page["offset"]) == (3, 2, 1)
    refused = error(client.get(f"{DEPARTMENTS}/sales/employees?sort=passwordHash"), 400)
    assert refused["details"][0]["field"] == "sort"
    assert invalid_fields(client.get(f"{DEPARTMENTS}/sales/employees?limit=0")) == ["limit"]


def test_the_employees_of_an_unknown_department_are_not_found(client: Client) -> None:
    error(client.get(f"{DEPARTMENTS}/999/employees"), 404)
    error(client.get(f"{DEPARTMENTS}/nowhere/employees"), 404)


def test_an_empty_department_has_an_empty_page(client: Client, acme: dict[str, Any]) -> None:
    department(client, acme["id"], "empty")
    assert client.get(f"{DEPARTMENTS}/empty/employees").json() == {
        "items": [],
        "total": 0,
        "limit": 50,
        "offset": 0,
    }
