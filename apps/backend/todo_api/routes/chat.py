"""POST /api/chat: the provider turns the message into an intent, the server executes it."""

from __future__ import annotations

import logging

from fastapi import APIRouter, HTTPException, Request, status
from sqlalchemy.orm import Session

from todo_api.assistant import executor
from todo_api.assistant.intents import Intent, ProviderError
from todo_api.deps import UserId, read_db, require_user, run_db
from todo_api.schemas import ChatIn, ChatOut, ErrorOut

router = APIRouter(prefix="/api", tags=["assistant"])
log = logging.getLogger(__name__)


def _execute(session: Session, user_id: int, intent: Intent) -> ChatOut:
    require_user(session, user_id)
    return executor.run(session, user_id, intent)


@router.post(
    "/chat",
    responses={
        401: {"model": ErrorOut},
        429: {"model": ErrorOut, "description": "over CHAT_REQUESTS_PER_MINUTE; see Retry-After"},
        502: {"model": ErrorOut, "description": "the AI provider failed, timed out or answered nonsense"},
    },
)
async def chat(body: ChatIn, request: Request, user_id: UserId) -> ChatOut:
    # A budget per user: with a paid provider every request spends the operator's quota.
    if (wait := request.app.state.chat_budget.take(user_id)) is not None:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"Too many assistant requests; try again in {wait} s",
            headers={"Retry-After": str(wait)},
        )
    # Check the user first (a deleted account gets 401, not an AI call), without holding a database
    # connection while the provider thinks.
    await read_db(request, require_user, user_id)
    provider = request.app.state.assistant
    try:
        intent = await provider.parse(body.message)
    except ProviderError as exc:
        log.warning("assistant provider failed", extra={"provider": provider.name, "error": str(exc)})
        raise HTTPException(status.HTTP_502_BAD_GATEWAY, str(exc)) from None
    return await run_db(request, _execute, user_id, intent)
