"""Alembic migrations on real SQLite and PostgreSQL databases."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.pool import NullPool

from tests.conftest import ApiUser
from todo_api.db import normalize_database_url
from todo_api.migrate import (
    current_revision,
    database_revisions,
    downgrade,
    head_revision,
    script_heads,
    upgrade,
)
from todo_api.models import Base
from todo_api.security import make_password_hasher

BACKEND = Path(__file__).resolve().parents[1]


def engine_for(url: str):  # type: ignore[no-untyped-def]
    return create_engine(normalize_database_url(url), poolclass=NullPool)


HEAD = "0005"


def test_head_is_the_newest_revision():
    assert head_revision() == HEAD


def test_script_heads_agree_with_alembic():
    # The migrate command's fast path reads the heads without Alembic; they must be Alembic's.
    assert script_heads() == {head_revision()}


def test_database_revisions(empty_db_url):
    assert database_revisions(empty_db_url) == set()
    upgrade(empty_db_url, "0001")
    assert database_revisions(empty_db_url) == {"0001"}


def test_empty_to_head_matches_the_models(empty_db_url):
    assert current_revision(empty_db_url) is None
    upgrade(empty_db_url)
    assert current_revision(empty_db_url) == head_revision()
    engine = engine_for(empty_db_url)
    with engine.connect() as conn:
        assert {"users", "tasks", "alembic_version"} <= set(inspect(conn).get_table_names())
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    engine.dispose()
    assert diff == []


def test_0001_with_data_to_head_preserves_it(empty_db_url, make_client):
    upgrade(empty_db_url, "0001")
    assert current_revision(empty_db_url) == "0001"
    password_hash = make_password_hasher(fast=True).hash("old-password-1")
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    engine = engine_for(empty_db_url)
    with engine.begin() as conn:
        assert "due_date" not in {c["name"] for c in inspect(conn).get_columns("tasks")}
        conn.execute(
            text("INSERT INTO users (email, password_hash, created_at) VALUES (:e, :h, :t)"),
            {"e": "old@example.test", "h": password_hash, "t": now},
        )
        user_id = conn.execute(text("SELECT id FROM users")).scalar_one()
        conn.execute(
            text(
                "INSERT INTO tasks (owner_id, title, description, done, created_at, updated_at) "
                "VALUES (:o, 'Legacy task', 'from 0001', :d, :t, :t)"
            ),
            {"o": user_id, "d": True, "t": now},
        )

    upgrade(empty_db_url)

    assert current_revision(empty_db_url) == HEAD
    with engine.connect() as conn:
        insp = inspect(conn)
        assert "due_date" in {c["name"] for c in insp.get_columns("tasks")}
        assert "ix_tasks_owner_id_done_id" in {i["name"] for i in insp.get_indexes("tasks")}
        row = conn.execute(text("SELECT title, description, done, due_date FROM tasks")).one()
    engine.dispose()
    assert tuple(row) == ("Legacy task", "from 0001", True, None)

    # The migrated data works through the API: log in with the old password and see the task.
    client = make_client(empty_db_url)
    login = client.post("/api/auth/login", json={"email": "old@example.test", "password": "old-password-1"})
    assert login.status_code == 200, login.text
    token = login.json()["access_token"]
    tasks = client.get("/api/tasks", headers={"Authorization": f"Bearer {token}"}).json()
    assert tasks["total"] == 1
    assert tasks["items"][0]["title"] == "Legacy task"
    assert tasks["items"][0]["done"] is True
    assert tasks["items"][0]["created_at"] == "2026-01-02T03:04:05Z"
    # New columns are usable after the upgrade.
    user = ApiUser(client, "new@example.test")
    assert user.add("With due date", due_date="2030-05-06")["due_date"] == "2030-05-06"


def test_downgrade_to_0001_and_back(empty_db_url):
    upgrade(empty_db_url)
    downgrade(empty_db_url, "0001")
    assert current_revision(empty_db_url) == "0001"
    upgrade(empty_db_url)
    assert current_revision(empty_db_url) == HEAD


def _migrate_cli(
    url: str, *python_flags: str, args: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    env["DATABASE_URL"] = url
    return subprocess.run(
        [sys.executable, *python_flags, "-m", "todo_api.migrate", *args],
        cwd=BACKEND,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_migrate_command_twice_is_a_noop(empty_db_url):
    first = _migrate_cli(empty_db_url)
    assert first.returncode == 0, first.stderr
    assert f'"to_revision": "{HEAD}"' in first.stdout
    engine = engine_for(empty_db_url)
    with engine.connect() as conn:
        schema_before = {t: inspect(conn).get_columns(t) for t in ("users", "tasks")}
    second = _migrate_cli(empty_db_url)
    assert second.returncode == 0, second.stderr
    assert "nothing to do" in second.stdout
    with engine.connect() as conn:
        schema_after = {t: inspect(conn).get_columns(t) for t in ("users", "tasks")}
        versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    engine.dispose()
    assert versions == [HEAD]
    assert repr(schema_before) == repr(schema_after)


def test_migrate_command_at_head_imports_neither_alembic_nor_fastapi(empty_db_url):
    # Every API pod runs the command before serving; at head it answers without those imports.
    assert _migrate_cli(empty_db_url).returncode == 0
    proc = _migrate_cli(empty_db_url, "-X", "importtime")
    assert proc.returncode == 0, proc.stderr
    assert "nothing to do" in proc.stdout
    imported = {
        line.rsplit("|", 1)[-1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "sqlalchemy" in imported
    assert not any(m.split(".")[0] in ("alembic", "fastapi") for m in imported)


def test_migrate_command_reports_an_unreachable_database_clearly():
    from tests.pgserver import free_port

    proc = _migrate_cli(f"postgresql://nobody@127.0.0.1:{free_port()}/x")
    assert proc.returncode == 1
    assert "todo_api.migrate: database error" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_migrate_on_start(tmp_path, make_client):
    url = f"sqlite:///{tmp_path / 'auto.db'}"
    client = make_client(url, migrate_on_start=True)
    assert current_revision(url) == HEAD
    assert client.get("/readyz").status_code == 200


def test_0005_gives_every_existing_user_its_own_session_key(empty_db_url):
    upgrade(empty_db_url, "0004")
    engine = engine_for(empty_db_url)
    with engine.begin() as conn:
        for email in ("a@example.test", "b@example.test"):
            conn.execute(
                text("INSERT INTO users (email, password_hash, created_at) VALUES (:e, 'x', :t)"),
                {"e": email, "t": datetime(2026, 1, 1, tzinfo=UTC)},
            )
    upgrade(empty_db_url)
    with engine.connect() as conn:
        # The previous release, which knows nothing of the column, still signs users up (rollback).
        conn.execute(
            text("INSERT INTO users (email, password_hash, created_at) VALUES ('c@example.test', 'x', :t)"),
            {"t": datetime(2026, 1, 1, tzinfo=UTC)},
        )
        conn.commit()
        keys = conn.execute(text("SELECT session_key FROM users")).scalars().all()
    engine.dispose()
    assert len(keys) == 3
    assert all(k and len(k) == 32 for k in keys)
    assert len(set(keys)) == 3


def test_migrate_on_a_database_from_a_newer_release_exits_0_with_a_warning(empty_db_url):
    """After `helm rollback` of a release whose migration ran, the database is stamped with a revision
    this code has no script for; the old pods' migrate step must let them start."""
    upgrade(empty_db_url)
    engine = engine_for(empty_db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    proc = _migrate_cli(empty_db_url)
    assert proc.returncode == 0, proc.stderr
    assert "newer than this code knows" in proc.stdout
    assert '"unknown": "9999"' in proc.stdout
    assert "Traceback" not in proc.stderr
    assert database_revisions(empty_db_url) == {"9999"}  # left as it is


def test_migrate_to_an_unknown_revision_is_one_clear_error(empty_db_url):
    proc = _migrate_cli(empty_db_url, args=("--revision", "nope"))
    assert proc.returncode == 1
    assert "todo_api.migrate:" in proc.stderr
    assert "Traceback" not in proc.stderr
