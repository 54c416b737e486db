"""The driver readers' bound: never more connections open than their size, whatever the timing."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from adapters.sqlalchemy.fastpath import DriverReaders


class Driver:
    """Stands for a bare driver connection; counts how many are open at once."""

    def __init__(self) -> None:
        self.open = 0
        self.most = 0

    async def connect(self) -> object:
        self.open += 1
        self.most = max(self.most, self.open)
        await asyncio.sleep(0)  # a real connect gives the loop away
        return object()

    async def close(self, _connection: Any) -> None:
        self.open -= 1
        await asyncio.sleep(0)  # so does a real close: others run meanwhile


async def test_a_newcomer_does_not_take_the_place_a_discarded_reader_left_to_its_waiter() -> None:
    driver = Driver()
    readers = DriverReaders(None, driver.connect, driver.close, size=1)  # type: ignore[arg-type]
    held = asyncio.Event()
    fail = asyncio.Event()

    async def failing() -> None:
        with pytest.raises(RuntimeError):
            async with readers.connection():
                held.set()
                await fail.wait()
                raise RuntimeError("the statement failed")

    async def reader() -> None:
        async with readers.connection():
            await asyncio.sleep(0)

    first = asyncio.create_task(failing())
    await held.wait()
    waiter = asyncio.create_task(reader())
    await asyncio.sleep(0)  # the waiter queues for the one connection
    fail.set()
    await asyncio.sleep(0)  # the failed reader is being closed...
    newcomer = asyncio.create_task(reader())  # ...when a newcomer asks
    await asyncio.gather(first, waiter, newcomer)
    assert driver.most == 1
    assert readers._open == len(readers._idle) == 1


async def test_a_waiter_cancelled_as_a_place_is_handed_to_it_passes_the_place_on() -> None:
    driver = Driver()
    readers = DriverReaders(None, driver.connect, driver.close, size=1)  # type: ignore[arg-type]
    held = asyncio.Event()
    fail = asyncio.Event()

    async def failing() -> None:
        with pytest.raises(RuntimeError):
            async with readers.connection():
                held.set()
                await fail.wait()
                raise RuntimeError("the statement failed")

    async def reader() -> None:
        async with readers.connection():
            await asyncio.sleep(0)

    first = asyncio.create_task(failing())
    await held.wait()
    cancelled = asyncio.create_task(reader())
    await asyncio.sleep(0)
    fail.set()
    await asyncio.sleep(0)  # the failed reader starts closing
    await asyncio.sleep(0)  # closed: its place is handed to ``cancelled``, which has not run yet
    cancelled.cancel()
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    await first
    await asyncio.wait_for(reader(), timeout=5)  # the place was not lost
    assert driver.most == 1
    assert None not in readers._idle
    assert readers._open == len(readers._idle) == 1
