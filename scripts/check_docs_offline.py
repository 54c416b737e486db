"""Swagger UI renders the operations in a real browser that can reach no host but Switchboard.

    .venv/bin/python scripts/check_docs_offline.py [--screenshot docs-offline.png]

Starts `switchboard serve` on a fresh SQLite file and a free port on 127.0.0.1, then loads
/swagger-ui/index.html in headless Chromium with every other host unreachable: names resolve to
nothing and anything not for 127.0.0.1 goes to a proxy on a port where nothing listens. Passes when
the page shows one operation block per operation of the OpenAPI document. Exits 0 or 1.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = "/swagger-ui/index.html"
# Virtual time: Chromium fast-forwards timers, so the budget is an upper bound, not a wait.
RENDER_BUDGET_MS = 20_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def switchboard(workdir: Path) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{workdir}/switchboard.db",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "LOG_LEVEL": "WARNING",
        "ADMIN_PASSWORD": "offline-check",
    }
    command = [str(Path(sys.executable).with_name("switchboard")), "serve"]
    log = (workdir / "server.log").open("w")
    process = subprocess.Popen(command, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                log.close()
                sys.stderr.write((workdir / "server.log").read_text())
                raise RuntimeError(f"switchboard exited with {process.returncode}")
            try:
                urllib.request.urlopen(f"{base}/health", timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("switchboard did not start within 60 s") from None
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def chromium(*arguments: str, profile: Path) -> str:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        raise RuntimeError("no chromium on PATH: scripts/check-docs-offline installs it")
    dead_port = free_port()  # nothing listens there: every proxied request fails at once
    command = [
        binary,
        "--headless=new",
        "--no-sandbox",  # we run as root in a container
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        f"--proxy-server=http://127.0.0.1:{dead_port}",
        "--proxy-bypass-list=127.0.0.1",
        f"--virtual-time-budget={RENDER_BUDGET_MS}",
        "--window-size=1280,2400",
        *arguments,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
    return done.stdout


def operation_blocks_in(document: dict[str, object]) -> int:
    """Swagger UI shows an operation once under each of its tags (once, untagged, if it has none)."""
    methods = {"get", "put", "post", "delete", "patch", "options", "head", "trace"}
    paths = document["paths"]
    assert isinstance(paths, dict)
    return sum(
        max(1, len(operation.get("tags", [])))
        for item in paths.values()
        for method, operation in item.items()
        if method in methods
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--screenshot", type=Path, help="also save a PNG of the rendered page here")
    args = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as scratch, switchboard(Path(scratch)) as base:
        document = json.load(urllib.request.urlopen(f"{base}/openapi.json"))
        expected = operation_blocks_in(document)
        dom = chromium("--dump-dom", f"{base}{PAGE}", profile=Path(scratch) / "profile")
        if args.screenshot:
            chromium(
                f"--screenshot={args.screenshot.resolve()}",
                f"{base}{PAGE}",
                profile=Path(scratch) / "profile",
            )
    rendered = len(re.findall(r'class="opblock opblock-', dom))
    broken = "Unable to render this definition" in dom or "Failed to load API definition" in dom
    print(f"operation blocks expected: {expected}; rendered: {rendered}; {time.monotonic() - started:.1f} s")
    if broken or rendered != expected:
        print("FAIL: Swagger UI did not render every operation offline", file=sys.stderr)
        return 1
    print("OK: Swagger UI renders every operation with no host but Switchboard reachable")
    return 0


if __name__ == "__main__":
    sys.exit(main())
