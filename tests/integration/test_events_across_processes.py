"""A `switchboard worker` process changes statuses; the API process streams them (LISTEN/NOTIFY)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from dependency_injector import providers

from adapters.security import Argon2PasswordHasher
from application.events.stream import EventStream
from entrypoints.container import build_container
from entrypoints.http.app import create_app
from entrypoints.settings import Settings
from tests.http.test_events_api import Listener, arrange, send
from tests.support.databases import migrated, temporary_postgres_database
from tests.support.stub_http import serving

pytestmark = [pytest.mark.postgres, pytest.mark.concurrency]
SWITCHBOARD = Path(sys.executable).with_name("switchboard")


def test_a_worker_process_status_change_reaches_a_stream_of_the_api_process(
    postgres_url: str, hasher: Argon2PasswordHasher
) -> None:
    with temporary_postgres_database() as url:
        migrated(url)
        settings = Settings(database_url=url, in_process_worker=False)
        container = build_container(settings)
        container.core.hasher.override(providers.Object(hasher))
        # Readers poll the log only every minute here: what arrives sooner came by NOTIFY.
        container.use_cases.event_stream.override(
            providers.Singleton(
                EventStream, container.storage.uow_factory, container.storage.events_bus, poll=60.0
            )
        )
        env = {**os.environ, "DATABASE_URL": url, "WORKER_ID": "events-test", "LOG_LEVEL": "WARNING"}
        worker = subprocess.Popen(
            [str(SWITCHBOARD), "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        try:
            with serving(create_app(container, settings)) as api:
                department_id, (ivan, _) = arrange(api)
                listener = Listener(api, clientId=ivan, maxEvents=2)
                started = time.monotonic()
                answer = send(api, department_id, [ivan])
                got: list[dict[str, Any]] = listener.join(40)
                elapsed = time.monotonic() - started
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(10)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(5)
        assert [(e["data"]["status"], e["data"]["deliveryStatus"]) for e in got] == [
            ("in_progress", "sent"),
            ("done", "delivered"),
        ]
        assert got[0]["data"]["sendId"] == answer["sendId"]
        assert elapsed < 40
        print(f"worker -> API stream: both events after {elapsed:.1f} s")
