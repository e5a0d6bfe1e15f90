"""Fixtures: real databases (SQLite and PostgreSQL), the app, users, a fake AI provider server."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from tests.pgserver import PostgresUnavailable, ThrowawayPostgres
from todo_api.app import create_app
from todo_api.config import Settings
from todo_api.db import normalize_database_url
from todo_api.migrate import upgrade

JWT_SECRET = "test-only-jwt-secret-0123456789abcdefghijklmnop"
PASSWORD = "correct horse battery"
SETTINGS_ENV = [name.upper() for name in Settings.model_fields] + [
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
]


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests build their settings explicitly; a developer's exported variables must not leak in."""
    for name in SETTINGS_ENV:
        monkeypatch.delenv(name, raising=False)


# --- databases ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """Base URL of a PostgreSQL server: TEST_DATABASE_URL, else a throwaway server for this session."""
    given = os.environ.get("TEST_DATABASE_URL")
    if given:
        yield given
        return
    try:
        server = ThrowawayPostgres()
        server.start()
    except PostgresUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield server.create_database("todo_test")
    finally:
        server.stop()


def pg_schema_url(base_url: str, schema: str) -> str:
    """The same database, with `schema` first on the search path (created if missing)."""
    engine = create_engine(normalize_database_url(base_url), poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    engine.dispose()
    url = make_url(normalize_database_url(base_url).render_as_string(hide_password=False))
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_app_url(postgres_server_url: str) -> str:
    """A schema migrated to head once per session; tests truncate it."""
    url = pg_schema_url(postgres_server_url, f"app_{uuid.uuid4().hex[:8]}")
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "todo.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "todo.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest) -> str:
    """A migrated, empty database of each kind."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("postgres_url")


def truncate_all(url: str) -> None:
    """Empties every table: users, tasks and the throttles' shared state (limits)."""
    engine = create_engine(normalize_database_url(url), poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE tasks, users, limits RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def postgres_url(postgres_app_url: str) -> str:
    """The session's migrated PostgreSQL schema, emptied for this test."""
    truncate_all(postgres_app_url)
    return postgres_app_url


@pytest.fixture(params=["sqlite", "postgres"])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database with no tables at all (for migration tests)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    base = request.getfixturevalue("postgres_server_url")
    return pg_schema_url(base, f"mig_{uuid.uuid4().hex[:10]}")


# --- the app -----------------------------------------------------------------------------------


def make_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "app_env": "test",
        "database_url": database_url,
        "jwt_secret": JWT_SECRET,
        "ai_provider": "mock",
        "log_level": "warning",
        "migrate_on_start": False,
        # Tests sign up many users from one client; tests of the signup throttle set their own.
        "signups_per_address": 10_000,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def make_client() -> Iterator[Callable[..., TestClient]]:
    opened: list[TestClient] = []

    def _make(database_url: str, address: str = "testclient", **overrides: object) -> TestClient:
        """An app on `database_url`; its requests come from `address` (the TCP peer it sees)."""
        client = TestClient(
            create_app(make_settings(database_url, **overrides)),
            raise_server_exceptions=False,
            client=(address, 50000),
        )
        client.__enter__()
        opened.append(client)
        return client

    yield _make
    for client in opened:
        client.__exit__(None, None, None)


@pytest.fixture
def client(db_url: str, make_client: Callable[..., TestClient]) -> TestClient:
    return make_client(db_url)


class ApiUser:
    def __init__(self, client: TestClient, email: str, password: str = PASSWORD) -> None:
        response = client.post("/api/auth/signup", json={"email": email, "password": password})
        assert response.status_code == 201, response.text
        body = response.json()
        self.client = client
        self.email = email
        self.id: int = body["user"]["id"]
        self.token: str = body["access_token"]
        self.headers = {"Authorization": f"Bearer {self.token}"}

    def get(self, url: str, **kw):  # type: ignore[no-untyped-def]
        return self.client.get(url, headers=self.headers, **kw)

    def post(self, url: str, **kw):  # type: ignore[no-untyped-def]
        return self.client.post(url, headers=self.headers, **kw)

    def patch(self, url: str, **kw):  # type: ignore[no-untyped-def]
        return self.client.patch(url, headers=self.headers, **kw)

    def delete(self, url: str, **kw):  # type: ignore[no-untyped-def]
        return self.client.delete(url, headers=self.headers, **kw)

    def add(self, title: str, **fields: object) -> dict:
        response = self.post("/api/tasks", json={"title": title, **fields})
        assert response.status_code == 201, response.text
        return response.json()

    def chat(self, message: str):  # type: ignore[no-untyped-def]
        return self.post("/api/chat", json={"message": message})


@pytest.fixture
def alice(client: TestClient) -> ApiUser:
    return ApiUser(client, "alice@example.test")


@pytest.fixture
def bob(client: TestClient) -> ApiUser:
    return ApiUser(client, "bob@example.test")
