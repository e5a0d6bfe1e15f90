"""Request dependencies: authentication and database access.

Every endpoint that touches the database does all of its database work in ONE call to `run_db`
(or `read_db` for work that only reads, `read_rows` for reads on a Core connection), which runs a
function with a fresh Session (or Connection) on the database threads (`DatabaseThreads`), as many
as the connection pool has connections: one thread hop per request, and requests beyond the pool
queue in order instead of fighting for connections. The drivers are synchronous, so
the event loop stays free. No password hash ever runs inside these calls (routes/auth.py).
The exception is the task list on PostgreSQL, the hot path: `read_async` runs it on the event loop
with psycopg's asynchronous driver and its own pool (todo_api.read_pool), without a thread hop.
The bearer token is checked on the event loop (pure CPU, no database); that the user still exists
and the token's session has not ended (users.session_key) is checked inside the database call
(`require_user`, or the task list's own statement), on every request.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, TypeVar

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPBearer
from sqlalchemy import Connection, Engine, select
from sqlalchemy.orm import Session

from todo_api.models import User
from todo_api.security import Caller, InvalidToken
from todo_api.slots import Slots

T = TypeVar("T")
MAX_DB_INT = 2**31 - 1
USER_GONE = "Invalid token (user no longer exists)"
SESSION_ENDED = "Session ended (signed out, or the password changed); sign in again"


def unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=detail,
        headers={"WWW-Authenticate": "Bearer"},
    )


class BearerCaller(HTTPBearer):
    """The caller (user id and session key) of a valid bearer token, else 401. The token is checked
    on the event loop; the session against the database in the request's database call.

    One dependency that is also the OpenAPI security scheme (HTTPBearer's, same name), rather than
    a function depending on HTTPBearer: FastAPI resolves every dependency on every request, and the
    second one showed in the profile of the task list."""

    async def __call__(self, request: Request) -> Caller:  # type: ignore[override]
        credentials = await super().__call__(request)
        if credentials is None:
            raise unauthorized("Not authenticated: send Authorization: Bearer <token>")
        try:
            caller = request.app.state.tokens.caller(credentials.credentials)
        except InvalidToken as exc:
            raise unauthorized(f"Invalid or expired token ({exc})") from None
        if not 0 < caller.id <= MAX_DB_INT:
            raise unauthorized(USER_GONE)
        return caller


_bearer_caller = BearerCaller(
    auto_error=False, scheme_name="HTTPBearer", description="JWT from /api/auth/login or /api/auth/signup"
)
CurrentUser = Annotated[Caller, Depends(_bearer_caller)]


def require_user(session: Session | Connection, caller: Caller) -> None:
    """401 unless the token's user still exists and its session has not ended. Call at the start of
    every authenticated database call."""
    check_session(session.execute(select(User.session_key).where(User.id == caller.id)).scalar(), caller)


def check_session(current_key: str | None, caller: Caller) -> None:
    """401 unless `current_key`, the user's session key in the database (None: no such user), is the
    one the caller's token carries."""
    if current_key is None:
        raise unauthorized(USER_GONE)
    if current_key != caller.session_key:
        raise unauthorized(SESSION_ENDED)


def _with_session(factory: Callable[[], Session], fn: Callable[..., T], args: tuple) -> T:
    with factory() as session:
        return fn(session, *args)


def _with_connection(engine: Engine, fn: Callable[..., T], args: tuple) -> T:
    with engine.connect() as connection:
        return fn(connection, *args)


def _with_statements(engine: Engine, fn: Callable[..., T], args: tuple) -> T:
    with engine.begin() as connection:
        return fn(connection, *args)


class DatabaseThreads:
    """The threads that run database work, and the waiting room in front of them: at most `size`
    calls at once (the connection pool's size), the rest wait in order, up to `timeout` seconds.

    Plain asyncio (a semaphore and a ThreadPoolExecutor) rather than anyio's to_thread and
    CapacityLimiter: the profile of GET /api/tasks showed anyio's per-call bookkeeping (backend
    lookup, cancel scopes, a Condition-based queue hand-off) at about a tenth of the request's CPU.
    A call is not abandoned when its request is cancelled: its slot is given back only when the
    thread has finished with the connection."""

    def __init__(self, size: int, timeout: float) -> None:
        self.size = size
        self.timeout = timeout
        self._slots = Slots(size, timeout)
        self._executor = ThreadPoolExecutor(size, thread_name_prefix="db")

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        await self._slots.acquire()
        # The thread sees the request's context (request id in its log lines).
        future = asyncio.get_running_loop().run_in_executor(
            self._executor, contextvars.copy_context().run, fn, *args
        )
        future.add_done_callback(self._release)
        return await asyncio.shield(future)

    def _release(self, future: asyncio.Future) -> None:
        self._slots.release()
        if not future.cancelled():
            future.exception()  # retrieved, so an abandoned call's error is not logged as unhandled

    def close(self) -> None:
        self._executor.shutdown(wait=True)


async def run_db(request: Request, fn: Callable[..., T], *args: object) -> T:
    """fn(session, *args) on a database thread, with a session that is closed afterwards."""
    state = request.app.state
    return await state.db_threads.run(_with_session, state.sessionmaker, fn, args)


async def read_db(request: Request, fn: Callable[..., T], *args: object) -> T:
    """Like run_db, for work that only reads: on PostgreSQL in autocommit mode, so the statement is
    the only round trip (no BEGIN/ROLLBACK around it). fn must not write."""
    state = request.app.state
    return await state.db_threads.run(_with_session, state.read_sessionmaker, fn, args)


async def read_rows(request: Request, fn: Callable[..., T], *args: object) -> T:
    """Like read_db, with a Core Connection instead of a Session: for reads that build no ORM
    objects (the task list), so they do not pay for a Session's set-up and tear-down."""
    state = request.app.state
    return await state.db_threads.run(_with_connection, state.reading_engine, fn, args)


async def run_statements(request: Request, fn: Callable[..., T], *args: object) -> T:
    """fn(connection, *args) on a database thread, for statements that are each atomic on their own
    (the throttles' upserts, todo_api.throttle): on PostgreSQL in autocommit mode, one round trip per
    statement (no BEGIN/COMMIT around them); on SQLite in one transaction, committed at the end."""
    state = request.app.state
    return await state.db_threads.run(_with_statements, state.reading_engine, fn, args)


async def read_async(request: Request, fn: Callable[..., Awaitable[T]], *args: object) -> T:
    """await fn(connection, *args) with an autocommit psycopg AsyncConnection of the read pool, on the
    event loop (PostgreSQL only: todo_api.read_pool). For the hottest read, the task list: no thread
    hand-off. fn must not write."""
    async with request.app.state.read_pool.connection() as connection:
        return await fn(connection, *args)
