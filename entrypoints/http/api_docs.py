"""Swagger UI served by Switchboard itself, so the API documentation works with no internet.

The assets come from the pinned ``swagger-ui-bundle-v2`` package (Swagger UI 5: version 4 cannot
render OpenAPI 3.1), found where pip installed it; nothing is copied into this repository.
"""

# No `from __future__ import annotations`: Litestar must see the handler's annotation objects.

from importlib.resources import files
from pathlib import Path

from litestar import Router, get
from litestar.exceptions import NotFoundException
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.params import FromPath
from litestar.response import File

SWAGGER_UI_ASSETS = "/swagger-ui/assets"


def swagger_ui_directory() -> Path:
    """The installed Swagger UI 5 distribution: the JS bundles, the CSS and the icons."""
    vendor = files("swagger_ui_bundle") / "vendor"
    found = [Path(str(entry)) for entry in vendor.iterdir() if entry.name.startswith("swagger-ui-5.")]
    if len(found) != 1:
        raise RuntimeError(f"expected one Swagger UI 5 in {vendor}, found {[p.name for p in found]}")
    return found[0]


def swagger_ui_assets() -> Router:
    """The route the page loads its scripts, stylesheet and icon from.

    Only the distribution's own files, looked up by name: any other name (a path, a name too long
    for the file system) is a plain 404, never an error from the file system.
    """
    directory = swagger_ui_directory()
    assets = {entry.name: entry for entry in directory.iterdir() if entry.is_file()}

    @get("/{name:str}", include_in_schema=False, sync_to_thread=False)
    def asset(name: FromPath[str]) -> File:
        found = assets.get(name)
        if found is None:
            raise NotFoundException(f"no Swagger UI asset {name!r}")
        return File(path=found, filename=name, content_disposition_type="inline")

    return Router(path=SWAGGER_UI_ASSETS, route_handlers=[asset])


def swagger_ui_page() -> SwaggerRenderPlugin:
    """Litestar's Swagger page, pointed at our own assets; its default favicon is on a CDN too."""
    return SwaggerRenderPlugin(
        path="/index.html",
        js_url=f"{SWAGGER_UI_ASSETS}/swagger-ui-bundle.js",
        css_url=f"{SWAGGER_UI_ASSETS}/swagger-ui.css",
        standalone_preset_js_url=f"{SWAGGER_UI_ASSETS}/swagger-ui-standalone-preset.js",
        favicon=f"<link rel='icon' type='image/png' href='{SWAGGER_UI_ASSETS}/favicon-32x32.png'>",
    )
