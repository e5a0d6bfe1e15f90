"""Sign up, log in, who am I.

Password hashes (argon2id, ~19 MiB and tens of milliseconds each) run on their own bounded pool
(security.Passwords), never inside a database call: a login flood queues for the hash pool and
leaves the connection pool to the other endpoints. Sign-ins are throttled per account (a
reservation before the hash, then exponential back-off) and per client address (a window);
signups per address and in total: all shared by every replica through the database (see
todo_api.throttle). Each password check is logged (`password checked`, logger todo_api.auth) and
counted (app.state.password_checks), so a test can count them.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio
from fastapi import APIRouter, HTTPException, Request, Response, status
from sqlalchemy import Connection, Row, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from todo_api import password_policy
from todo_api.client_address import client_address
from todo_api.deps import CurrentUser, check_session, read_db, run_db, run_statements
from todo_api.models import User, new_session_key
from todo_api.schemas import MALFORMED_JSON, Credentials, ErrorOut, LoginIn, PasswordChange, TokenOut, UserOut
from todo_api.security import Caller
from todo_api.throttle import ACCOUNT_PREFIX, LoginLimits, SharedLimits, Window

router = APIRouter(prefix="/api/auth", tags=["auth"], responses=MALFORMED_JSON)
log = logging.getLogger("todo_api.auth")
_throttled = {429: {"model": ErrorOut, "description": "too many attempts; see Retry-After"}}
T = TypeVar("T")
_USER_COLUMNS = (User.id, User.email, User.password_hash, User.created_at, User.session_key)


def _token_response(
    request: Request, response: Response, user: User | Row, session_key: str | None = None
) -> TokenOut:
    tokens = request.app.state.tokens
    response.headers["Cache-Control"] = "no-store"  # a token must not sit in any cache
    response.headers["Pragma"] = "no-cache"
    return TokenOut(
        access_token=tokens.issue(user.id, session_key or user.session_key),
        expires_in=tokens.expire_minutes * 60,
        user=UserOut.model_validate(user),
    )


def _too_many(seconds: int, what: str = "Too many failed attempts") -> HTTPException:
    return HTTPException(
        status.HTTP_429_TOO_MANY_REQUESTS,
        f"{what}; try again in {seconds} s",
        headers={"Retry-After": str(seconds)},
    )


def _address_key(request: Request, subject: str) -> str:
    """The throttles' key for the client: its address, or, when that cannot be known (see
    client_address), the account or email the request names: never one key for every client."""
    address = client_address(request)
    return f"addr:{address}" if address is not None else f"noaddr:{subject}"


def _failures_key(address_key: str) -> str:
    return f"login-{address_key}"


def _reserve_signup(
    conn: Connection, limits: SharedLimits, address_key: str, now: float
) -> HTTPException | None:
    """Takes one signup from the address's and the total budget, or says why not (counting nothing)."""
    if (wait := limits.address_failures.wait(conn, _failures_key(address_key), now)) is not None:
        return _too_many(wait)
    signup_key = f"signup-{address_key}"
    if (wait := limits.signups_per_address.take(conn, signup_key, now)) is not None:
        return _too_many(wait, "Too many signups from this address")
    if (wait := limits.signups_total.take(conn, "signup-all", now)) is not None:
        Window.give_back(conn, signup_key)
        return _too_many(wait, "Too many signups right now")
    return None


def _insert_user(session: Session, email: str, password_hash: str) -> User | None:
    user = User(email=email, password_hash=password_hash)
    session.add(user)
    try:
        session.commit()
    except IntegrityError:  # the email is taken (or a concurrent signup won the race)
        session.rollback()
        return None
    return user


@router.post(
    "/signup",
    status_code=status.HTTP_201_CREATED,
    responses={409: {"model": ErrorOut, "description": "email already registered"}, **_throttled},
)
async def signup(body: Credentials, request: Request, response: Response) -> TokenOut:
    state = request.app.state
    limits: SharedLimits = state.limits
    address_key = _address_key(request, body.email)
    refused = await run_statements(request, _reserve_signup, limits, address_key, limits.clock())
    if refused is not None:
        raise refused
    # Hash first, whether or not the email is taken: "email exists" costs as much as a login, so
    # probing for accounts through signup is no faster than through login.
    password_hash = await state.passwords.hash(body.password)
    user = await run_db(request, _insert_user, body.email, password_hash)
    if user is None:
        failures = limits.address_failures
        await run_statements(request, failures.add, _failures_key(address_key), limits.clock())
        raise HTTPException(status.HTTP_409_CONFLICT, "An account with this email already exists")
    return _token_response(request, response, user)


