"""Database URL handling, engine creation and the per-request session."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.engine.url import URL
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, sessionmaker

from todo_api.config import ConfigError

SQLITE_CONCURRENCY = 4


def db_concurrency(engine: Engine) -> int:
    """How many requests may use SQLite at once from the thread pool (todo_api.deps.run_db)."""
    return SQLITE_CONCURRENCY


def normalize_database_url(raw: str) -> URL:
    """postgres:// and postgresql:// (Heroku/Neon style) use psycopg 3; sqlite:/// stays as it is.

    Query parameters such as `sslmode=require` or `channel_binding=require` are passed on to libpq.
    """
    raw = raw.strip()
    if raw.startswith("postgres://"):
        raw = "postgresql://" + raw[len("postgres://") :]
    try:
        url = make_url(raw)
    except Exception as exc:
        raise ConfigError(
            "DATABASE_URL is not a valid database URL; expected postgresql://user:pass@host/db "
            f"or sqlite:///path/to/file.db ({exc})"
        ) from None
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() not in ("postgresql", "sqlite"):
        raise ConfigError(
            f"DATABASE_URL uses {url.get_backend_name()!r}; only PostgreSQL (postgresql://...) "
            "and SQLite (sqlite:///...) are supported"
        )
    return url


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


def _postgres_engine_args(url: URL, pool_size: int, max_overflow: int, pool_timeout: float) -> dict:
    connect_args: dict[str, object] = {}
    if "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = 5
    # pre_ping: serverless Postgres (Neon) closes idle connections; check before reuse.
    return {
        "pool_pre_ping": True,
        "pool_size": pool_size,
        "max_overflow": max_overflow,
        "pool_timeout": pool_timeout,
        "pool_recycle": 1800,
        "connect_args": connect_args,
    }


def create_db_engine(
    database_url: str, pool_size: int = 5, max_overflow: int = 10, pool_timeout: float = 30.0
) -> Engine:
    """A synchronous engine (SQLite requests, migrations, tests)."""
    url = normalize_database_url(database_url)
    if url.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_on_connect)
        return engine
    return create_engine(url, **_postgres_engine_args(url, pool_size, max_overflow, pool_timeout))


def create_async_db_engine(
    database_url: str, pool_size: int, max_overflow: int, pool_timeout: float
) -> AsyncEngine | None:
    """PostgreSQL requests run on the event loop through psycopg 3's async driver (None for SQLite).

    Profiling the thread-pool version showed the time going to thread hand-offs and GIL contention
    between 15 threads, not to PostgreSQL; on the loop a request costs no thread switch, and waiting
    for the server yields to other requests. A request that cannot get a connection within
    `pool_timeout` seconds fails with sqlalchemy's TimeoutError (answered 503, app.py).
    """
    url = normalize_database_url(database_url)
    if url.get_backend_name() == "sqlite":
        return None
    url = url.set(drivername="postgresql+psycopg_async")
    return create_async_engine(url, **_postgres_engine_args(url, pool_size, max_overflow, pool_timeout))


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


def make_async_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)
