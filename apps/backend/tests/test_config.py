"""Settings come from the environment; a bad environment stops the app with one clear message."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from todo_api.config import ConfigError, load_settings, require_serving_config
from todo_api.db import normalize_database_url

BACKEND = Path(__file__).resolve().parents[1]


def run_python(code: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "SYSTEMROOT")}
    base["DATABASE_URL"] = f"sqlite:///{tmp_path / 'cfg.db'}"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=BACKEND,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_missing_jwt_secret_outside_dev_refuses_to_start(tmp_path):
    proc = run_python("import todo_api.main", tmp_path, APP_ENV="production")
    assert proc.returncode == 2
    assert "JWT_SECRET is not set" in proc.stderr
    assert "export JWT_SECRET=" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_production_is_the_default_mode(tmp_path):
    proc = run_python("import todo_api.main", tmp_path)
    assert proc.returncode == 2
    assert "JWT_SECRET is not set (APP_ENV=production)" in proc.stderr


def test_python_m_todo_api_gives_the_same_message(tmp_path):
    proc = run_python("import runpy; runpy.run_module('todo_api', run_name='__main__')", tmp_path)
    assert proc.returncode == 2
    assert "JWT_SECRET" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_dev_mode_starts_without_jwt_secret(tmp_path):
    proc = run_python("import todo_api.main; print('ok')", tmp_path, APP_ENV="dev", LOG_LEVEL="error")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith("ok")


def test_production_starts_with_jwt_secret(tmp_path):
    proc = run_python("import todo_api.main; print('ok')", tmp_path, JWT_SECRET="x" * 40, LOG_LEVEL="error")
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"AI_PROVIDER": "openai"}, "AI_PROVIDER"),
        ({"PORT": "eighty"}, "PORT"),
        ({"GROQ_TIMEOUT_SECONDS": "-1"}, "GROQ_TIMEOUT_SECONDS"),
        ({"AI_PROVIDER": "groq"}, "GROQ_API_KEY is not set"),
        ({"DATABASE_URL": "mysql://x@localhost/db"}, "DATABASE_URL"),
    ],
)
def test_bad_environment_is_one_clear_message(tmp_path, env, needle):
    proc = run_python("import todo_api.main", tmp_path, JWT_SECRET="x" * 40, **env)
    assert proc.returncode == 2
    assert needle in proc.stderr
    assert "Traceback" not in proc.stderr


def test_settings_from_environment(monkeypatch):
    monkeypatch.setenv("APP_ENV", "Development")
    monkeypatch.setenv("CORS_ORIGINS", "http://localhost:3000, https://todo.example.com/ ,")
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    monkeypatch.setenv("GROQ_TIMEOUT_SECONDS", "2.5")
    settings = load_settings()
    assert settings.is_dev
    assert settings.cors_origin_list == ["http://localhost:3000", "https://todo.example.com"]
    assert settings.log_level == "warning"
    assert settings.groq_timeout_seconds == 2.5
    assert settings.database_url == "sqlite:///./todo.db"
    assert settings.groq_base_url == "https://api.groq.com/openai/v1"
    assert settings.port == 8000
    assert settings.should_migrate_on_start is True  # dev default


def test_migrate_on_start_defaults_off_outside_dev(monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    assert load_settings().should_migrate_on_start is False
    monkeypatch.setenv("MIGRATE_ON_START", "true")
    assert load_settings().should_migrate_on_start is True


def test_groq_requires_a_key():
    with pytest.raises(ConfigError, match="GROQ_API_KEY"):
        require_serving_config(load_settings(app_env="dev", ai_provider="groq"))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("postgres://u:p@db.example.com/app", "postgresql+psycopg://u:p@db.example.com/app"),
        (
            "postgresql://u:p@ep-x.neon.tech/neondb?sslmode=require&channel_binding=require",
            "postgresql+psycopg://u:p@ep-x.neon.tech/neondb?channel_binding=require&sslmode=require",
        ),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///./todo.db", "sqlite:///./todo.db"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
    ],
)
def test_database_url_normalisation(raw, expected):
    assert normalize_database_url(raw).render_as_string(hide_password=False) == expected


@pytest.mark.parametrize("raw", ["mysql://u@h/db", "not a url"])
def test_unsupported_database_url(raw):
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        normalize_database_url(raw)


def test_app_env_test_is_refused_at_start_up(tmp_path):
    """APP_ENV=test means cheap password hashes: only the test suite, which builds settings in code."""
    proc = run_python("import todo_api.main", tmp_path, APP_ENV="test", JWT_SECRET="x" * 40)
    assert proc.returncode == 2
    assert "APP_ENV=test hashes passwords with cheap argon2 parameters" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_short_jwt_secret_is_refused_in_production(tmp_path):
    proc = run_python("import todo_api.main", tmp_path, JWT_SECRET="x" * 31)
    assert proc.returncode == 2
    assert "JWT_SECRET is 31 bytes; production needs at least 32" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert (
        run_python("import todo_api.main", tmp_path, JWT_SECRET="é" * 16, LOG_LEVEL="error").returncode == 0
    )
    dev = run_python("import todo_api.main; print('ok')", tmp_path, APP_ENV="dev", JWT_SECRET="short")
    assert dev.returncode == 0, dev.stderr  # dev mode only warns
