"""Provider benchmark: SMS through the Twilio adapter to a local Twilio stub with 50 ms of latency.

    .venv/bin/python -m bench.providers                       # 2,000 messages, concurrency 50
    .venv/bin/python -m bench.providers --count 10000         # the issue's size

Two measures, each with its baseline in the same run:

1. Throughput of ``TwilioSender`` (the twilio library's async client) at the configured concurrency,
   against the limit latency sets (concurrency / latency) and against bare aiohttp POSTs of the same
   form to the same stub (the transport's own ceiling on this machine).
2. Failover under a 30 % fault rate: the primary stub answers 500 to 30 % of requests at random, a
   backup stub takes everything; the provider router sends each message. Reported: mean and p95 time
   per message, against the same router with no faults, and so the latency failover adds per message.

The stubs run in their own processes (uvicorn), so that they do not share this process's CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import multiprocessing
import os
import random
import statistics
import time
from typing import Any
from urllib.parse import urlencode

import aiohttp

from adapters.twilio.sender import TwilioSender, TwilioSettings
from application.providers.router import ProviderRouter, Route
from application.sending.ports import OutgoingMessage, SendOutcome
from domain.dictionaries import ChannelKind
from domain.providers import CircuitBreaker

ACCOUNT, TOKEN = "AC" + "1" * 32, "token-" + "2" * 26


def _stub_process(latency: float, fault_rate: float, seed: int, ready: Any, stop: Any) -> None:
    from tests.support.twilio_stub import twilio_stub

    rng = random.Random(seed)

    def faults(form: dict[str, str]) -> str | None:
        return "500" if rng.random() < fault_rate else None

    with twilio_stub(account_sid=ACCOUNT, auth_token=TOKEN, latency=latency, faults=faults) as stub:
        ready.put(stub.url)
        stop.wait()


class Stub:
    def __init__(self, latency: float, fault_rate: float = 0.0, seed: int = 1) -> None:
        context = multiprocessing.get_context("spawn")
        ready, self._stop = context.Queue(), context.Event()
        self._process = context.Process(
            target=_stub_process, args=(latency, fault_rate, seed, ready, self._stop), daemon=True
        )
        self._process.start()
        self.url: str = ready.get(timeout=60)

    def close(self) -> None:
        self._stop.set()
        self._process.join(timeout=10)


def message(i: int) -> OutgoingMessage:
    return OutgoingMessage(
        uuid=f"00000000-0000-4000-8000-{i:012d}",
        client_id=i,
        channel_id=1,
        channel_kind=ChannelKind.SMS,
        to=f"+1555{i % 10_000_000:07d}",
        text="Your code is 1234",
    )


def sender(url: str, concurrency: int, name: str = "twilio") -> TwilioSender:
    return TwilioSender(
        TwilioSettings(
            account_sid=ACCOUNT,
            auth_token=TOKEN,
            from_number="+15550006666",
            api_url=url,
            status_callback_url="https://switchboard.example/webhooks/twilio/status",
            concurrency=concurrency,
        ),
        name=name,
    )


async def bare_aiohttp(url: str, count: int, concurrency: int) -> float:
    """The same POSTs without the twilio library: the transport's ceiling; returns seconds."""
    auth = "Basic " + base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()
    headers = {"Authorization": auth, "Content-Type": "application/x-www-form-urlencoded"}
    slots = asyncio.Semaphore(concurrency)
    endpoint = f"{url}/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:

        async def one(i: int) -> None:
            async with slots:
                form = urlencode({"To": message(i).to, "From": "+15550006666", "Body": "Your code is 1234"})
                async with session.post(endpoint, data=form, headers=headers) as answer:
                    assert answer.status == 201, answer.status
                    await answer.read()

        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(count)))
        return time.perf_counter() - started


