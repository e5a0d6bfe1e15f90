"""deps.DatabaseThreads: the threads that run database calls and the waiting room in front of them."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from todo_api.deps import DatabaseThreads

_var: contextvars.ContextVar[str] = contextvars.ContextVar("test_var", default="unset")


def test_a_call_runs_on_another_thread_with_the_callers_context():
    async def main() -> tuple[str, int]:
        threads = DatabaseThreads(2, timeout=5)
        try:
            _var.set("request-42")
            return await threads.run(lambda: (_var.get(), threading.get_ident()))
        finally:
            threads.close()

    seen, ident = asyncio.run(main())
    assert seen == "request-42"  # log lines written in the call carry the request id
    assert ident != threading.get_ident()


@asynccontextmanager
async def _one_thread_held() -> AsyncIterator[tuple[DatabaseThreads, asyncio.Future, threading.Event]]:
    """Database threads with one slot (0.2 s wait), taken by a call that blocks until the event is set."""
    release = threading.Event()
    threads = DatabaseThreads(1, timeout=0.2)
    try:
        busy = asyncio.ensure_future(threads.run(release.wait, 5))
        await asyncio.sleep(0.05)
        yield threads, busy, release
    finally:
        release.set()
        threads.close()


def test_waiting_longer_than_the_timeout_is_a_pool_timeout():
    async def main() -> None:
        async with _one_thread_held() as (threads, busy, release):
            started = time.monotonic()
            with pytest.raises(PoolTimeoutError, match="no database connection became free"):
                await threads.run(lambda: None)
            assert 0.15 < time.monotonic() - started < 2
            release.set()
            assert await busy is True

    asyncio.run(main())


def test_a_cancelled_call_keeps_its_slot_until_its_thread_is_done():
    """The request went away, but its thread still holds a connection: the slot stays taken, or
    more calls than connections would run at once."""

    async def main() -> None:
        async with _one_thread_held() as (threads, busy, release):
            busy.cancel()
            with pytest.raises(asyncio.CancelledError):
                await busy
            with pytest.raises(PoolTimeoutError):
                await threads.run(lambda: "too early")
            release.set()
            assert await threads.run(lambda: "after it finished") == "after it finished"

    asyncio.run(main())
