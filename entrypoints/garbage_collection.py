"""The cyclic garbage collector tuned for a long-running server process (issue 7's write tail).

Measured under `bench.api` on PostgreSQL (64 connections): with CPython's defaults a client create
ran ~0.1 gen-0 collections per request and a full collection every ~1,000 requests, and each full
collection walked the ~210,000 objects that start-up leaves (modules, the Litestar app, SQLAlchemy's
tables): ~100 ms of CPU with the event loop stopped, which every request in flight waited out.
"""

from __future__ import annotations

import gc
from typing import Any

YOUNG_THRESHOLD = 10_000
"""Tracked allocations (net of frees) before a gen-0 collection; CPython's default is 700.

With 64 requests in flight the count passes 700 while their objects are still alive, so each
collection promotes them to older generations, where they die later and make a full collection due
sooner. At 10,000 a gen-0 run comes a few times per thousand writes instead of ~100, and no full
collection came in a 10-second run. The older generations keep CPython's thresholds."""


def settle_after_start_up(_app: Any = None) -> None:
    """Moves what start-up built out of the collector's sight, and raises the gen-0 threshold.

    ``gc.freeze()`` keeps those objects alive for good (they live as long as the process anyway)
    and no collection walks them again. For the server process only: a test suite that builds many
    apps would keep every one of them.
    """
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
