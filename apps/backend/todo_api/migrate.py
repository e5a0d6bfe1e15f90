"""Bring the database to the newest schema: `python -m todo_api.migrate`.

Reads DATABASE_URL like the app (default sqlite:///./todo.db). Safe to run any number of times: an
up-to-date database is left alone. On PostgreSQL an advisory lock serialises concurrent runs.
Needs no JWT_SECRET: only the database settings matter here.

Every new API pod runs this before its server starts (the chart's `migrate` init container), so the
common case, a database already at head, is answered without importing Alembic (most of this
command's start-up): the scripts' revisions are read as plain literals and compared with the
alembic_version table. Anything else goes through Alembic as before.
"""

from __future__ import annotations

import argparse
import ast
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from todo_api.config import ConfigError, load_settings
from todo_api.database_url import normalize_database_url
from todo_api.logs import configure_logging

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
log = logging.getLogger("todo_api.migrate")


def alembic_config(database_url: str) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["database_url"] = database_url
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def _script_graph() -> tuple[set[str], set[str]] | None:
    """(revisions, their parents) declared by the migration scripts, read without Alembic; None when
    any script does not declare `revision`/`down_revision` as plain literals (then only Alembic can
    tell)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
        if path.name == "__init__.py":
            continue
        found: dict[str, object] = {}
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.AnnAssign) and node.value is not None:
                target, value = node.target, node.value
            elif isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
            else:
                continue
            if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
                try:
                    found[target.id] = ast.literal_eval(value)
                except ValueError:
                    return None
        revision, down = found.get("revision"), found.get("down_revision")
        if not isinstance(revision, str):
            return None
        revisions.add(revision)
        if isinstance(down, str):
            parents.add(down)
        elif isinstance(down, tuple | list):
            parents.update(d for d in down if isinstance(d, str))
        elif down is not None:
            return None
    return revisions, parents


def script_heads() -> set[str] | None:
    """The head revisions of the migration scripts, read without Alembic (None: ask Alembic)."""
    graph = _script_graph()
    return (graph[0] - graph[1]) or None if graph else None


def known_revisions() -> set[str]:
    """Every revision this code has a script for."""
    graph = _script_graph()
    if graph is not None:
        return graph[0]
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return {script.revision for script in scripts.walk_revisions()}


def database_revisions(database_url: str) -> set[str]:
    """The revisions in the database's alembic_version table (empty when there is none)."""
    engine = create_engine(normalize_database_url(database_url), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return set()
            return set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    finally:
        engine.dispose()


def current_revision(database_url: str) -> str | None:
    from alembic.runtime.migration import MigrationContext

    engine = create_engine(normalize_database_url(database_url), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def upgrade(database_url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    from alembic import command

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
        stamped = database_revisions(url)
        if newer := stamped - known_revisions():
            # The state after `helm rollback` of a release whose migration ran: the schema is ahead of
            # this code. Every migration stays compatible with the release before it (expand, then
            # contract; docs/deploy.md), so the older code runs on it: leave it, start the server.
            log.warning(
                "database is at a revision newer than this code knows; leaving it as it is",
                extra={
                    "database_revision": ",".join(sorted(stamped)),
                    "unknown": ",".join(sorted(newer)),
                    "code_head": ",".join(sorted(script_heads() or [head_revision()])),
                    "database": _redacted(url),
                },
            )
            return 0
        if args.revision == "head":
            heads = script_heads()
            if heads is not None and stamped == heads:
                log.info(
                    "database already at target revision; nothing to do",
                    extra={"revision": ",".join(sorted(heads)), "database": _redacted(url)},
                )
                return 0
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
    except Exception as exc:
        from alembic.util import CommandError  # Alembic is loaded by now; not on the fast path

        if not isinstance(exc, CommandError):  # e.g. an unknown --revision
            raise
        print(f"todo_api.migrate: {exc}", file=sys.stderr)
        return 1
    log.info("migrated", extra={"from_revision": before, "to_revision": after, "database": _redacted(url)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
