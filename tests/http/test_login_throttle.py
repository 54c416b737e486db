"""The login throttle under real parallel requests through the ASGI app, and behind proxies.

Each test builds the app on in-memory storage and sends its burst with httpx over ASGITransport,
all at once (asyncio.gather), from a peer address of its choosing.
"""

from __future__ import annotations

import asyncio
import base64
import threading
from collections import Counter
from typing import Any

import httpx
from dependency_injector import providers

from adapters.security import Argon2PasswordHasher
from entrypoints.container import build_container
from entrypoints.http.app import create_app
from entrypoints.settings import Settings


class CountingHasher:
    """Real argon2id (cheap settings), counting the verifications that reach it."""

    def __init__(self) -> None:
        self._real = Argon2PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        self._lock = threading.Lock()
        self.verified = 0

    def hash(self, password: str) -> str:
        return self._real.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        with self._lock:
            self.verified += 1
        return self._real.verify(password_hash, password)


def basic(login: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()}


async def started(**settings: Any) -> tuple[Any, CountingHasher]:
    app_settings = Settings(storage="memory", **settings)
    container = build_container(app_settings)
    hasher = CountingHasher()
    container.core.hasher.override(providers.Object(hasher))
    app = create_app(container, app_settings)
    await container.use_cases.bootstrap()(None)  # what the lifespan does: the Admin user exists
    return app, hasher


def client(app: Any, peer: str = "10.0.0.1") -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(peer, 40000)), base_url="http://sb"
    )


async def burst(http: httpx.AsyncClient, requests: list[dict[str, str]]) -> Counter[int]:
    answers = await asyncio.gather(*(http.get("/api/v1/roles", headers=h) for h in requests))
    return Counter(a.status_code for a in answers)


async def test_a_parallel_burst_of_guesses_reaches_the_hash_only_up_to_the_limit() -> None:
    app, hasher = await started(login_failures_per_minute=10)
    async with client(app) as http:
        guesses = [basic("Admin", f"guess{n}") for n in range(199)] + [basic("Admin", "admin")]
        before = hasher.verified  # the start-up checks whether Admin still has the default password
        answers = await burst(http, guesses)
        assert answers[429] >= 190
        assert answers[401] + answers[200] <= 10
        assert hasher.verified - before <= 10
        refused = await http.get("/api/v1/roles", headers=basic("Admin", "guess-again"))
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) >= 1
        assert refused.json()["code"] == 429


async def test_rotating_x_forwarded_for_from_an_untrusted_peer_does_not_escape_the_throttle() -> None:
    app, _ = await started(login_failures_per_minute=10)
    async with client(app, peer="127.0.0.1") as http:
        guesses = [{**basic("Admin", f"g{n}"), "X-Forwarded-For": f"203.0.113.{n}"} for n in range(50)]
        answers = await burst(http, guesses)
        assert answers[401] <= 10
        assert answers[429] >= 40


async def test_a_spoofed_header_cannot_throttle_somebody_elses_address() -> None:
    app, _ = await started(login_failures_per_minute=3)
    async with client(app, peer="10.0.0.66") as attacker:
        spoofed = [{**basic("Admin", f"g{n}"), "X-Forwarded-For": "10.0.0.7"} for n in range(10)]
        await burst(attacker, spoofed)
    async with client(app, peer="10.0.0.7") as victim:
        assert (await victim.get("/api/v1/roles", headers=basic("Admin", "admin"))).status_code == 200


async def test_behind_a_trusted_proxy_the_forwarded_address_is_the_source() -> None:
    app, _ = await started(login_failures_per_minute=3, trusted_proxies=("127.0.0.1",))
    async with client(app, peer="127.0.0.1") as proxy:
        guesser = {"X-Forwarded-For": "198.51.100.9"}
        answers = await burst(proxy, [{**basic("Admin", f"g{n}"), **guesser} for n in range(8)])
        assert answers == Counter({401: 3, 429: 5})
        # Another client behind the same proxy is a different source, with the right password.
        other = await proxy.get(
            "/api/v1/roles", headers={**basic("Admin", "admin"), "X-Forwarded-For": "198.51.100.10"}
        )
        assert other.status_code == 200


async def test_a_correct_password_from_a_source_throttled_for_another_login_is_accepted() -> None:
    app, _ = await started(login_failures_per_minute=3)
    async with client(app) as http:
        answers = await burst(http, [basic("somebody", f"g{n}") for n in range(6)])
        assert answers[429] == 3
        assert (await http.get("/api/v1/roles", headers=basic("Admin", "admin"))).status_code == 200
        assert (await http.get("/api/v1/roles", headers=basic("somebody", "x"))).status_code == 429


async def test_spraying_many_logins_from_one_source_meets_the_source_cap() -> None:
    app, _ = await started(login_failures_per_minute=3, login_failures_per_source_per_minute=20)
    async with client(app) as http:
        answers = await burst(http, [basic(f"user{n}", "password") for n in range(30)])
        assert answers == Counter({401: 20, 429: 10})
    async with client(app, peer="10.0.0.2") as elsewhere:
        assert (await elsewhere.get("/api/v1/roles", headers=basic("Admin", "admin"))).status_code == 200


async def test_guessing_one_login_from_many_sources_meets_the_login_cap() -> None:
    app, _ = await started(login_failures_per_minute=3, login_failures_per_login_per_minute=12)
    clients = [client(app, peer=f"10.1.0.{n}") for n in range(30)]
    answers = await asyncio.gather(
        *(c.get("/api/v1/roles", headers=basic("Admin", f"g{n}")) for n, c in enumerate(clients))
    )
    for c in clients:
        await c.aclose()
    assert Counter(a.status_code for a in answers) == Counter({401: 12, 429: 18})


def test_serve_tells_uvicorn_to_believe_proxy_headers_only_from_trusted_proxies(monkeypatch: Any) -> None:
    import uvicorn

    from entrypoints import cli

    seen: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *_, **options: seen.append(options))
    cli.serve(Settings(storage="memory"))
    cli.serve(Settings(storage="memory", trusted_proxies=("10.0.0.0/8", "127.0.0.1")))
    assert seen[0]["proxy_headers"] is False
    assert (seen[1]["proxy_headers"], seen[1]["forwarded_allow_ips"]) == (True, "10.0.0.0/8,127.0.0.1")


def test_trusted_proxies_come_from_the_environment() -> None:
    settings = Settings.from_env({"TRUSTED_PROXIES": " 10.0.0.1, 192.168.0.0/16 ,"})
    assert settings.trusted_proxies == ("10.0.0.1", "192.168.0.0/16")
    assert Settings.from_env({}).trusted_proxies == ()