def _find_user(conn: Connection | Session, email: str, raw_email: str) -> Row | None:
    user = conn.execute(select(*_USER_COLUMNS).where(User.email == email)).first()
    if user is None and raw_email != email:
        # An account whose stored address clashed with another's when emails were normalised
        # (revision 0003) kept its old, only lower-cased form.
        user = conn.execute(select(*_USER_COLUMNS).where(User.email == raw_email)).first()
    return user


def _reserve_login(
    conn: Connection, limits: SharedLimits, body: LoginIn, address_key: str, now: float
) -> tuple[int | None, int, Row | None]:
    """Reserves the attempt before its password is checked (todo_api.throttle): one failure from the
    address's budget, one from the account's; (seconds to wait, 0, None) when either is spent, else
    (None, the account's failures in a row counting this one, the user row or None)."""
    wait, failures = _reserve_attempt(conn, limits, body.account, address_key, now)
    if wait is not None:
        return wait, 0, None
    return None, failures, _find_user(conn, body.account, body.legacy_account)


def _reserve_attempt(
    conn: Connection, limits: SharedLimits, account: str, address_key: str, now: float
) -> tuple[int | None, int]:
    """One failure from the address's budget, then one from the account's (given back to the address
    when the account's is spent): (seconds to wait, 0), or (None, the account's failures in a row)."""
    failures_key = _failures_key(address_key)
    if (wait := limits.address_failures.take(conn, failures_key, now)) is not None:
        return wait, 0
    wait, failures = limits.login.reserve(conn, ACCOUNT_PREFIX + account, now)
    if wait is not None:
        Window.give_back(conn, failures_key)
    return wait, failures


def _login_failed(conn: Connection, limits: SharedLimits, account: str, failures: int, now: float) -> None:
    limits.login.failed(conn, ACCOUNT_PREFIX + account, failures, now)


def _login_succeeded(conn: Connection, account: str, address_key: str) -> None:
    """A success clears the account's failures and gives back the address's reserved one."""
    LoginLimits.succeeded(conn, ACCOUNT_PREFIX + account)
    Window.give_back(conn, _failures_key(address_key))


def _login_abandoned(
    conn: Connection, limits: SharedLimits, account: str, failures: int, address_key: str, now: float
) -> None:
    limits.login.abandoned(conn, ACCOUNT_PREFIX + account, failures, now)
    Window.give_back(conn, _failures_key(address_key))


async def _check_and_record(
    request: Request,
    limits: SharedLimits,
    reservation: tuple[str, str, int],
    password_hash: str | None,
    password: str,
    record_success: Callable[[], Awaitable[T]],
) -> T | None:
    """Checks a reserved attempt's password and records the verdict: a wrong one counts as the
    account's failure (None); a right one runs `record_success` and returns its result.
    `reservation` is (account, address key, the account's failures counting this one).

    The verdict is written shielded, so a cancelled request keeps it. Anything that fails before the
    verdict is recorded (the hash pool, the database, a cancelled request) gives the reservation
    back, shielded too, so the address's failure and the account's hold do not outlive it."""
    account, address_key, failures = reservation
    recorded = False
    try:
        matched = await _check_password(request, password_hash, password)
        with anyio.CancelScope(shield=True):
            if matched:
                result: T | None = await record_success()
            else:
                await run_statements(request, _login_failed, limits, account, failures, limits.clock())
                result = None
            recorded = True
        return result
    except BaseException:
        if not recorded:
            with anyio.CancelScope(shield=True):
                await run_statements(
                    request, _login_abandoned, limits, account, failures, address_key, limits.clock()
                )
        raise


def _store_hash(session: Session, user_id: int, password_hash: str) -> None:
    user = session.get(User, user_id)
    if user is not None:
        user.password_hash = password_hash
        session.commit()


async def _check_password(request: Request, password_hash: str | None, password: str) -> bool:
    """One password check, logged and counted (a cluster test counts them from the logs)."""
    state = request.app.state
    matched = await state.passwords.verify(password_hash, password)
    state.password_checks += 1
    log.info("password checked", extra={"outcome": "match" if matched else "mismatch"})
    return matched


