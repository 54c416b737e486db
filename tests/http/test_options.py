"""OPTIONS lists every method a path has, whichever handler registered it."""

from __future__ import annotations

import re
from typing import Any

from litestar.routes import HTTPRoute
from litestar.testing import TestClient


def test_allow_names_every_method_of_every_path(client: TestClient[Any]) -> None:
    checked = 0
    for route in client.app.routes:
        if isinstance(route, HTTPRoute):
            response = client.options(re.sub(r"\{[^}]+\}", "1", route.path_format), headers={})
            allowed = {m.strip() for m in response.headers.get("allow", "").split(",")}
            assert set(route.methods) - {"HEAD"} <= allowed, route.path_format
            checked += 1
    assert checked > 30


def test_options_on_a_list_route_includes_get(client: TestClient[Any]) -> None:
    response = client.options("/api/v1/companies")
    assert response.status_code == 204
    assert {"GET", "POST", "OPTIONS"} <= {m.strip() for m in response.headers["allow"].split(",")}
