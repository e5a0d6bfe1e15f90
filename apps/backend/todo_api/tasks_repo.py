"""Task queries, always scoped to one owner. Used by the REST routes and by the assistant."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Literal

from sqlalchemy import (
    Connection,
    DateTime,
    Dialect,
    FunctionElement,
    Integer,
    Row,
    Select,
    bindparam,
    func,
    select,
    type_coerce,
    update,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session

from todo_api.models import Task, User, UTCDateTime, utcnow

if TYPE_CHECKING:
    from psycopg import AsyncConnection

MAX_DB_INT = 2**31 - 1
StatusFilter = Literal["open", "done"]

# The list query is the hot path: plain columns (no ORM entities), statements built once per shape
# with bound parameters, executed on the session's connection (Core), so a request pays neither
# for building SQL expressions nor for ORM bookkeeping.
LIST_COLUMNS = (
    Task.id,
    Task.title,
    Task.description,
    Task.done,
    Task.due_date,
    Task.created_at,
    Task.updated_at,
    Task.completed_at,
)
# SQLite keeps UTC timestamps without an offset, and PostgreSQL sessions of the request engine run in
# UTC (db.py sets `utc_session`). For the list, read them as plain datetimes (naive or UTC-aware) and
# let the serializer write them as UTC, instead of a Python call per value (schemas.task_page_json).
_PLAIN_LIST_COLUMNS = tuple(
    type_coerce(c, DateTime()).label(c.key) if isinstance(c.type, UTCDateTime) else c for c in LIST_COLUMNS
)
# For the driver's cursor on PostgreSQL (list_page_async): UTC wall-clock `timestamp` values, whatever the
# session's time zone. Naive datetimes are cheaper for psycopg to build and for orjson to write
# (as ...Z) than aware ones: ~15 % of the list's database call.
_PG_NAIVE_UTC_COLUMNS = tuple(
    type_coerce(func.timezone("UTC", c), DateTime()).label(c.key) if isinstance(c.type, UTCDateTime) else c
    for c in LIST_COLUMNS
)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _conditions(with_status: bool, with_q: bool) -> list:
    conditions = [Task.owner_id == bindparam("owner_id")]
    if with_status:
        conditions.append(Task.done == bindparam("done"))
    if with_q:
        pattern = bindparam("pattern")
        conditions.append(
            func.lower(Task.title).like(pattern, escape="\\")
            | func.lower(func.coalesce(Task.description, "")).like(pattern, escape="\\")
        )
    return conditions


# The column before the total: the owner's id when the caller's session (users.session_key) is still
# valid, else NULL. So the hot path checks the session in its one statement, on every request.
SESSION_COLUMN = -2


def _session_valid():  # type: ignore[no-untyped-def]
    return (
        select(User.id)
        .where(User.id == bindparam("owner_id"), User.session_key == bindparam("session_key"))
        .scalar_subquery()
        .label("session_valid")
    )


# The list's total counts the filtered tasks only up to this many past the end of the page: a large
# account's every page does not count all its rows. Exact whenever the tasks after the page number
# fewer; else it is offset + limit + TOTAL_AHEAD, a bound that grows as the client pages on.
TOTAL_AHEAD = 1000


def _capped_count(with_status: bool, with_q: bool) -> Select:
    capped = (
        select(Task.id)
        .where(*_conditions(with_status, with_q))
        .limit(bindparam("count_cap"))
        .correlate(None)  # its own scan of tasks, not the list's rows
        .subquery("capped")
    )
    return select(func.count()).select_from(capped)


@cache
def _list_statement(columns: tuple, with_status: bool, with_q: bool) -> Select:
    total = _capped_count(with_status, with_q).scalar_subquery().label("total")
    return (
        select(*columns, _session_valid(), total)
        .where(*_conditions(with_status, with_q))
        .order_by(Task.id.desc())
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


@cache
def _count_statement(with_status: bool, with_q: bool) -> Select:
    return _capped_count(with_status, with_q)


def _list_params(
    owner_id: int, session_key: str, status: StatusFilter | None, q: str | None, limit: int, offset: int
) -> tuple[tuple[bool, bool], dict[str, object]]:
    params: dict[str, object] = {
        "owner_id": owner_id,
        "session_key": session_key,
        "limit": limit,
        "offset": offset,
        "count_cap": offset + limit + TOTAL_AHEAD,
    }
    if status is not None:
        params["done"] = status == "done"
    if q:
        params["pattern"] = f"%{_escape_like(q.lower())}%"
    return (status is not None, bool(q)), params


def list_tasks(
    db: Session | Connection,
    owner_id: int,
    *,
    session_key: str = "",
    status: StatusFilter | None = None,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[Sequence[Row], int]:
    """(rows of LIST_COLUMNS + session_valid + total, total); the total counts the filtered set up to
    TOTAL_AHEAD past the page; `session_valid` (SESSION_COLUMN) is NULL unless `session_key` is the
    owner's.

    Datetimes in the rows are UTC: timezone-aware, or naive on SQLite.
    """
    shape, params = _list_params(owner_id, session_key, status, q, limit, offset)
    conn = db if isinstance(db, Connection) else db.connection()
    plain = conn.dialect.name == "sqlite" or bool(conn.info.get("utc_session"))
    columns = _PLAIN_LIST_COLUMNS if plain else LIST_COLUMNS
    rows = conn.execute(_list_statement(columns, *shape), params).all()
    return rows, _total(conn, rows, shape, params)


def _total_of_page(rows: Sequence[Sequence], offset: int) -> int | None:
    """The total the page's window column carries; None past the end of the list (the window saw no
    rows), where it must be counted separately."""
    if rows:
        return rows[0][-1]
    return 0 if offset == 0 else None


def _total(conn: Connection, rows: Sequence[Sequence], shape: tuple[bool, bool], params: dict) -> int:
    total = _total_of_page(rows, params["offset"])
    return conn.execute(_count_statement(*shape), params).scalar_one() if total is None else total


def _pg_list_statement(with_status: bool, with_q: bool) -> Select:
    return _list_statement(_PG_NAIVE_UTC_COLUMNS, with_status, with_q)


def _session_key_statement() -> Select:
    return select(User.session_key).where(User.id == bindparam("user_id"))


@lru_cache(maxsize=64)  # per engine's dialect (tests build many), statement and shape
def _sql(dialect: Dialect, statement: Callable[..., Select], *shape: bool) -> tuple[str, dict[str, object]]:
    """A statement's SQL text for the driver's own cursor, and its parameters' fixed values ('' in
    coalesce() and 'UTC' are parameters too), compiled once."""
    compiled = statement(*shape).compile(dialect=dialect)
    return str(compiled), compiled.params


async def list_page_async(
    conn: AsyncConnection,
    dialect: Dialect,
    owner_id: int,
    *,
    session_key: str,
    status: StatusFilter | None = None,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[Sequence[Sequence], int]:
    """list_tasks for the REST list on PostgreSQL, on an asynchronous psycopg connection
    (todo_api.read_pool): rows in LIST_COLUMNS order + session_valid + total, read by position only,
    and the total.

    The statement, compiled once per shape by SQLAlchemy for the engine's `dialect`, runs on the
    driver's cursor and the rows are psycopg's tuples (timestamps naive UTC): SQLAlchemy's execution
    context and result set-up cost about a third of the database call's CPU time for 100 rows, and
    nothing here needs them: the values need no conversion.
    """
    shape, params = _list_params(owner_id, session_key, status, q, limit, offset)
    sql, fixed = _sql(dialect, _pg_list_statement, *shape)
    async with conn.cursor(binary=True) as cursor:
        await cursor.execute(sql, {**fixed, **params}, binary=True)
        rows = await cursor.fetchall()
        total = _total_of_page(rows, offset)
        if total is not None:
            return rows, total
        sql, fixed = _sql(dialect, _count_statement, *shape)
        await cursor.execute(sql, {**fixed, **params}, binary=True)
        row = await cursor.fetchone()
        return rows, row[0] if row else 0


async def session_key_async(conn: AsyncConnection, dialect: Dialect, user_id: int) -> str | None:
    """The user's current session key, or None when there is no such user."""
    sql, fixed = _sql(dialect, _session_key_statement)
    async with conn.cursor() as cursor:
        await cursor.execute(sql, {**fixed, "user_id": user_id})
        row = await cursor.fetchone()
        return row[0] if row else None