@router.post(
    "/login",
    responses={401: {"model": ErrorOut, "description": "wrong email or password"}, **_throttled},
)
async def login(body: LoginIn, request: Request, response: Response) -> TokenOut:
    state = request.app.state
    limits: SharedLimits = state.limits
    address_key = _address_key(request, body.account)
    wait, failures, user = await run_statements(
        request, _reserve_login, limits, body, address_key, limits.clock()
    )
    if wait is not None:
        raise _too_many(wait)

    async def sign_in() -> bool:
        await run_statements(request, _login_succeeded, body.account, address_key)
        return True

    signed_in = await _check_and_record(
        request,
        limits,
        (body.account, address_key, failures),
        user.password_hash if user else None,
        body.password,
        sign_in,
    )
    if user is None or signed_in is None:  # no such account never matches (Passwords.verify_now)
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "Wrong email or password",
            headers={"WWW-Authenticate": "Bearer"},
        )
    passwords = state.passwords
    if passwords.needs_rehash(user.password_hash):  # e.g. hashed with older argon2 parameters
        await run_db(request, _store_hash, user.id, await passwords.hash(body.password))
    return _token_response(request, response, user)


def _me(session: Session, caller: Caller) -> UserOut:
    user = session.get(User, caller.id)
    check_session(user.session_key if user else None, caller)
    return UserOut.model_validate(user)


@router.get("/me", responses={401: {"model": ErrorOut}})
async def me(request: Request, caller: CurrentUser) -> UserOut:
    return await read_db(request, _me, caller)


def _end_sessions(conn: Connection, caller: Caller, **changes: object) -> str:
    """Replaces the user's session key (and applies `changes`), which ends every session: tokens
    carry the old key. 401 when the caller's own session had already ended."""
    key = new_session_key()
    changed = conn.execute(
        update(User)
        .where(User.id == caller.id, User.session_key == caller.session_key)
        .values(session_key=key, **changes)
    ).rowcount
    if not changed:
        check_session(conn.execute(select(User.session_key).where(User.id == caller.id)).scalar(), caller)
    return key


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses={401: {"model": ErrorOut}})
async def logout(request: Request, caller: CurrentUser) -> Response:
    """Ends the user's sessions at the server: every token issued to them so far gets 401."""
    await run_statements(request, _end_sessions, caller)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _caller_row(conn: Connection, caller: Caller) -> Row:
    user = conn.execute(select(*_USER_COLUMNS).where(User.id == caller.id)).first()
    check_session(user.session_key if user else None, caller)
    assert user is not None
    return user


def _reserve_for(
    conn: Connection, caller: Caller, limits: SharedLimits, address_key: str, now: float
) -> tuple[Row, int | None, int]:
    user = _caller_row(conn, caller)
    return user, *_reserve_attempt(conn, limits, user.email, address_key, now)


def _policy_error(reason: str) -> HTTPException:
    """The same 422 as signup's password policy (one error on `new_password`)."""
    error = {"loc": ["body", "new_password"], "msg": f"Password {reason}.", "type": "password_policy"}
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, [error])


def _password_changed(
    conn: Connection, caller: Caller, email: str, address_key: str, password_hash: str
) -> str:
    key = _end_sessions(conn, caller, password_hash=password_hash)
    _login_succeeded(conn, email, address_key)
    return key


@router.post(
    "/password",
    responses={
        401: {"model": ErrorOut, "description": "not signed in, or the session has ended"},
        403: {"model": ErrorOut, "description": "the current password is wrong"},
        **_throttled,
    },
)
async def change_password(
    body: PasswordChange, request: Request, response: Response, caller: CurrentUser
) -> TokenOut:
    """Sets a new password (the signup policy applies) after checking the current one, and ends every
    other session: the answer carries a new token for this one. Wrong current passwords count as
    failed sign-ins (the same throttles)."""
    state = request.app.state
    limits: SharedLimits = state.limits
    user = await read_db(request, _caller_row, caller)
    if reason := password_policy.problem(body.new_password, user.email):
        raise _policy_error(reason)
    address_key = _address_key(request, user.email)
    user, wait, failures = await run_statements(
        request, _reserve_for, caller, limits, address_key, limits.clock()
    )
    if wait is not None:
        raise _too_many(wait)

    async def change() -> str:
        password_hash = await state.passwords.hash(body.new_password)
        return await run_statements(
            request, _password_changed, caller, user.email, address_key, password_hash
        )

    key = await _check_and_record(
        request,
        limits,
        (user.email, address_key, failures),
        user.password_hash,
        body.current_password,
        change,
    )
    if key is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "The current password is wrong")
    return _token_response(request, response, user, session_key=key)
