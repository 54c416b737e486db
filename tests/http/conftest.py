"""An API client over the real app, on in-memory storage by default, SQLite or PostgreSQL on request."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from dependency_injector import providers
from litestar.testing import TestClient

from adapters.security import Argon2PasswordHasher
from entrypoints.container import build_container
from entrypoints.http.app import create_app
from entrypoints.settings import Settings


def basic(login: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{login}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


ADMIN = basic("Admin", "admin")


def make_client(settings: Settings, hasher: Argon2PasswordHasher) -> Iterator[TestClient[Any]]:
    container = build_container(settings)
    container.core.hasher.override(providers.Object(hasher))
    with TestClient(create_app(container, settings), raise_server_exceptions=False) as client:
        client.headers.update(ADMIN)
        yield client


@pytest.fixture
def client(hasher: Argon2PasswordHasher) -> Iterator[TestClient[Any]]:
    """Logged in as Admin, on fresh in-memory storage."""
    yield from make_client(Settings(storage="memory"), hasher)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sql_client(
    request: pytest.FixtureRequest, hasher: Argon2PasswordHasher, tmp_path: Any
) -> Iterator[TestClient[Any]]:
    """Logged in as Admin, on a freshly migrated SQLite file or PostgreSQL database."""
    from tests.support.databases import migrated, temporary_postgres_database

    if request.param == "sqlite":
        yield from make_client(Settings(database_url=migrated(f"sqlite:///{tmp_path}/api.db")), hasher)
        return
    request.getfixturevalue("postgres_url")  # skips (or fails under CI) without a server
    with temporary_postgres_database() as url:
        yield from make_client(Settings(database_url=migrated(url)), hasher)


def user_with(client: TestClient[Any], login: str, *permissions: str) -> dict[str, str]:
    """An employee holding a new role with these permissions; returns its Basic Auth header."""
    granted = create(
        client,
        "/api/v1/roles",
        {"name": f"role of {login}", "permissions": [{"permission": p} for p in permissions]},
    )
    body = {
        "login": login,
        "password": "secret1",
        "firstName": login,
        "lastName": login,
        "roleIds": [granted["id"]],
    }
    create(client, "/api/v1/employees", body)
    return basic(login, "secret1")


def create(client: TestClient[Any], path: str, body: dict[str, Any]) -> dict[str, Any]:
    """POSTs and insists on 201: for arranging a test's data."""
    response = client.post(path, json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result