def get_task(session: Session, owner_id: int, task_id: int) -> Task | None:
    if not 0 < task_id <= MAX_DB_INT:
        return None
    task = session.get(Task, task_id)
    if task is None or task.owner_id != owner_id:
        return None
    return task


# The assistant's title search reads at most this many matches (id and title only): enough to act on
# one, or to list a few and ask which.
TITLE_MATCHES_MAX = 11


def find_by_title(session: Session, owner_id: int, title: str) -> list[Row]:
    """(id, title) of exact case-insensitive title matches; failing that, of tasks whose title contains
    the text; oldest first, at most TITLE_MATCHES_MAX."""
    needle = title.strip().lower()
    columns = (Task.id, Task.title)
    exact = session.execute(
        select(*columns)
        .where(Task.owner_id == owner_id, func.lower(Task.title) == needle)
        .order_by(Task.id)
        .limit(TITLE_MATCHES_MAX)
    ).all()
    if exact:
        return list(exact)
    pattern = f"%{_escape_like(needle)}%"
    return list(
        session.execute(
            select(*columns)
            .where(Task.owner_id == owner_id, func.lower(Task.title).like(pattern, escape="\\"))
            .order_by(Task.id)
            .limit(TITLE_MATCHES_MAX)
        ).all()
    )


class utf8_bytes(FunctionElement):
    """The length of a text value in UTF-8 bytes, on both databases."""

    type = Integer()
    inherit_cache = True


