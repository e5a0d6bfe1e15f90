"""Settings, read only from environment variables (no .env files).

`load_settings()` validates the environment and raises `ConfigError` with a message meant for a
person (which variable, what is wrong, how to fix it); `require_serving_config()` adds the checks
that only matter when serving HTTP (the migrate command needs none of them).
"""

from __future__ import annotations

from enum import StrEnum
from functools import cached_property
from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./todo.db"
DEV_JWT_SECRET = "dev-only-insecure-jwt-secret-change-me"  # noqa: S105 - used only when APP_ENV=dev


class ConfigError(Exception):
    """The environment is not usable; the message says what to set."""


class AppEnv(StrEnum):
    dev = "dev"
    test = "test"
    production = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", env_file=None)

    app_env: AppEnv = AppEnv.production
    database_url: str = DEFAULT_DATABASE_URL
    jwt_secret: str | None = None
    jwt_expire_minutes: int = Field(default=1440, ge=1, le=60 * 24 * 365)
    ai_provider: Literal["mock", "groq"] = "mock"
    groq_api_key: str | None = None
    groq_base_url: str = "https://api.groq.com/openai/v1"
    groq_model: str = "llama-3.3-70b-versatile"
    groq_timeout_seconds: float = Field(default=15.0, gt=0, le=300)
    cors_origins: str = ""
    log_level: Literal["debug", "info", "warning", "error", "critical"] = "info"
    port: int = Field(default=8000, ge=1, le=65535)
    host: str = "0.0.0.0"  # noqa: S104 - the container's server listens on all interfaces
    migrate_on_start: bool | None = None
    # Requests: bodies above this many bytes are refused with 413 before they are read whole.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, le=100 * 1024 * 1024)
    # /openapi.json: on outside production, off in production unless set to true.
    openapi_enabled: bool | None = None
    # Passwords (argon2id). The defaults are OWASP's minimum (19 MiB, 2 passes, 1 lane).
    argon2_memory_kib: int = Field(default=19 * 1024, ge=1024, le=1024 * 1024)
    argon2_time_cost: int = Field(default=2, ge=1, le=20)
    argon2_parallelism: int = Field(default=1, ge=1, le=16)
    # The process's memory budget (the container's limit; the chart passes it in). It bounds how many
    # password hashes run at once (security.hash_concurrency) unless PASSWORD_HASH_CONCURRENCY is set.
    memory_limit_mb: int = Field(default=512, ge=64, le=1024 * 1024)
    password_hash_concurrency: int | None = Field(default=None, ge=1, le=64)
    # Sign-in throttling, shared by every replica (the database's `limits` table, todo_api.throttle):
    # failed logins per account back off exponentially after LOGIN_FREE_FAILURES, never longer than
    # LOGIN_BACKOFF_MAX_SECONDS; from LOGIN_LOCKOUT_FAILURES in a row (NIST SP 800-63B Rev. 4: at most
    # 100) each attempt waits LOGIN_LOCKOUT_SECONDS, and the account's own correct password clears
    # it. A client address may fail LOGIN_FAILURES_PER_ADDRESS times per LOGIN_ADDRESS_WINDOW_SECONDS.
    login_free_failures: int = Field(default=5, ge=1, le=1000)
    login_backoff_max_seconds: int = Field(default=60, ge=1, le=3600)
    login_lockout_failures: int = Field(default=100, ge=2, le=100)
    login_lockout_seconds: int = Field(default=3600, ge=60, le=7 * 86_400)
    login_failures_per_address: int = Field(default=30, ge=1, le=100_000)
    login_address_window_seconds: int = Field(default=300, ge=1, le=86_400)
    # Signups per client address and in total per SIGNUP_WINDOW_SECONDS (all replicas together).
    signups_per_address: int = Field(default=10, ge=1, le=1_000_000)
    signups_total: int = Field(default=1000, ge=1, le=10_000_000)
    signup_window_seconds: int = Field(default=3600, ge=1, le=7 * 86_400)
    # Proxies (IPs or CIDRs, comma-separated) whose X-Forwarded-For is believed: the ingress.
    trusted_proxies: str = ""
    # /api/chat budget per user (each request may cost an AI provider call), shared by every replica.
    chat_requests_per_minute: int = Field(default=20, ge=1, le=100_000)
    # PostgreSQL connection pool per process; a request that waits longer than the timeout gets 503.
    # No overflow by default: overflow connections are closed when returned, and under steady load
    # that meant a new connection (several round trips and authentication) every few requests.
    db_pool_size: int = Field(default=10, ge=1, le=500)
    db_max_overflow: int = Field(default=0, ge=0, le=500)
    db_pool_timeout_seconds: float = Field(default=5.0, gt=0, le=300)
    # PostgreSQL: any statement running longer than this is cancelled (503); 0 turns it off. Applies to
    # the server's connections, not to the migrate command.
    db_statement_timeout_ms: int = Field(default=5000, ge=0, le=600_000)
    # Quotas per user, through the REST API and the assistant: tasks, and bytes of task text (titles
    # and descriptions, UTF-8). Over either, creating or growing a task is 409 naming the variable.
    max_tasks_per_user: int = Field(default=10_000, ge=1, le=10_000_000)
    max_task_text_bytes_per_user: int = Field(default=10 * 1024 * 1024, ge=1024, le=1024**3)
    # /readyz: how long the probe (on its own connection, todo_api.readiness) waits for SELECT 1.
    readiness_timeout_seconds: float = Field(default=3.0, gt=0, le=60)

    @field_validator("app_env", "ai_provider", "log_level", mode="before")
    @classmethod
    def _normalise_choice(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        value = value.strip().lower()
        aliases = {"development": "dev", "develop": "dev", "prod": "production", "testing": "test"}
        return aliases.get(value, value)

    @field_validator("jwt_secret", "groq_api_key", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("database_url", mode="before")
    @classmethod
    def _blank_database_url(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return DEFAULT_DATABASE_URL
        return value.strip() if isinstance(value, str) else value

    @property
    def is_dev(self) -> bool:
        return self.app_env == AppEnv.dev

    @cached_property
    def cors_origin_list(self) -> list[str]:
        return [o.strip().rstrip("/") for o in self.cors_origins.split(",") if o.strip()]

    @cached_property
    def trusted_proxy_networks(self) -> tuple[IPv4Network | IPv6Network, ...]:
        return tuple(
            ip_network(p.strip(), strict=False) for p in self.trusted_proxies.split(",") if p.strip()
        )

    @field_validator("trusted_proxies")
    @classmethod
    def _valid_networks(cls, value: str) -> str:
        for part in value.split(","):
            if part.strip():
                try:
                    ip_network(part.strip(), strict=False)
                except ValueError:
                    raise ValueError(
                        f"{part.strip()!r} is not an IP address or CIDR network (e.g. 10.244.0.0/16)"
                    ) from None
        return value

    @property
    def openapi_served(self) -> bool:
        if self.openapi_enabled is None:
            return self.app_env != AppEnv.production
        return self.openapi_enabled

    @property
    def should_migrate_on_start(self) -> bool:
        if self.migrate_on_start is None:
            return self.is_dev
        return self.migrate_on_start

    @property
    def effective_jwt_secret(self) -> str:
        if self.jwt_secret:
            return self.jwt_secret
        if self.is_dev:
            return DEV_JWT_SECRET
        raise ConfigError(_missing_jwt_secret_message(self.app_env))


def _missing_jwt_secret_message(app_env: str) -> str:
    return (
        f"JWT_SECRET is not set (APP_ENV={app_env}). It signs login tokens and is required "
        "outside dev mode. Set it to a long random value, for example:\n"
        "  export JWT_SECRET=\"$(python -c 'import secrets; print(secrets.token_urlsafe(48))')\"\n"
        "or run with APP_ENV=dev for local development (uses a fixed, insecure secret)."
    )


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment (plus explicit overrides), or ConfigError naming the variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = "_".join(str(p) for p in err["loc"]).upper() or "settings"
            problems.append(f"  {name}: {err['msg']} (got {err.get('input')!r})")
        raise ConfigError("invalid environment configuration:\n" + "\n".join(problems)) from None


MIN_PRODUCTION_JWT_SECRET_BYTES = 32


def require_deployable_config(settings: Settings) -> None:
    """Checks for a server started from the environment (todo_api.main): settings that would weaken it
    by accident are refused. The test suite builds its settings in code and may use APP_ENV=test."""
    if settings.app_env == AppEnv.test:
        raise ConfigError(
            "APP_ENV=test hashes passwords with cheap argon2 parameters and is only for the test suite "
            "(which builds its settings in code). Set APP_ENV=production (the default), or APP_ENV=dev "
            "for local development."
        )


def require_serving_config(settings: Settings) -> None:
    """Checks that only matter for the HTTP server; raises ConfigError."""
    secret = settings.effective_jwt_secret
    if settings.app_env == AppEnv.production and len(secret.encode()) < MIN_PRODUCTION_JWT_SECRET_BYTES:
        raise ConfigError(
            f"JWT_SECRET is {len(secret.encode())} bytes; production needs at least "
            f"{MIN_PRODUCTION_JWT_SECRET_BYTES} (anyone who guesses it can sign tokens for any user). "
            "Set it to a long random value, for example:\n"
            "  export JWT_SECRET=\"$(python -c 'import secrets; print(secrets.token_urlsafe(48))')\""
        )
    if settings.ai_provider == "groq" and not settings.groq_api_key:
        raise ConfigError(
            "GROQ_API_KEY is not set but AI_PROVIDER=groq. Set GROQ_API_KEY to your Groq API key, "
            "or use AI_PROVIDER=mock for the offline, rule-based assistant."
        )
