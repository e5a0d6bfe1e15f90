"""Database URL handling, engine creation and the per-request session."""

from __future__ import annotations

import time

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine.url import URL
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from todo_api.database_url import normalize_database_url

SQLITE_CONCURRENCY = 4


def db_concurrency(engine: Engine, pool_size: int, max_overflow: int) -> int:
    """How many requests may use the database at once (the database threads, todo_api.deps): the
    connection pool for PostgreSQL (more would only queue for a connection, holding a thread), a
    few for SQLite (one writer at a time anyway)."""
    if engine.url.get_backend_name() == "sqlite":
        return SQLITE_CONCURRENCY
    return pool_size + max_overflow


def _unicode_lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _sqlite_on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    # SQLite's built-in lower() only folds ASCII; search must be case-insensitive for any script.
    dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    # WAL lets readers run while one writer writes; not available for in-memory databases.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


# A pooled connection idle for longer than this is checked (SELECT 1) before reuse.
PING_AFTER_IDLE_SECONDS = 30.0
# libpq's connect_timeout unless the URL sets one.
CONNECT_TIMEOUT_SECONDS = 5


def _postgres_engine_args(
    url: URL, pool_size: int, max_overflow: int, pool_timeout: float, pre_ping: bool = True
) -> dict:
    connect_args: dict[str, object] = {}
    if "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
    return {
        "pool_pre_ping": pre_ping,
        "pool_size": pool_size,
        "max_overflow": max_overflow,
        "pool_timeout": pool_timeout,
        "pool_recycle": 1800,
        "connect_args": connect_args,
    }


def create_db_engine(
    database_url: str,
    pool_size: int = 5,
    max_overflow: int = 10,
    pool_timeout: float = 30.0,
    statement_timeout_ms: int = 0,
) -> Engine:
    """The engine. PostgreSQL: a pool of `pool_size` (+ `max_overflow`) psycopg connections; a
    request that cannot get one within `pool_timeout` seconds fails with sqlalchemy's TimeoutError
    (answered 503, app.py). Sessions run in UTC with `statement_timeout_ms` (0: none), and idle
    connections are pinged before reuse."""
    url = normalize_database_url(database_url)
    if url.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_on_connect)
        return engine
    args = _postgres_engine_args(url, pool_size, max_overflow, pool_timeout, pre_ping=False)
    engine = create_engine(url, **args)
    _ping_when_idle(engine)

    def _session_settings(dbapi_connection, record) -> None:  # type: ignore[no-untyped-def]
        """Timestamps come back in UTC, so the task list can skip converting each one (tasks_repo); a
        runaway statement is cancelled after `statement_timeout_ms`."""
        cursor = dbapi_connection.cursor()
        cursor.execute("SET TIME ZONE 'UTC'")
        cursor.execute(statement_timeout_sql(statement_timeout_ms))
        cursor.close()
        dbapi_connection.commit()
        record.info["utc_session"] = True

    event.listen(engine, "connect", _session_settings)
    return engine


def statement_timeout_sql(milliseconds: int) -> str:
    return f"SET statement_timeout = {int(milliseconds)}"


def _ping_when_idle(engine: Engine) -> None:
    """Serverless PostgreSQL (Neon) closes idle connections, so a pooled connection must be checked
    before reuse. SQLAlchemy's pool_pre_ping checks on every checkout: with psycopg that is BEGIN,
    SELECT 1, ROLLBACK, three round trips on every request, half of the database time the profile
    showed for GET /api/tasks. Here only a connection idle for PING_AFTER_IDLE_SECONDS is checked; a
    dead one is replaced (DisconnectionError makes the pool retry with a new connection)."""

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection, record) -> None:  # type: ignore[no-untyped-def]
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _check(dbapi_connection, record, _proxy) -> None:  # type: ignore[no-untyped-def]
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
            dbapi_connection.rollback()  # the ping opened a transaction; the request starts clean
        except Exception as exc:
            raise DisconnectionError("pooled connection was closed by the server while idle") from exc


def reading_engine(engine: Engine) -> Engine:
    """For work that writes nothing. PostgreSQL: the same pool in autocommit mode, so a read is one
    round trip (no BEGIN before it, no ROLLBACK after it)."""
    if engine.url.get_backend_name() == "postgresql":
        return engine.execution_options(isolation_level="AUTOCOMMIT")
    return engine


def make_sessionmaker(engine: Engine, read_only: bool = False) -> sessionmaker[Session]:
    """Sessions; `read_only` ones on the reading_engine, only for work that writes nothing."""
    if read_only:
        engine = reading_engine(engine)
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)
