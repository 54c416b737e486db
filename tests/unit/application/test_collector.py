"""The collector pause: off inside, back on after the last of nested or concurrent pauses."""

from __future__ import annotations

import asyncio
import gc

import pytest

from application.collector import collector_paused


def test_the_collector_is_off_inside_and_on_again_after_the_outermost_pause() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause still holds
    assert gc.isenabled()


def test_a_failure_inside_still_ends_the_pause() -> None:
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


async def test_concurrent_tasks_end_the_pause_with_the_last_one() -> None:
    first_in, first_may_leave = asyncio.Event(), asyncio.Event()

    async def first() -> None:
        with collector_paused():
            first_in.set()
            await first_may_leave.wait()

    async def second() -> bool:
        await first_in.wait()
        with collector_paused():
            pass
        still_off = not gc.isenabled()
        first_may_leave.set()
        return still_off

    _, still_off = await asyncio.gather(first(), second())
    assert still_off and gc.isenabled()
