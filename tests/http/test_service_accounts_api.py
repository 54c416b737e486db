"""/api/v1/service-accounts: front systems that call the API with their own login and roles."""

from __future__ import annotations

from tests.http.conftest import basic
from tests.http.organisation_support import (
    COMPANIES,
    SERVICE_ACCOUNTS,
    Client,
    employee,
    error,
    ids,
    invalid_fields,
    role,
    service_account,
)


def test_a_new_service_account_comes_back_without_any_password(client: Client) -> None:
    sender = role(client, "Sender", "send_communications")
    response = client.post(
        SERVICE_ACCOUNTS,
        json={
            "name": "CRM",
            "login": "crm",
            "password": "token1",
            "description": "The call centre's CRM",
            "roleIds": [sender["id"]],
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {
        "id",
        "name",
        "login",
        "description",
        "roleIds",
        "active",
        "createTime",
        "updateTime",
    }
    assert (body["name"], body["login"], body["roleIds"], body["active"]) == (
        "CRM",
        "crm",
        [sender["id"]],
        True,
    )
    assert "token1" not in response.text


def test_a_service_account_is_found_by_id_login_or_name(client: Client) -> None:
    account = service_account(client, "crm-bot", name="Customer Portal")
    for key in (str(account["id"]), "crm-bot", "Customer Portal", "customer portal", "CRM-BOT"):
        assert client.get(f"{SERVICE_ACCOUNTS}/{key}").json()["id"] == account["id"], key


def test_a_service_account_login_is_unique_among_all_users(client: Client) -> None:
    employee(client, "ivanov")
    service_account(client, "crm")
    assert error(
        client.post(SERVICE_ACCOUNTS, json={"name": "X", "login": "ivanov", "password": "token1"}), 409
    )
    assert error(client.post(SERVICE_ACCOUNTS, json={"name": "X", "login": "crm", "password": "token1"}), 409)
    assert error(
        client.post(SERVICE_ACCOUNTS, json={"name": "X", "login": "Admin", "password": "token1"}), 409
    )


def test_a_service_account_needs_a_name_a_valid_login_and_real_roles(client: Client) -> None:
    body = {"name": "CRM", "login": "crm", "password": "token1"}
    assert invalid_fields(client.post(SERVICE_ACCOUNTS, json={**body, "name": ""})) == ["name"]
    assert invalid_fields(client.post(SERVICE_ACCOUNTS, json={**body, "login": "c r m"})) == ["login"]
    assert invalid_fields(client.post(SERVICE_ACCOUNTS, json={**body, "password": "abc"})) == ["password"]
    dangling = error(client.post(SERVICE_ACCOUNTS, json={**body, "roleIds": [42]}), 400)
    assert dangling["details"] == [{"field": "roleIds", "message": "no role with id 42"}]


def test_a_service_account_logs_in_with_its_own_roles(client: Client) -> None:
    clients_role = role(client, "Clients", "manage_clients")
    service_account(client, "portal", password="portal-token", roleIds=[clients_role["id"]])
    as_portal = basic("portal", "portal-token")
    assert client.get(COMPANIES, headers=as_portal).status_code == 200
    denied = error(client.post(COMPANIES, json={"name": "A", "code": "a"}, headers=as_portal), 403)
    assert denied["permission"] == "manage_system"
    admin_role = role(client, "Integration admin", "manage_system")
    service_account(client, "provisioner", password="prov-token", roleIds=[admin_role["id"]])
    created = client.post(
        COMPANIES, json={"name": "B", "code": "b"}, headers=basic("provisioner", "prov-token")
    )
    assert created.status_code == 201


def test_a_service_account_without_roles_may_only_read(client: Client) -> None:
    service_account(client, "reader", password="reader-token")
    as_reader = basic("reader", "reader-token")
    assert client.get(SERVICE_ACCOUNTS, headers=as_reader).status_code == 200
    error(client.post(COMPANIES, json={"name": "A", "code": "a"}, headers=as_reader), 403)
    error(client.get(COMPANIES, headers=basic("reader", "wrong-token")), 401)


def test_a_new_password_or_deactivation_applies_to_a_service_account_at_once(client: Client) -> None:
    account = service_account(client, "crm", password="old-token")
    assert client.get(COMPANIES, headers=basic("crm", "old-token")).status_code == 200
    client.patch(f"{SERVICE_ACCOUNTS}/crm", json={"password": "new-token"})
    error(client.get(COMPANIES, headers=basic("crm", "old-token")), 401)
    assert client.get(COMPANIES, headers=basic("crm", "new-token")).status_code == 200
    client.put(f"{SERVICE_ACCOUNTS}/{account['id']}", json={"active": False})
    error(client.get(COMPANIES, headers=basic("crm", "new-token")), 401)


def test_a_patch_changes_only_what_it_names(client: Client) -> None:
    account = service_account(client, "crm", description="Old")
    changed = client.patch(f"{SERVICE_ACCOUNTS}/crm", json={"description": "New"}).json()
    assert (changed["description"], changed["name"], changed["login"]) == ("New", account["name"], "crm")
    assert client.patch(f"{SERVICE_ACCOUNTS}/crm", json={"description": None}).json()["description"] is None


def test_service_accounts_filter_by_role_and_active_and_search(client: Client) -> None:
    sender = role(client, "Sender")
    a = service_account(client, "a-bot", name="Portal", roleIds=[sender["id"]])
    b = service_account(client, "b-bot", name="Mobile app", active=False)
    c = service_account(client, "c-bot", name="CRM", roleIds=[sender["id"]], active=False)
    assert ids(client.get(f"{SERVICE_ACCOUNTS}?roleId={sender['id']}")) == [a["id"], c["id"]]
    assert ids(client.get(f"{SERVICE_ACCOUNTS}?active=false")) == [b["id"], c["id"]]
    assert ids(client.get(f"{SERVICE_ACCOUNTS}?active=false&roleId={sender['id']}")) == [c["id"]]
    assert ids(client.get(f"{SERVICE_ACCOUNTS}?q=MOBILE")) == [b["id"]]
    assert ids(client.get(f"{SERVICE_ACCOUNTS}?q=c-b")) == [c["id"]]
    assert ids(client.get(f"{SERVICE_ACCOUNTS}?sort=-login")) == [c["id"], b["id"], a["id"]]
    assert ids(client.get(f"{SERVICE_ACCOUNTS}?sort=name")) == [c["id"], b["id"], a["id"]]
