"""At most `size` at once, the others wait in order, up to `timeout` seconds: the waiting room in front
of the database threads (todo_api.deps) and of the task list's pool (todo_api.read_pool)."""

from __future__ import annotations

import asyncio

from sqlalchemy.exc import TimeoutError as PoolTimeoutError


class Slots:
    def __init__(self, size: int, timeout: float) -> None:
        self.size = size
        self.timeout = timeout
        self._free = asyncio.Semaphore(size)

    async def acquire(self) -> None:
        """Take a slot; PoolTimeoutError (answered 503 with Retry-After, app.py) after `timeout`
        seconds of waiting, as if it had waited that long for a connection."""
        free = self._free
        if not free.locked():
            await free.acquire()  # free: returns at once, without setting up a timeout
            return
        try:
            async with asyncio.timeout(self.timeout):
                await free.acquire()
        except TimeoutError:
            raise PoolTimeoutError("no database connection became free in time") from None

    def release(self) -> None:
        self._free.release()
