"""Swagger UI served by Switchboard itself, so the API documentation works with no internet.

The assets come from the pinned ``swagger-ui-bundle-v2`` package (Swagger UI 5: version 4 cannot
render OpenAPI 3.1), found where pip installed it; nothing is copied into this repository.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from litestar import Router
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.static_files import create_static_files_router

SWAGGER_UI_ASSETS = "/swagger-ui/assets"


def swagger_ui_directory() -> Path:
    """The installed Swagger UI 5 distribution: the JS bundles, the CSS and the icons."""
    vendor = files("swagger_ui_bundle") / "vendor"
    found = [Path(str(entry)) for entry in vendor.iterdir() if entry.name.startswith("swagger-ui-5.")]
    if len(found) != 1:
        raise RuntimeError(f"expected one Swagger UI 5 in {vendor}, found {[p.name for p in found]}")
    return found[0]


def swagger_ui_assets() -> Router:
    """The static route the page loads its scripts, stylesheet and icon from."""
    return create_static_files_router(
        path=SWAGGER_UI_ASSETS,
        directories=[swagger_ui_directory()],
        include_in_schema=False,
    )


def swagger_ui_page() -> SwaggerRenderPlugin:
    """Litestar's Swagger page, pointed at our own assets; its default favicon is on a CDN too."""
    return SwaggerRenderPlugin(
        path="/index.html",
        js_url=f"{SWAGGER_UI_ASSETS}/swagger-ui-bundle.js",
        css_url=f"{SWAGGER_UI_ASSETS}/swagger-ui.css",
        standalone_preset_js_url=f"{SWAGGER_UI_ASSETS}/swagger-ui-standalone-preset.js",
        favicon=f"<link rel='icon' type='image/png' href='{SWAGGER_UI_ASSETS}/favicon-32x32.png'>",
    )
