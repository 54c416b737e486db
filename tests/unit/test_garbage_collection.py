"""The server's start-up hook: start-up objects frozen, gen-0 threshold raised (issue 7's write tail)."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from entrypoints.garbage_collection import YOUNG_THRESHOLD, settle_after_start_up


@pytest.fixture
def restored_collector() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()  # the test process must collect as usual afterwards
    gc.set_threshold(*threshold)


@pytest.mark.usefixtures("restored_collector")
def test_start_up_objects_are_frozen_and_the_young_threshold_raised() -> None:
    _, middle, old = gc.get_threshold()
    settle_after_start_up()
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == (YOUNG_THRESHOLD, middle, old)


def test_the_server_app_settles_after_its_start_up() -> None:
    # In a process of its own: importing the server module configures logging and builds an app.
    check = (
        "from entrypoints import asgi; from entrypoints.garbage_collection import settle_after_start_up; "
        "assert asgi.app.on_startup[-1] is settle_after_start_up"
    )
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    subprocess.run([sys.executable, "-c", check], check=True, env=env, timeout=120, capture_output=True)
