"""DATABASE_URL parsing, apart from the engine and session code (todo_api.db, which needs FastAPI):
the migrate command, which every API pod runs before serving, imports only this."""

from __future__ import annotations

from sqlalchemy.engine import make_url
from sqlalchemy.engine.url import URL

from todo_api.config import ConfigError


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
