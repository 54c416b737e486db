"""A local SMTP sink for the dispatch benchmark, in its own process: accepts every message, keeps none.

    .venv/bin/python -m bench.smtp_sink --port 2525

Counts what it accepted and prints the count when terminated (SIGTERM).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from typing import Any

from aiosmtpd.controller import Controller


class Counting:
    def __init__(self) -> None:
        self.accepted = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.accepted += 1
        return "250 Message accepted"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    handler = Counting()
    controller = Controller(handler, hostname="127.0.0.1", port=args.port)
    controller.start()
    stopped = asyncio.Event()
    loop = asyncio.new_event_loop()
    loop.add_signal_handler(signal.SIGTERM, stopped.set)
    loop.add_signal_handler(signal.SIGINT, stopped.set)
    print("ready", flush=True)
    loop.run_until_complete(stopped.wait())
    controller.stop()
    print(f"accepted {handler.accepted}", flush=True)


if __name__ == "__main__":
    main()
