"""Sign up, log in, who am I."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, status
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from todo_api.db import DbSession
from todo_api.deps import UserId, run_db, unauthorized
from todo_api.models import User
from todo_api.schemas import Credentials, ErrorOut, LoginIn, TokenOut, UserOut

router = APIRouter(prefix="/api/auth", tags=["auth"])


def _token_response(request: Request, user: User) -> TokenOut:
    tokens = request.app.state.tokens
    return TokenOut(
        access_token=tokens.issue(user.id),
        expires_in=tokens.expire_minutes * 60,
        user=UserOut.model_validate(user),
    )


@router.post(
    "/signup",
    status_code=status.HTTP_201_CREATED,
    responses={409: {"model": ErrorOut, "description": "email already registered"}},
)
def signup(body: Credentials, request: Request, session: DbSession) -> TokenOut:
    conflict = HTTPException(status.HTTP_409_CONFLICT, "An account with this email already exists")
    if session.scalar(select(User.id).where(User.email == body.email)) is not None:
        raise conflict
    user = User(email=body.email, password_hash=request.app.state.passwords.hash(body.password))
    session.add(user)
    try:
        session.commit()
    except IntegrityError:  # a concurrent signup with the same email won the race
        session.rollback()
        raise conflict from None
    return _token_response(request, user)


@router.post("/login", responses={401: {"model": ErrorOut, "description": "wrong email or password"}})
def login(body: LoginIn, request: Request, session: DbSession) -> TokenOut:
    passwords = request.app.state.passwords
    user = session.scalar(select(User).where(User.email == body.email))
    if not passwords.verify(user.password_hash if user else None, body.password) or user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "Wrong email or password",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash(body.password)
        session.commit()
    return _token_response(request, user)


def _me(session: Session, user_id: int) -> UserOut:
    user = session.get(User, user_id)
    if user is None:
        raise unauthorized("Invalid token (user no longer exists)")
    return UserOut.model_validate(user)


@router.get("/me", responses={401: {"model": ErrorOut}})
async def me(request: Request, user_id: UserId) -> UserOut:
    return await run_db(request, _me, user_id)