async def through_adapter(url: str, count: int, concurrency: int) -> float:
    twilio = sender(url, concurrency)
    try:
        await asyncio.gather(*(twilio.send(message(i)) for i in range(min(concurrency, count))))  # warm-up
        started = time.perf_counter()
        results = await asyncio.gather(*(twilio.send(message(i)) for i in range(count)))
        elapsed = time.perf_counter() - started
    finally:
        await twilio.close()
    assert all(r.outcome is SendOutcome.SENT for r in results), "the stub refused some messages"
    return elapsed


async def routed(primary_url: str, backup_url: str, count: int, concurrency: int) -> dict[str, Any]:
    primary, backup = sender(primary_url, concurrency), sender(backup_url, concurrency, "twilio_backup")
    routes = [
        Route(sender=primary, priority=0, breaker=CircuitBreaker(failures_to_open=5, cooldown=30)),
        Route(sender=backup, priority=1, breaker=CircuitBreaker(failures_to_open=5, cooldown=30)),
    ]
    router = ProviderRouter({ChannelKind.SMS: routes}, time.monotonic)
    slots = asyncio.Semaphore(concurrency)
    times: list[float] = []

    async def one(i: int) -> str | None:
        async with slots:
            started = time.perf_counter()
            provider, result = await router.send(message(i))
            times.append(time.perf_counter() - started)
            assert result.outcome is SendOutcome.SENT, result.reason
            return provider

    try:
        started = time.perf_counter()
        providers = await asyncio.gather(*(one(i) for i in range(count)))
        elapsed = time.perf_counter() - started
    finally:
        await router.close()
    times.sort()
    state = {s.provider: s for s in router.states()}
    return {
        "elapsed": elapsed,
        "mean_ms": statistics.fmean(times) * 1000,
        "p95_ms": times[int(len(times) * 0.95)] * 1000,
        "by_backup": sum(1 for p in providers if p == "twilio_backup"),
        "primary_failures": state["twilio"].failed,
        "circuit_opened": routes[0].breaker.opened_count,
    }


async def main(args: argparse.Namespace) -> None:
    latency = args.latency_ms / 1000
    limit = args.concurrency / latency
    clean, faulty, backup = (
        Stub(latency),
        Stub(latency, fault_rate=args.fault_rate, seed=7),
        Stub(latency),
    )
    try:
        bare = await bare_aiohttp(clean.url, args.count, args.concurrency)
        adapter = await through_adapter(clean.url, args.count, args.concurrency)
        no_faults = await routed(clean.url, backup.url, args.failover_count, args.concurrency)
        with_faults = await routed(faulty.url, backup.url, args.failover_count, args.concurrency)
    finally:
        for stub in (clean, faulty, backup):
            stub.close()
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; ", end="")
    print(f"{args.count} SMS, concurrency {args.concurrency}, latency {args.latency_ms:g} ms")
    print(f"limit set by latency (concurrency / latency): {limit:,.0f} msg/s")
    for label, seconds in (("bare aiohttp POSTs", bare), ("TwilioSender", adapter)):
        rate = args.count / seconds
        print(f"{label + ':':20}{rate:,.0f} msg/s ({rate / limit:.2f} of the limit)")
    added = with_faults["mean_ms"] - no_faults["mean_ms"]
    print(
        f"router, no faults: mean {no_faults['mean_ms']:.1f} ms, p95 {no_faults['p95_ms']:.1f} ms a message"
    )
    print(
        f"router, {args.fault_rate:.0%} faults: mean {with_faults['mean_ms']:.1f} ms, "
        f"p95 {with_faults['p95_ms']:.1f} ms; added {added:.1f} ms a message; "
        f"{with_faults['primary_failures']} primary failures, "
        f"{with_faults['by_backup']} of {args.failover_count} sent by the backup, "
        f"circuit opened {with_faults['circuit_opened']} times"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--failover-count", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--fault-rate", type=float, default=0.3)
    try:  # the loop the server and the worker run on (uvicorn picks uvloop when it is installed)
        import uvloop

        uvloop.run(main(parser.parse_args()))
    except ImportError:
        asyncio.run(main(parser.parse_args()))
