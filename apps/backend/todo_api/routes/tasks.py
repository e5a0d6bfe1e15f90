"""CRUD for the caller's tasks. Another user's task is indistinguishable from a missing one (404).

Each endpoint is async and does its database work in one `run_db` call (see todo_api.deps).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal, NamedTuple

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from sqlalchemy import Connection, Dialect
from sqlalchemy.orm import Session

from todo_api import tasks_repo
from todo_api.deps import (
    CurrentUser,
    check_session,
    read_async,
    read_db,
    read_rows,
    require_user,
    run_db,
)
from todo_api.models import Task
from todo_api.schemas import (
    MALFORMED_JSON,
    ErrorOut,
    SearchText,
    TaskCreate,
    TaskOut,
    TaskPage,
    TaskUpdate,
    task_page_json,
)
from todo_api.security import Caller
from todo_api.tasks_repo import MAX_DB_INT, SESSION_COLUMN, Quota, StatusFilter, text_bytes

if TYPE_CHECKING:
    from psycopg import AsyncConnection

router = APIRouter(
    prefix="/api/tasks", tags=["tasks"], responses={401: {"model": ErrorOut}, **MALFORMED_JSON}
)

MAX_LIMIT = 500
_not_found = {404: {"model": ErrorOut, "description": "no such task (or not yours)"}}


def _load(session: Session, caller: Caller, task_id: int) -> Task:
    require_user(session, caller)
    task = tasks_repo.get_task(session, caller.id, task_id)
    if task is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"Task {task_id} not found")
    return task


class _Page(NamedTuple):
    """Which tasks a list request asks for (tasks_repo.list_tasks's keyword arguments)."""

    status: StatusFilter | None
    q: str | None
    limit: int
    offset: int


def _list(connection: Connection, caller: Caller, page: _Page) -> bytes:
    rows, total = tasks_repo.list_tasks(
        connection, caller.id, session_key=caller.session_key, **page._asdict()
    )
    if not rows or rows[0][SESSION_COLUMN] is None:
        # The statement checked the session (SESSION_COLUMN) only when a task came back: tasks
        # reference their owner (FK), so any row proves the user exists. (Both paths.)
        require_user(connection, caller)
    return task_page_json(rows, total, page.limit, page.offset)


async def _list_async(connection: AsyncConnection, dialect: Dialect, caller: Caller, page: _Page) -> bytes:
    rows, total = await tasks_repo.list_page_async(
        connection, dialect, caller.id, session_key=caller.session_key, **page._asdict()
    )
    if not rows or rows[0][SESSION_COLUMN] is None:
        check_session(await tasks_repo.session_key_async(connection, dialect, caller.id), caller)
    return task_page_json(rows, total, page.limit, page.offset)


@router.get("", response_model=TaskPage)
async def list_tasks(
    request: Request,
    caller: CurrentUser,
    status_: Annotated[Literal["open", "done"] | None, Query(alias="status")] = None,
    q: Annotated[
        SearchText | None, Query(description="case-insensitive text in title or description")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_DB_INT)] = 0,
) -> Response:
    page = _Page(status_, q or None, limit, offset)
    if request.app.state.read_pool is not None:  # PostgreSQL: on the event loop (todo_api.read_pool)
        body = await read_async(request, _list_async, request.app.state.engine.dialect, caller, page)
    else:
        body = await read_rows(request, _list, caller, page)
    return Response(body, media_type="application/json")


def _create(session: Session, caller: Caller, body: TaskCreate, quota: Quota) -> TaskOut:
    require_user(session, caller)
    task = tasks_repo.create_task(
        session,
        caller.id,
        title=body.title,
        description=body.description,
        due_date=body.due_date,
        done=body.done,
        quota=quota,
    )
    return TaskOut.model_validate(task)


_over_quota = {
    409: {"model": ErrorOut, "description": "over the user's quota (which one, and how to raise it)"}
}


@router.post("", status_code=status.HTTP_201_CREATED, responses=_over_quota)
async def create_task(body: TaskCreate, request: Request, caller: CurrentUser) -> TaskOut:
    return await run_db(request, _create, caller, body, request.app.state.quota)


def _get(session: Session, caller: Caller, task_id: int) -> TaskOut:
    return TaskOut.model_validate(_load(session, caller, task_id))


@router.get("/{task_id}", responses=_not_found)
async def get_task(task_id: int, request: Request, caller: CurrentUser) -> TaskOut:
    return await read_db(request, _get, caller, task_id)


def _update(session: Session, caller: Caller, task_id: int, body: TaskUpdate, quota: Quota) -> TaskOut:
    task = _load(session, caller, task_id)
    fields = body.model_fields_set
    title = body.title if "title" in fields and body.title is not None else task.title
    description = body.description if "description" in fields else task.description
    grows = text_bytes(title, description) - text_bytes(task.title, task.description)
    if grows > 0:
        tasks_repo.check_quota(session, caller.id, quota, 0, grows)
    if "title" in fields:
        if body.title is None:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                [{"loc": ["body", "title"], "msg": "title cannot be null", "type": "value_error"}],
            )
        task.title = body.title
    if "description" in fields:
        task.description = body.description
    if "due_date" in fields:
        task.due_date = body.due_date
    if "done" in fields and body.done is not None:
        tasks_repo.set_done(session, task, body.done)
    session.commit()
    return TaskOut.model_validate(task)


@router.patch("/{task_id}", responses={**_not_found, **_over_quota})
async def update_task(task_id: int, body: TaskUpdate, request: Request, caller: CurrentUser) -> TaskOut:
    return await run_db(request, _update, caller, task_id, body, request.app.state.quota)


def _delete(session: Session, caller: Caller, task_id: int) -> None:
    tasks_repo.delete_task(session, _load(session, caller, task_id))


@router.delete("/{task_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_not_found)
async def delete_task(task_id: int, request: Request, caller: CurrentUser) -> Response:
    await run_db(request, _delete, caller, task_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _set_done(session: Session, caller: Caller, task_id: int, done: bool) -> TaskOut:
    return TaskOut.model_validate(tasks_repo.set_done(session, _load(session, caller, task_id), done))


@router.post("/{task_id}/complete", responses=_not_found)
async def complete_task(task_id: int, request: Request, caller: CurrentUser) -> TaskOut:
    return await run_db(request, _set_done, caller, task_id, True)


@router.post("/{task_id}/reopen", responses=_not_found)
async def reopen_task(task_id: int, request: Request, caller: CurrentUser) -> TaskOut:
    return await run_db(request, _set_done, caller, task_id, False)
