"""Request dependencies: authentication and database access.

Every endpoint that touches the database does all of its database work in ONE call to `run_db`
(or `read_db` for work that only reads), which runs a function with a fresh Session in the thread
pool, behind a limiter the size of the connection pool: one thread hop per request, and requests
beyond the pool queue in order instead of fighting for connections. The drivers are synchronous, so
the event loop stays free. No password hash ever runs inside these calls (routes/auth.py).
The bearer token is checked on the event loop (pure CPU, no database); that the user still exists is
checked inside the database call (`require_user`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

import anyio.to_thread
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session

from todo_api.models import User
from todo_api.security import InvalidToken

T = TypeVar("T")
MAX_DB_INT = 2**31 - 1

_bearer = HTTPBearer(auto_error=False, description="JWT from /api/auth/login or /api/auth/signup")


def unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=detail,
        headers={"WWW-Authenticate": "Bearer"},
    )


async def get_token_user_id(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> int:
    """The user id in a valid bearer token, else 401."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise unauthorized("Not authenticated: send Authorization: Bearer <token>")
    try:
        user_id = request.app.state.tokens.user_id(credentials.credentials)
    except InvalidToken as exc:
        raise unauthorized(f"Invalid or expired token ({exc})") from None
    if not 0 < user_id <= MAX_DB_INT:
        raise unauthorized("Invalid token (user no longer exists)")
    return user_id


UserId = Annotated[int, Depends(get_token_user_id)]


def require_user(session: Session, user_id: int) -> None:
    """401 unless the token's user still exists. Call at the start of every authenticated db call."""
    if session.execute(select(User.id).where(User.id == user_id)).first() is None:
        raise unauthorized("Invalid token (user no longer exists)")


def _with_session(factory: Callable[[], Session], fn: Callable[..., T], args: tuple) -> T:
    with factory() as session:
        return fn(session, *args)


async def _in_thread(
    request: Request, factory: Callable[[], Session], fn: Callable[..., T], args: tuple
) -> T:
    """fn in the thread pool once a database slot is free. A request that waits longer than
    DB_POOL_TIMEOUT_SECONDS for one gets sqlalchemy's pool TimeoutError (503 with Retry-After, app.py),
    as if it had waited that long for a connection: the limiter is the pool's waiting room."""
    state = request.app.state
    try:
        with anyio.fail_after(state.settings.db_pool_timeout_seconds):
            await state.db_limiter.acquire()
    except TimeoutError:
        raise PoolTimeoutError("no database connection became free in time") from None
    try:
        return await anyio.to_thread.run_sync(_with_session, factory, fn, args)
    finally:
        state.db_limiter.release()


async def run_db(request: Request, fn: Callable[..., T], *args: object) -> T:
    """fn(session, *args) in the thread pool, with a session that is closed afterwards."""
    return await _in_thread(request, request.app.state.sessionmaker, fn, args)


async def read_db(request: Request, fn: Callable[..., T], *args: object) -> T:
    """Like run_db, for work that only reads: on PostgreSQL in autocommit mode, so the statement is
    the only round trip (no BEGIN/ROLLBACK around it). fn must not write."""
    return await _in_thread(request, request.app.state.read_sessionmaker, fn, args)
