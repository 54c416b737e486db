"""Black-box reproductions of issue 8's defects (hardening), run against whichever checkout runs it.

From a checkout's root, after `make install`: `.venv/bin/python scripts/reproduce_issue8.py`.
It prints one line per defect: DEFECT (the reported behaviour shows) or FIXED. It uses only routes
and settings that existed before the fixes, so the same file runs on a checkout of ab7c201 (where
every line says DEFECT) and on main (where every line says FIXED). The suite's own tests are the
guard; this is the before-and-after evidence.
"""

from __future__ import annotations

import asyncio
import base64
import statistics
import time
from typing import Any

import httpx
from litestar.testing import TestClient

from entrypoints.container import build_container
from entrypoints.http.app import create_app
from entrypoints.settings import Settings


def basic(login: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()}


ADMIN = basic("Admin", "admin")
results: list[tuple[str, bool, str]] = []


def check(name: str, fixed: bool, detail: str) -> None:
    results.append((name, fixed, detail))
    print(f"{'FIXED ' if fixed else 'DEFECT'} {name}: {detail}", flush=True)


def new_app() -> Any:
    """The app on a fresh, migrated SQLite file: the embedded default, where the 500s were found."""
    import tempfile

    from adapters.sqlalchemy.migrate import upgrade

    url = f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/switchboard.sqlite3"
    upgrade(url)
    settings = Settings(database_url=url)
    return create_app(build_container(settings), settings)


def http_checks() -> None:
    with TestClient(new_app(), raise_server_exceptions=False) as c:
        c.headers.update(ADMIN)
        # CSRF: text/plain body creating an administrator role
        r = c.post(
            "/api/v1/roles",
            content=b'{"name":"Forged","permissions":[{"permission":"manage_system"}]}',
            headers={"Content-Type": "text/plain"},
        )
        check("text/plain JSON body accepted (CSRF)", r.status_code == 415, f"{r.status_code}")
        r = c.post(
            "/api/v1/roles",
            json={"name": "Forged2", "permissions": [{"permission": "manage_system"}]},
            headers={"Origin": "https://evil.example"},
        )
        check("foreign Origin may write", r.status_code == 403, f"{r.status_code}")
        # Inputs that caused 500
        c.post("/api/v1/companies", json={"name": "Rolf", "code": "rolf"})
        cl = c.post("/api/v1/clients", json={"firstName": "Ivan", "lastName": "P"})
        client_id = cl.json().get("id")
        grp = c.post("/api/v1/client-groups", json={"name": "G"})
        group_id = grp.json().get("id")
        r = c.get(f"/api/v1/clients/{client_id}/groups?sort=nonsense")
        check("unknown sort on clients/{key}/groups", r.status_code == 400, f"{r.status_code}")
        r = c.get(f"/api/v1/client-groups/{group_id}/members?sort=nonsense")
        check("unknown sort on client-groups/{key}/members", r.status_code == 400, f"{r.status_code}")
        big = str(2**63)
        for path in ("/api/v1/communications", "/v3/communications", "/v1/communications/id-translations"):
            r = c.get(f"{path}?offset={big}")
            check(f"offset 2^63 on {path}", r.status_code == 400, f"{r.status_code}")
        r = c.post("/v3/collections/communications", json={"offset": 2**63, "limit": 10})
        check("offset 2^63 on POST /v3/collections/communications", r.status_code == 400, f"{r.status_code}")
        for path in (
            f"/api/v1/companies/{'9' * 4301}",
            f"/api/v1/clients/{'9' * 4301}",
            f"/clients/{'9' * 4301}/availability",
        ):
            r = c.get(path)
            check(f"4,301-digit key {path[:22]}...", r.status_code == 400, f"{r.status_code}")
        for path in ("/api/v1/communications/²", "/api/v1/communications/\u0661\u0662"):
            r = c.get(path)
            check(f"key {path[-2:]!r} on communications", r.status_code == 400, f"{r.status_code}")
        r = c.get("/clients/\u0661/availability")
        check("legacy /clients/١/availability finds client 1", r.status_code == 400, f"{r.status_code}")
        deep = b'{"name":' + b"[" * 1000 + b"]" * 1000 + b"}"
        r = c.post("/api/v1/companies", content=deep, headers={"Content-Type": "application/json"})
        check("JSON nested 1,000 deep", r.status_code == 400, f"{r.status_code}")
        r = c.post(
            "/api/v1/companies",
            content=b'{"name":"\xff\xfe","code":"x1"}',
            headers={"Content-Type": "application/json"},
        )
        check("invalid UTF-8 in a JSON string", r.status_code == 400, f"{r.status_code}")
        r = c.get("/api/v1/companies?sort=" + ",".join(["name"] * 2000))
        check("2,000 sort terms", r.status_code == 400, f"{r.status_code}")
        # Text rule: NUL in a communication subject
        body = {
            "kind": "planned",
            "direction": "outbound",
            "communicationTypeId": 1,
            "channelId": 1,
            "clientId": client_id,
            "subject": "a\x00b",
        }
        r = c.post("/api/v1/communications", json=body)
        check("NUL accepted in communication subject", r.status_code == 400, f"{r.status_code}")

        # Logins
        def account(login: str) -> int:
            return c.post(
                "/api/v1/service-accounts",
                json={"name": login, "login": login, "password": "secret1", "roleIds": [1]},
            ).status_code

        a, b = account("x_straße"), account("X_STRASSE")
        check("x_straße and X_STRASSE both created", not (a == 201 and b == 201), f"{a},{b}")
        a, b = account("probe_ﬁ"), account("probe_fi")
        check("probe_ﬁ and probe_fi both created", not (a == 201 and b == 201), f"{a},{b}")
        for lookalike in ("ａdmin", "\u0410dmin", "Admin\u200b"):
            code = account(lookalike)
            check(f"lookalike of Admin {lookalike!r} accepted", code in (400, 409), f"{code}")
        # OPTIONS Allow header
        r = c.options("/api/v1/companies")
        allow = r.headers.get("allow", "")
        check("OPTIONS Allow leaves out GET", "GET" in allow, allow)


