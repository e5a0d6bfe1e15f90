"""Alembic environment. The database URL comes from the caller (todo_api.migrate passes it in
config.attributes) or, for the plain `alembic` CLI, from DATABASE_URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from todo_api.config import load_settings
from todo_api.db import normalize_database_url
from todo_api.models import Base

# Serialises concurrent `migrate` runs (several pods starting at once) on PostgreSQL.
ADVISORY_LOCK_ID = 7_305_211_447

config = context.config
raw_url = config.attributes.get("database_url") or load_settings().database_url
url = normalize_database_url(raw_url)
is_sqlite = url.get_backend_name() == "sqlite"


def run_migrations_offline() -> None:
    context.configure(
        url=url,
        target_metadata=Base.metadata,
        literal_binds=True,
        render_as_batch=is_sqlite,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            if not is_sqlite:
                connection.execute(text("SELECT pg_advisory_lock(:id)"), {"id": ADVISORY_LOCK_ID})
                connection.commit()
            try:
                context.configure(
                    connection=connection,
                    target_metadata=Base.metadata,
                    render_as_batch=is_sqlite,  # SQLite cannot ALTER most things: copy-and-move tables
                    compare_type=True,
                )
                with context.begin_transaction():
                    context.run_migrations()
            finally:
                if not is_sqlite:
                    connection.rollback()
                    connection.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": ADVISORY_LOCK_ID})
                    connection.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
