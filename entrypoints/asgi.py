"""The ASGI application as servers import it: ``uvicorn entrypoints.asgi:app``."""

from __future__ import annotations

import logging

from entrypoints.container import build_container
from entrypoints.http.app import create_app
from entrypoints.settings import Settings

settings = Settings.from_env()
logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
app = create_app(build_container(settings), settings)