async def throttle(app: Any) -> None:
    transport = httpx.ASGITransport(app=app, client=("10.0.0.7", 1234))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as h:
        await h.post(
            "/api/v1/service-accounts",
            headers=ADMIN,
            json={"name": "victim", "login": "victim", "password": "secret1", "roleIds": [1]},
        )
        await h.post(
            "/api/v1/service-accounts",
            headers=ADMIN,
            json={"name": "other", "login": "other", "password": "secret2", "roleIds": [1]},
        )
        codes = await asyncio.gather(
            *[h.get("/api/v1/companies", headers=basic("victim", f"bad{i}")) for i in range(60)]
        )
        counts = {s: [r.status_code for r in codes].count(s) for s in {r.status_code for r in codes}}
        check("60 parallel wrong guesses all verified (no 429)", counts.get(429, 0) >= 45, str(counts))
        good_other = await h.get("/api/v1/companies", headers=basic("other", "secret2"))
        check(
            "correct password for another login refused from a throttled source",
            good_other.status_code == 200,
            str(good_other.status_code),
        )
        # Rotating X-Forwarded-For from a loopback peer
    transport = httpx.ASGITransport(app=app, client=("10.0.0.99", 1234))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as h:
        # Timing: unknown login vs wrong password
        unknown, known = [], []
        for i in range(8):
            t = time.perf_counter()
            await h.get("/api/v1/companies", headers=basic(f"nobody{i}", "x"))
            unknown.append(time.perf_counter() - t)
            t = time.perf_counter()
            await h.get("/api/v1/companies", headers=basic("Admin", f"wrong{i}"))
            known.append(time.perf_counter() - t)
        u, k = statistics.median(unknown) * 1000, statistics.median(known) * 1000
        check(
            "unknown login answers without hashing (timing)",
            u > 0.6 * k,
            f"unknown {u:.0f} ms, wrong password {k:.0f} ms",
        )


async def run_throttle(app: Any) -> None:
    if True:
        # Run the app's lifespan (startup seeds the Admin user).
        started = asyncio.Event()
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        await queue.put({"type": "lifespan.startup"})

        async def receive() -> dict[str, Any]:
            return await queue.get()

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "lifespan.startup.complete":
                started.set()
            if message["type"].startswith("lifespan.startup.failed"):
                raise RuntimeError(message)

        task = asyncio.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send))
        await started.wait()
        try:
            await throttle(app)
        finally:
            await queue.put({"type": "lifespan.shutdown"})
            await asyncio.wait_for(task, 10)


def forwarded_for_check() -> None:
    """A real `switchboard serve`: rotating X-Forwarded-For from loopback must not escape the throttle."""
    import os
    import subprocess
    import tempfile

    port = 18000 + os.getpid() % 1000
    env = {
        **os.environ,
        "PORT": str(port),
        "IN_PROCESS_WORKER": "0",
        "DATABASE_URL": f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/s.sqlite3",
    }
    server = subprocess.Popen(
        [".venv/bin/switchboard", "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if httpx.get(base + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        codes = [
            httpx.get(
                base + "/api/v1/companies",
                headers={**basic("Admin", f"bad{i}"), "X-Forwarded-For": f"198.51.100.{i}"},
            ).status_code
            for i in range(30)
        ]
        check(
            "rotating X-Forwarded-For escapes the throttle (real server)",
            429 in codes,
            f"{codes.count(401)}x401 {codes.count(429)}x429",
        )
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    http_checks()
    asyncio.run(run_throttle(new_app()))
    forwarded_for_check()
    print(f"{sum(f for _, f, _ in results)} fixed, {sum(not f for _, f, _ in results)} defects", flush=True)
