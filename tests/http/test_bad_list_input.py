"""List inputs that used to reach the database and fail there answer 400, naming the field."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from tests.http.conftest import create

HUGE_OFFSET = str(2**63)


def field_of(response: Any) -> str:
    assert response.status_code == 400, response.text
    return str(response.json()["error"]["details"][0]["field"])


@pytest.fixture
def grouped(sql_client: TestClient[Any]) -> TestClient[Any]:
    client = create(sql_client, "/api/v1/clients", {"firstName": "Anna", "phones": ["+74951234567"]})
    group = create(sql_client, "/api/v1/client-groups", {"name": "vip"})
    sql_client.post(f"/api/v1/client-groups/{group['id']}/members", json={"clientIds": [client["id"]]})
    return sql_client


@pytest.mark.parametrize("path", ["/api/v1/clients/1/groups", "/api/v1/client-groups/1/members"])
def test_an_unknown_sort_on_a_sub_list_is_a_400(grouped: TestClient[Any], path: str) -> None:
    assert field_of(grouped.get(path, params={"sort": "password_hash"})) == "sort"
    assert grouped.get(path, params={"sort": "-id"}).status_code == 200


@pytest.mark.parametrize(
    "path", ["/api/v1/communications", "/v3/communications", "/v1/communications/id-translations"]
)
def test_an_offset_beyond_64_bits_is_a_400(sql_client: TestClient[Any], path: str) -> None:
    assert field_of(sql_client.get(path, params={"offset": HUGE_OFFSET})) == "offset"


def test_an_offset_beyond_64_bits_in_a_collection_body_is_a_400(sql_client: TestClient[Any]) -> None:
    response = sql_client.post("/v3/collections/communications", json={"offset": 2**63})
    assert response.status_code == 400


@pytest.mark.parametrize("path", ["/api/v1/companies", "/api/v1/clients", "/api/v1/client-groups/1/members"])
def test_thousands_of_sort_terms_are_a_400(grouped: TestClient[Any], path: str) -> None:
    assert field_of(grouped.get(path, params={"sort": ",".join(["id"] * 2_000)})) == "sort"
    assert grouped.get(path, params={"sort": ",".join(["id"] * 8)}).status_code == 200
