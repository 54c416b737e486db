"""``switchboard worker`` under cProfile, for ``bench.dispatch --profile``: SIGTERM ends it cleanly
so that the profile is written (the plain worker simply dies on SIGTERM).

    python -m bench.profiled_worker OUT.prof
"""

from __future__ import annotations

import cProfile
import signal
import sys

from entrypoints.cli import main


def run(out: str) -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    profile = cProfile.Profile()
    try:
        profile.runcall(main, ["worker"])
    except SystemExit:
        pass
    finally:
        profile.dump_stats(out)


if __name__ == "__main__":
    run(sys.argv[1])
