"""PostgreSQL only: an asynchronous connection pool (psycopg 3's, psycopg_pool) for the hot read, the
task list, which then runs on the event loop instead of a database thread (todo_api.deps).

Why: the profile of GET /api/tasks at 32 clients showed the hand-off to a database thread and back
(executor queue, thread wake-up, the GIL passed twice between the loop and the thread, the loop's
wake-up from the thread) as the largest single cost after the framework itself, and the thread waiting
for the GIL behind the busy loop (the 5 ms switch interval) as a source of the tail. On the loop, the
query is sent and its reply awaited like any socket read. Everything else (writes, sign-in, the
assistant) keeps the SQLAlchemy engine and the threads; SQLite has no such pool.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import Engine

from todo_api import db
from todo_api.slots import Slots


def connect_kwargs(engine: Engine) -> dict[str, object]:
    """The engine's own connection parameters (host, user, dbname, query options such as sslmode or
    search_path), as psycopg.connect() takes them, so both pools reach the same database alike."""
    _args, params = engine.dialect.create_connect_args(engine.url)
    params.pop("context", None)  # SQLAlchemy's type adapters for its own connections
    params.setdefault("connect_timeout", db.CONNECT_TIMEOUT_SECONDS)
    return params


class ReadPool:
    """At most `size` autocommit connections (each read is one statement, one round trip), opened on
    demand; a request that gets none within `timeout` seconds fails with SQLAlchemy's TimeoutError
    (waiting for a slot) or psycopg_pool.PoolTimeout (waiting for a new connection), both 503 with
    Retry-After (app.py). Like the engine's pool (db._ping_when_idle), a connection idle
    for more than db.PING_AFTER_IDLE_SECONDS is checked (SELECT 1) before reuse, and a dead one is
    replaced: serverless PostgreSQL (Neon) closes idle connections."""

    def __init__(self, engine: Engine, size: int, timeout: float, statement_timeout_ms: int = 0) -> None:
        self.timeout = timeout
        # Requests queue here, not in the pool: its waiting line costs a task and a condition per
        # waiter, and with 32 clients on 10 connections nearly every request waited there.
        self._slots = Slots(size, timeout)
        self._idle_since: weakref.WeakKeyDictionary[AsyncConnection, float] = weakref.WeakKeyDictionary()
        kwargs = {**connect_kwargs(engine), "autocommit": True}
        self._pool = AsyncConnectionPool(
            kwargs=kwargs,
            min_size=0,
            max_size=size,
            open=False,
            timeout=timeout,
            check=self._check,
            configure=self._configure,
            name="read",
        )
        self._statement_timeout_ms = statement_timeout_ms

    async def _configure(self, conn: AsyncConnection) -> None:
        await conn.execute(db.statement_timeout_sql(self._statement_timeout_ms))

    async def open(self) -> None:
        await self._pool.open(wait=False)  # connects on first use: a database that is down is a 503

    async def close(self) -> None:
        await self._pool.close()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection]:
        waiting_since = time.monotonic()
        await self._slots.acquire()
        try:
            # A free slot means a connection is free or may be opened: wait only for the rest of it.
            waited = time.monotonic() - waiting_since
            conn = await self._pool.getconn(timeout=max(self.timeout - waited, 0.001))
        except BaseException:
            self._slots.release()
            raise
        try:
            yield conn
        finally:
            await self._pool.putconn(conn)
            self._slots.release()
            # Noted here rather than in the pool's `reset` callback: with one, the pool returns every
            # connection through its worker task, a trip round the busy event loop during which the
            # connection is neither in use nor available (more requests waited for one).
            self._idle_since[conn] = time.monotonic()

    async def _check(self, conn: AsyncConnection) -> None:
        idle_since = self._idle_since.get(conn)
        if idle_since is not None and time.monotonic() - idle_since >= db.PING_AFTER_IDLE_SECONDS:
            await conn.execute("SELECT 1")  # raises on a closed connection: the pool replaces it
