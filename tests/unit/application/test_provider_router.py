"""The provider router and its circuits, with scripted senders: which answers may close a circuit."""

from __future__ import annotations

import asyncio

from application.providers.router import ProviderRouter, Route
from application.sending.ports import OutgoingMessage, SendResult
from domain.dictionaries import ChannelKind
from domain.providers import CircuitBreaker, CircuitState


class ScriptedSender:
    """Answers each message as the test says, when the test says."""

    provider = "scripted"

    def __init__(self) -> None:
        self.answers: dict[str, asyncio.Future[SendResult]] = {}

    def answer(self, uuid: str, result: SendResult) -> None:
        self.answers.setdefault(uuid, asyncio.get_running_loop().create_future()).set_result(result)

    async def send(self, message: OutgoingMessage) -> SendResult:
        answer = self.answers.setdefault(message.uuid, asyncio.get_running_loop().create_future())
        return await answer


def message(uuid: str) -> OutgoingMessage:
    return OutgoingMessage(
        uuid=uuid, client_id=1, channel_id=1, channel_kind=ChannelKind.SMS, to="+15551234567"
    )


async def test_a_slow_success_begun_before_the_circuit_opened_leaves_it_open() -> None:
    now = [0.0]
    sender = ScriptedSender()
    breaker = CircuitBreaker(failures_to_open=2, cooldown=60)
    router = ProviderRouter({ChannelKind.SMS: [Route(sender=sender, breaker=breaker)]}, lambda: now[0])

    slow = asyncio.ensure_future(router.send(message("slow")))
    await asyncio.sleep(0)  # the slow message is with the provider
    now[0] = 1.0
    for uuid in ("a", "b"):
        sender.answer(uuid, SendResult.retry("500"))
        assert (await router.send(message(uuid)))[1].reason
    assert breaker.state is CircuitState.OPEN

    now[0] = 2.0
    sender.answer("slow", SendResult.sent("m1"))
    assert (await slow)[0] == "scripted"
    assert breaker.state is CircuitState.OPEN, "an answer from before the failures closed the circuit"
    paused = await router.send(message("c"))
    assert paused[0] is None and "circuit open" in (paused[1].reason or "")

    now[0] = 61.0
    sender.answer("probe", SendResult.sent("m2"))
    assert (await router.send(message("probe")))[0] == "scripted"
    assert breaker.state is CircuitState.CLOSED
