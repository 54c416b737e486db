"""/api/v1/companies: codes are unique, names and codes find a company, departments keep it alive."""

from __future__ import annotations

import re

from tests.http.organisation_support import (
    COMPANIES,
    DEPARTMENTS,
    Client,
    company,
    department,
    error,
    ids,
    invalid_fields,
)

STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$")


def test_a_new_company_comes_back_with_its_id_and_times(client: Client) -> None:
    response = client.post(COMPANIES, json={"name": "Acme Trading", "code": "acme"})
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "name", "code", "createTime", "updateTime"}
    assert (body["name"], body["code"]) == ("Acme Trading", "acme")
    assert STAMP.match(body["createTime"]) and body["createTime"] == body["updateTime"]
    assert client.get(f"{COMPANIES}/{body['id']}").json() == body


def test_a_company_code_is_unique(client: Client) -> None:
    company(client, "acme", "Acme")
    duplicate = error(client.post(COMPANIES, json={"name": "Acme 2", "code": "acme"}), 409)
    assert duplicate["message"] == "a company with code 'acme' already exists"
    assert client.post(COMPANIES, json={"name": "Acme", "code": "acme-2"}).status_code == 201


def test_a_company_needs_a_name_and_a_short_code(client: Client) -> None:
    assert invalid_fields(client.post(COMPANIES, json={"name": "", "code": "x"})) == ["name"]
    assert invalid_fields(client.post(COMPANIES, json={"name": "X", "code": "c" * 65})) == ["code"]
    blank = error(client.post(COMPANIES, json={"name": "   ", "code": "x"}), 400)
    assert blank["details"] == [{"field": "name", "message": "must not be empty"}]
    assert client.post(COMPANIES, json={"name": "X", "code": "c" * 64}).status_code == 201


def test_a_company_is_found_by_code_then_name_then_either_ignoring_case(client: Client) -> None:
    acme = company(client, "acme", "Acme Trading")
    for key in ("acme", "Acme Trading", "ACME", "acme trading"):
        assert client.get(f"{COMPANIES}/{key}").json()["id"] == acme["id"], key
    error(client.get(f"{COMPANIES}/acm"), 404)


def test_a_patch_changes_only_what_it_names(client: Client) -> None:
    acme = company(client, "acme", "Acme")
    changed = client.patch(f"{COMPANIES}/acme", json={"name": "Acme Ltd"})
    assert changed.status_code == 200
    body = changed.json()
    assert (body["id"], body["name"], body["code"], body["createTime"]) == (
        acme["id"],
        "Acme Ltd",
        "acme",
        acme["createTime"],
    )
    assert body["updateTime"] >= acme["updateTime"]
    assert client.get(f"{COMPANIES}/{acme['id']}").json() == body


def test_a_put_changes_both_fields_and_an_empty_patch_nothing_but_the_time(client: Client) -> None:
    acme = company(client, "acme", "Acme")
    replaced = client.put(f"{COMPANIES}/{acme['id']}", json={"name": "Globex", "code": "globex"}).json()
    assert (replaced["name"], replaced["code"]) == ("Globex", "globex")
    error(client.get(f"{COMPANIES}/acme"), 404)
    same = client.patch(f"{COMPANIES}/globex", json={}).json()
    assert (same["name"], same["code"]) == ("Globex", "globex")


def test_a_change_to_a_taken_code_is_a_conflict_and_changes_nothing(client: Client) -> None:
    company(client, "acme")
    globex = company(client, "globex")
    error(client.patch(f"{COMPANIES}/globex", json={"code": "acme"}), 409)
    assert client.get(f"{COMPANIES}/{globex['id']}").json() == globex
    assert client.patch(f"{COMPANIES}/globex", json={"code": "globex"}).status_code == 200


def test_a_patch_may_not_null_a_required_field(client: Client) -> None:
    company(client, "acme")
    assert invalid_fields(client.patch(f"{COMPANIES}/acme", json={"name": None})) == ["name"]


def test_a_company_with_departments_cannot_be_deleted(client: Client) -> None:
    acme = company(client, "acme")
    first = department(client, acme["id"], "sales")
    department(client, acme["id"], "support")
    in_use = error(client.delete(f"{COMPANIES}/acme"), 409)
    assert in_use["references"] == {"departments": 2}
    assert "departments" in in_use["message"]
    assert client.get(f"{COMPANIES}/acme").status_code == 200
    client.delete(f"{DEPARTMENTS}/{first['id']}")
    assert error(client.delete(f"{COMPANIES}/acme"), 409)["references"] == {"departments": 1}


def test_companies_sort_by_code_or_name_and_search_both(client: Client) -> None:
    b = company(client, "b-code", "Zeta")
    a = company(client, "a-code", "Yota")
    c = company(client, "c-code", "Alpha")
    assert ids(client.get(f"{COMPANIES}?sort=code")) == [a["id"], b["id"], c["id"]]
    assert ids(client.get(f"{COMPANIES}?sort=-code")) == [c["id"], b["id"], a["id"]]
    assert ids(client.get(f"{COMPANIES}?sort=name")) == [c["id"], a["id"], b["id"]]
    assert ids(client.get(f"{COMPANIES}?q=A-CO")) == [a["id"]]
    assert ids(client.get(f"{COMPANIES}?q=alp")) == [c["id"]]
