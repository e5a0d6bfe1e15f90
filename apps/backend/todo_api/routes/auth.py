"""Sign up, log in, who am I.

Password hashes (argon2id, ~19 MiB and tens of milliseconds each) run on their own bounded pool
(security.Passwords), never inside a database call: a login flood queues for the hash pool and
leaves the connection pool to the other endpoints. Failed sign-ins are throttled per account
(exponential back-off) and per client address (a window); see todo_api.throttle.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response, status
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from todo_api.client_address import client_address
from todo_api.deps import UserId, read_db, run_db, unauthorized
from todo_api.models import User
from todo_api.schemas import Credentials, ErrorOut, LoginIn, TokenOut, UserOut

router = APIRouter(prefix="/api/auth", tags=["auth"])
_throttled = {429: {"model": ErrorOut, "description": "too many failed attempts; see Retry-After"}}


def _token_response(request: Request, response: Response, user: User) -> TokenOut:
    tokens = request.app.state.tokens
    response.headers["Cache-Control"] = "no-store"  # a token must not sit in any cache
    response.headers["Pragma"] = "no-cache"
    return TokenOut(
        access_token=tokens.issue(user.id),
        expires_in=tokens.expire_minutes * 60,
        user=UserOut.model_validate(user),
    )


def _too_many(seconds: int) -> HTTPException:
    return HTTPException(
        status.HTTP_429_TOO_MANY_REQUESTS,
        f"Too many failed attempts; try again in {seconds} s",
        headers={"Retry-After": str(seconds)},
    )


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
    address = client_address(request)
    if (wait := state.address_failures.retry_after(address)) is not None:
        raise _too_many(wait)
    # Hash first, whether or not the email is taken: "email exists" costs as much as a login, so
    # probing for accounts through signup is no faster than through login.
    password_hash = await state.passwords.hash(body.password)
    user = await run_db(request, _insert_user, body.email, password_hash)
    if user is None:
        state.address_failures.add(address)
        raise HTTPException(status.HTTP_409_CONFLICT, "An account with this email already exists")
    return _token_response(request, response, user)


def _find_user(session: Session, email: str, raw_email: str) -> User | None:
    user = session.scalar(select(User).where(User.email == email))
    if user is None and raw_email != email:
        # An account whose stored address clashed with another's when emails were normalised
        # (revision 0003) kept its old, only lower-cased form.
        user = session.scalar(select(User).where(User.email == raw_email))
    return user


def _store_hash(session: Session, user_id: int, password_hash: str) -> None:
    user = session.get(User, user_id)
    if user is not None:
        user.password_hash = password_hash
        session.commit()


@router.post(
    "/login",
    responses={401: {"model": ErrorOut, "description": "wrong email or password"}, **_throttled},
)
async def login(body: LoginIn, request: Request, response: Response) -> TokenOut:
    state = request.app.state
    address = client_address(request)
    for wait in (state.login_backoff.retry_after(body.account), state.address_failures.retry_after(address)):
        if wait is not None:
            raise _too_many(wait)
    user = await read_db(request, _find_user, body.account, body.legacy_account)
    passwords = state.passwords
    if not await passwords.verify(user.password_hash if user else None, body.password) or user is None:
        state.login_backoff.failed(body.account)
        state.address_failures.add(address)
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "Wrong email or password",
            headers={"WWW-Authenticate": "Bearer"},
        )
    state.login_backoff.succeeded(body.account)
    if passwords.needs_rehash(user.password_hash):  # e.g. hashed with older argon2 parameters
        await run_db(request, _store_hash, user.id, await passwords.hash(body.password))
    return _token_response(request, response, user)


def _me(session: Session, user_id: int) -> UserOut:
    user = session.get(User, user_id)
    if user is None:
        raise unauthorized("Invalid token (user no longer exists)")
    return UserOut.model_validate(user)


@router.get("/me", responses={401: {"model": ErrorOut}})
async def me(request: Request, user_id: UserId) -> UserOut:
    return await read_db(request, _me, user_id)
