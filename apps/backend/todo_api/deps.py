"""Request dependencies: authentication and database access.

Every endpoint that touches the database does all of its database work in ONE call to `run_db`,
which runs a function with a fresh Session and closes it afterwards:
- PostgreSQL: on the event loop, through psycopg 3's async driver (`AsyncSession.run_sync` runs the
  same synchronous code, awaiting the driver wherever it would block);
- SQLite: in the thread pool behind a small limiter (the sqlite3 module is synchronous, and a
  locked database may make a call wait up to busy_timeout, which must not stall the event loop).
The bearer token is checked on the event loop (pure CPU, no database); that the user still exists is
checked inside the database call (`require_user`). No password hash ever runs inside `run_db`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

import anyio.to_thread
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
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


def _with_session(request: Request, fn: Callable[..., T], args: tuple) -> T:
    with request.app.state.sessionmaker() as session:
        return fn(session, *args)


async def run_db(request: Request, fn: Callable[..., T], *args: object) -> T:
    """fn(session, *args) with a session that is closed afterwards (see the module docstring)."""
    state = request.app.state
    if state.async_sessionmaker is not None:
        async with state.async_sessionmaker() as session:
            return await session.run_sync(fn, *args)
    return await anyio.to_thread.run_sync(_with_session, request, fn, args, limiter=state.db_limiter)


async def read_db(request: Request, fn: Callable[..., T], *args: object) -> T:
    """Like run_db, for work that only reads: on PostgreSQL in autocommit mode, so the statement is
    the only round trip (no BEGIN/ROLLBACK around it). fn must not write."""
    state = request.app.state
    if state.async_read_sessionmaker is not None:
        async with state.async_read_sessionmaker() as session:
            return await session.run_sync(fn, *args)
    return await anyio.to_thread.run_sync(_with_session, request, fn, args, limiter=state.db_limiter)
