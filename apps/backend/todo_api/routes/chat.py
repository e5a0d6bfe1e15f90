"""POST /api/chat: the provider turns the message into an intent, the server executes it."""

from __future__ import annotations

import logging

from fastapi import APIRouter, HTTPException, Request, status
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from todo_api.assistant import executor
from todo_api.assistant.intents import Intent, ProviderError
from todo_api.deps import CurrentUser, require_user, run_db, run_statements
from todo_api.schemas import MALFORMED_JSON, ChatIn, ChatOut, ErrorOut
from todo_api.security import Caller
from todo_api.tasks_repo import Quota
from todo_api.throttle import SharedLimits

router = APIRouter(prefix="/api", tags=["assistant"], responses=MALFORMED_JSON)
log = logging.getLogger(__name__)


def _take_budget(conn: Connection, limits: SharedLimits, caller: Caller, now: float) -> int | None:
    """A deleted account gets 401 (not an AI call); else one request from the user's budget, shared by
    every replica, or the seconds to wait."""
    require_user(conn, caller)
    return limits.chat.take(conn, f"chat:{caller.id}", now)


def _execute(session: Session, caller: Caller, intent: Intent, quota: Quota) -> ChatOut:
    require_user(session, caller)
    return executor.run(session, caller.id, intent, quota)


@router.post(
    "/chat",
    responses={
        401: {"model": ErrorOut},
        409: {"model": ErrorOut, "description": "adding a task would go over the user's quota"},
        429: {"model": ErrorOut, "description": "over CHAT_REQUESTS_PER_MINUTE; see Retry-After"},
        502: {"model": ErrorOut, "description": "the AI provider failed, timed out or answered nonsense"},
    },
)
async def chat(body: ChatIn, request: Request, caller: CurrentUser) -> ChatOut:
    # A budget per user: with a paid provider every request spends the operator's quota. Checked
    # without holding a database connection while the provider thinks.
    limits = request.app.state.limits
    if (wait := await run_statements(request, _take_budget, limits, caller, limits.clock())) is not None:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"Too many assistant requests; try again in {wait} s",
            headers={"Retry-After": str(wait)},
        )
    provider = request.app.state.assistant
    try:
        intent = await provider.parse(body.message)
    except ProviderError as exc:
        log.warning("assistant provider failed", extra={"provider": provider.name, "error": str(exc)})
        raise HTTPException(status.HTTP_502_BAD_GATEWAY, str(exc)) from None
    return await run_db(request, _execute, caller, intent, request.app.state.quota)