@compiles(utf8_bytes)
def _octet_length(element, compiler, **kw) -> str:  # type: ignore[no-untyped-def]
    return f"octet_length({compiler.process(element.clauses, **kw)})"


@compiles(utf8_bytes, "sqlite")
def _blob_length(element, compiler, **kw) -> str:  # type: ignore[no-untyped-def]
    return f"length(CAST({compiler.process(element.clauses, **kw)} AS BLOB))"


@dataclass(frozen=True)
class Quota:
    """What one user may store: MAX_TASKS_PER_USER tasks, MAX_TASK_TEXT_BYTES_PER_USER bytes of text."""

    max_tasks: int
    max_text_bytes: int


class QuotaExceeded(Exception):
    """Answered 409 with the message (app.py): which limit, and how to raise it."""


def text_bytes(title: str | None, description: str | None) -> int:
    return len((title or "").encode()) + len((description or "").encode())


def check_quota(session: Session, owner_id: int, quota: Quota, new_tasks: int, new_bytes: int) -> None:
    """Raises QuotaExceeded when `new_tasks` more tasks or `new_bytes` more bytes of text would take the
    user over the quota. Locks the user's row first (PostgreSQL: FOR UPDATE; SQLite: the write
    lock), held until the session commits, so one user's concurrent writes, on any replica, are
    checked one at a time.
    Counts the rows each time (no stored counter a rolled-back release would not keep up to date):
    the (owner_id, done, id) index for the count, the user's rows for the bytes."""
    if session.get_bind().dialect.name == "sqlite":
        # SQLite has no row locks, and the driver begins a transaction only at the first write, so
        # the count would be read outside it: write first (a no-op), which takes the database's
        # write lock until commit.
        session.execute(update(User).where(User.id == owner_id).values(id=User.id))
    else:
        session.execute(select(User.id).where(User.id == owner_id).with_for_update()).first()
    count, used = session.execute(
        select(
            func.count(),
            func.coalesce(
                func.sum(utf8_bytes(Task.title) + func.coalesce(utf8_bytes(Task.description), 0)), 0
            ),
        ).where(Task.owner_id == owner_id)
    ).one()
    if new_tasks and count + new_tasks > quota.max_tasks:
        raise QuotaExceeded(
            f"Task limit reached: an account may keep {quota.max_tasks} tasks (MAX_TASKS_PER_USER). "
            "Delete tasks you no longer need, or ask the operator to raise MAX_TASKS_PER_USER."
        )
    if new_bytes > 0 and used + new_bytes > quota.max_text_bytes:
        left = max(0, quota.max_text_bytes - used)
        raise QuotaExceeded(
            f"Storage limit reached: an account may keep {quota.max_text_bytes} bytes of task text "
            f"(MAX_TASK_TEXT_BYTES_PER_USER); this needs {new_bytes} more and {left} are left. Shorten "
            "or delete tasks, or ask the operator to raise MAX_TASK_TEXT_BYTES_PER_USER."
        )


def create_task(
    session: Session,
    owner_id: int,
    *,
    title: str,
    description: str | None = None,
    due_date: date | None = None,
    done: bool = False,
    quota: Quota | None = None,
) -> Task:
    if quota is not None:
        check_quota(session, owner_id, quota, 1, text_bytes(title, description))
    now = utcnow()
    task = Task(
        owner_id=owner_id,
        title=title,
        description=description,
        due_date=due_date,
        done=done,
        created_at=now,
        updated_at=now,
        completed_at=now if done else None,
    )
    session.add(task)
    session.commit()
    return task


def set_done(session: Session, task: Task, done: bool) -> Task:
    if task.done != done:
        task.done = done
        task.completed_at = utcnow() if done else None
        task.updated_at = utcnow()
        session.commit()
    return task


def delete_task(session: Session, task: Task) -> None:
    session.delete(task)
    session.commit()
