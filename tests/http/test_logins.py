"""Logins that cannot be spoofed: PRECIS comparison, lookalikes refused naming the login they resemble."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.logins import PrecisLoginRules

PERSON = {"password": "secret1", "firstName": "A", "lastName": "B"}
MACHINE = {"name": "Portal", "password": "secret1"}


def new_employee(client: Any, login: str) -> Any:
    return client.post("/api/v1/employees", json={"login": login, **PERSON})


@pytest.mark.parametrize(
    ("first", "second"),
    [("x_straße", "X_STRASSE"), ("probe_fi", "PROBE_FI"), ("ivan", "ＩＶＡＮ"), ("Иван", "иВАН")],
)
def test_logins_equal_by_precis_and_case_folding_are_taken(client: Any, first: str, second: str) -> None:
    assert new_employee(client, first).status_code == 201
    taken = new_employee(client, second)
    assert taken.status_code == 409
    assert "taken" in taken.json()["error"]["message"]


@pytest.mark.parametrize("lookalike", ["\u0410dmin", "Adm\u0456n", "\u0430dmin"])
def test_a_mixed_script_lookalike_of_an_existing_login_is_refused_naming_it(
    client: Any, lookalike: str
) -> None:
    refused = new_employee(client, lookalike)
    assert refused.status_code == 409
    assert "resembles the existing login 'Admin'" in refused.json()["error"]["message"]
    machine = client.post("/api/v1/service-accounts", json={"login": lookalike, **MACHINE})
    assert machine.status_code == 409


@pytest.mark.parametrize("login", ["Admin\u200b", "probe_\ufb01", "ad\u00admin", "a\u202eb", "x\u0007"])
def test_invisible_control_and_compatibility_characters_are_refused(client: Any, login: str) -> None:
    refused = new_employee(client, login)
    assert refused.status_code == 400
    assert refused.json()["error"]["details"][0]["field"] == "login"


def test_the_fullwidth_form_of_a_login_is_the_login_itself(client: Any) -> None:
    assert new_employee(client, "\uff41dmin").status_code == 409


def test_ordinary_logins_stay_valid(client: Any) -> None:
    for login in ("ivan.petrov", "i_petrov-2", "Пётр", "crm@portal", "user1", "userl"):
        assert new_employee(client, login).status_code == 201, login


def test_precis_rules_key_and_skeleton() -> None:
    rules = PrecisLoginRules()
    assert rules.key("X_STRASSE") == rules.key("x_straße") == "x_strasse"
    assert rules.skeleton(rules.key("\u0410dmin")) == rules.skeleton(rules.key("Admin")) == "admin"
    with pytest.raises(ValueError, match="200b"):
        rules.key("Admin\u200b")
