"""The ASGI application as servers import it: ``uvicorn entrypoints.asgi:app``.

Started this way, pass uvicorn ``--no-proxy-headers``, or ``--forwarded-allow-ips "$TRUSTED_PROXIES"``
behind a proxy: uvicorn's default believes X-Forwarded-For from any loopback peer. The app believes
the header only from TRUSTED_PROXIES either way (see entrypoints/http/security/client_address.py).
"""

from __future__ import annotations

import logging

from entrypoints.container import build_container
from entrypoints.garbage_collection import settle_after_start_up
from entrypoints.http.app import create_app
from entrypoints.settings import Settings

settings = Settings.from_env()
logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
app = create_app(build_container(settings), settings)
# After the lifespan's own start-up (Litestar runs on_startup hooks last): the server process only.
app.on_startup.append(settle_after_start_up)
