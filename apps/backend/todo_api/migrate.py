"""Bring the database to the newest schema: `python -m todo_api.migrate`.

Reads DATABASE_URL like the app (default sqlite:///./todo.db). Safe to run any number of times: an
up-to-date database is left alone. On PostgreSQL an advisory lock serialises concurrent runs.
Needs no JWT_SECRET: only the database settings matter here.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from todo_api.config import ConfigError, load_settings
from todo_api.db import normalize_database_url
from todo_api.logs import configure_logging

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
log = logging.getLogger("todo_api.migrate")


def alembic_config(database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["database_url"] = database_url
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def current_revision(database_url: str) -> str | None:
    engine = create_engine(normalize_database_url(database_url), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


def _redacted(database_url: str) -> str:
    try:
        return normalize_database_url(database_url).render_as_string(hide_password=True)
    except ConfigError:
        return "<invalid>"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m todo_api.migrate", description=__doc__.splitlines()[0])
    parser.add_argument("--revision", default="head", help="target revision (default: head)")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        configure_logging(settings.log_level)
        # Alembic's own progress lines are plain text; keep the output JSON-only unless debugging.
        logging.getLogger("alembic").setLevel(
            logging.INFO if settings.log_level == "debug" else logging.WARNING
        )
        url = settings.database_url
        before = current_revision(url)
        target = head_revision() if args.revision == "head" else args.revision
        if before == target:
            log.info(
                "database already at target revision; nothing to do",
                extra={"revision": before, "database": _redacted(url)},
            )
            return 0
        upgrade(url, args.revision)
        after = current_revision(url)
    except ConfigError as exc:
        print(f"todo_api.migrate: configuration error: {exc}", file=sys.stderr)
        return 2
    except SQLAlchemyError as exc:
        print(
            f"todo_api.migrate: database error: {type(exc).__name__}: {str(exc).splitlines()[0]}",
            file=sys.stderr,
        )
        return 1
    log.info("migrated", extra={"from_revision": before, "to_revision": after, "database": _redacted(url)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
