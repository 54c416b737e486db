"""The Swagger UI page works offline: it names no other host, and Switchboard serves what it names."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

from litestar.testing import TestClient

PAGE = "/swagger-ui/index.html"

CONTENT_TYPES = {
    ".js": ("text/javascript", "application/javascript"),
    ".css": ("text/css",),
    ".png": ("image/png",),
}


class _References(HTMLParser):
    """Every URL an element of the page makes the browser fetch: scripts, stylesheets, icons."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.urls.append(value)


def references(html: str) -> list[str]:
    parser = _References()
    parser.feed(html)
    # A stylesheet inside the page could still pull from elsewhere: @import and url(...).
    parser.urls += re.findall(r"""url\(\s*['"]?([^'")]+)""", html)
    parser.urls += re.findall(r"""@import\s+['"]([^'"]+)""", html)
    return parser.urls


def test_the_page_names_no_other_host(client: TestClient[Any]) -> None:
    page = client.get(PAGE, headers={"Authorization": ""})
    assert page.status_code == 200
    urls = references(page.text)

    assert len(urls) >= 4  # the bundle, the preset, the stylesheet and the icon
    assert [url for url in urls if urlsplit(url).netloc or urlsplit(url).scheme] == []


def test_every_asset_the_page_names_answers_with_its_content_type(client: TestClient[Any]) -> None:
    page = client.get(PAGE, headers={"Authorization": ""})
    urls = [urljoin(PAGE, url) for url in references(page.text)]
    assert {urlsplit(url).path.rsplit(".", 1)[-1] for url in urls} == {"js", "css", "png"}

    for url in urls:
        answer = client.get(url, headers={"Authorization": ""})  # public, as the page is
        assert answer.status_code == 200, url
        suffix = "." + url.rsplit(".", 1)[-1]
        assert answer.headers["content-type"].startswith(CONTENT_TYPES[suffix]), url
        assert len(answer.content) > 100, url


def test_the_page_loads_swagger_ui_5_which_renders_openapi_3_1(client: TestClient[Any]) -> None:
    bundle = client.get("/swagger-ui/assets/swagger-ui-bundle.js", headers={"Authorization": ""})
    document = client.get("/openapi.json").json()

    assert document["openapi"].startswith("3.1")
    assert re.search(r'PACKAGE_VERSION:"5\.\d+\.\d+"', bundle.text)


def test_an_unknown_asset_is_a_404_not_a_page(client: TestClient[Any]) -> None:
    answer = client.get("/swagger-ui/assets/nothing-here.js", headers={"Authorization": ""})
    assert answer.status_code == 404
