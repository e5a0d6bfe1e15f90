"""The application factory. `todo_api.main` builds the app from the environment; tests call
create_app() with explicit settings."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from todo_api import __version__
from todo_api.assistant.intents import AssistantProvider
from todo_api.config import Settings, load_settings, require_deployable_config, require_serving_config
from todo_api.db import create_db_engine, db_concurrency, make_sessionmaker, reading_engine
from todo_api.deps import DatabaseThreads
from todo_api.logs import configure_logging
from todo_api.middleware import BodyLimitMiddleware, RequestContextMiddleware
from todo_api.readiness import ReadinessProbe
from todo_api.routes import auth, chat, health, tasks
from todo_api.security import Passwords, Tokens, hash_concurrency, make_password_hasher
from todo_api.tasks_repo import Quota, QuotaExceeded
from todo_api.throttle import SharedLimits, prune

log = logging.getLogger("todo_api")


def make_provider(settings: Settings) -> AssistantProvider:
    if settings.ai_provider == "groq":
        from todo_api.assistant.groq import GroqProvider

        return GroqProvider(
            api_key=settings.groq_api_key or "",
            base_url=settings.groq_base_url,
            model=settings.groq_model,
            timeout_seconds=settings.groq_timeout_seconds,
        )
    from todo_api.assistant.mock import MockProvider

    return MockProvider()


# A 422 echoes the rejected value only when it is small: a 50 MB string must not come back (escaped,
# larger) in the error.
MAX_ECHOED_INPUT = 200
RETRY_AFTER_SECONDS = "2"


def _small_error(error: dict) -> dict:
    error = dict(error)
    if "input" in error and len(repr(error["input"])) > MAX_ECHOED_INPUT:
        error.pop("input")
    if len(repr(error.get("ctx"))) > MAX_ECHOED_INPUT:
        error.pop("ctx")
    return error


async def _validation_error(_request: Request, exc: RequestValidationError) -> Response:
    """FastAPI's 422 body without large inputs, rendered ASCII-safe: the echoed `input` may hold text
    that UTF-8 cannot encode (a lone surrogate sent as "\\ud800"), which makes the stock handler fail
    with a 500."""
    malformed = [e for e in exc.errors() if e.get("type") == "json_invalid"]
    if malformed:  # not a rule of the API's: the body is no JSON at all (the schema documents 400)
        reason = malformed[0].get("ctx", {}).get("error", "not valid JSON")
        return JSONResponse({"detail": f"Malformed JSON body: {reason}"[:300]}, status_code=400)
    errors = [_small_error(e) for e in exc.errors()]
    body = json.dumps({"detail": jsonable_encoder(errors)}, ensure_ascii=True, default=str)
    return Response(body, status_code=422, media_type="application/json")


def _retry_later(detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=503, headers={"Retry-After": RETRY_AFTER_SECONDS})


async def _database_unavailable(_request: Request, exc: Exception) -> JSONResponse:
    log.error("database unavailable", extra={"error": f"{type(exc).__name__}: {exc}"[:500]})
    return _retry_later("The database is unavailable; try again shortly.")


async def _over_quota(_request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=409)


async def _database_busy(_request: Request, exc: Exception) -> JSONResponse:
    """Every pooled connection stayed busy for DB_POOL_TIMEOUT_SECONDS: overload, not a bug."""
    log.warning("database pool exhausted", extra={"error": f"{type(exc).__name__}: {exc}"[:500]})
    return _retry_later("The server is busy; try again shortly.")


def _use_read_pool(app: FastAPI, settings: Settings) -> None:
    """PostgreSQL: the task list's own asynchronous pool (todo_api.read_pool), and psycopg's errors
    answered like SQLAlchemy's (503). Imported here only: psycopg and its pool take ~10 MB that a
    SQLite server does not need."""
    import psycopg
    import psycopg_pool

    from todo_api.read_pool import ReadPool

    app.state.read_pool = ReadPool(
        app.state.engine,
        settings.db_pool_size,
        settings.db_pool_timeout_seconds,
        settings.db_statement_timeout_ms,
    )
    app.add_exception_handler(psycopg.OperationalError, _database_unavailable)
    app.add_exception_handler(psycopg.InterfaceError, _database_unavailable)
    app.add_exception_handler(psycopg_pool.PoolTimeout, _database_busy)


PRUNE_EVERY_SECONDS = 600.0


def _prune(engine, limits: SharedLimits) -> int:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        return prune(conn, limits.clock(), limits.longest_window, limits.login.lockout_failures)


async def _prune_limits(app: FastAPI) -> None:
    """Every PRUNE_EVERY_SECONDS, deletes throttle rows that no longer limit anything (each replica
    does it; the statement is idempotent)."""
    while True:
        await asyncio.sleep(PRUNE_EVERY_SECONDS)
        try:
            await app.state.db_threads.run(_prune, app.state.reading_engine, app.state.limits)
        except Exception as exc:  # the database may be down for a while; try again next time
            log.warning(
                "pruning the limits table failed", extra={"error": f"{type(exc).__name__}: {exc}"[:300]}
            )


def create_app(settings: Settings | None = None) -> FastAPI:
    if settings is None:
        settings = load_settings()
        require_deployable_config(settings)
    require_serving_config(settings)
    configure_logging(settings.log_level)
    pool = (settings.db_pool_size, settings.db_max_overflow, settings.db_pool_timeout_seconds)
    engine = create_db_engine(settings.database_url, *pool, settings.db_statement_timeout_ms)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.db_threads = DatabaseThreads(
            db_concurrency(engine, settings.db_pool_size, settings.db_max_overflow),
            settings.db_pool_timeout_seconds,
        )
        if app.state.read_pool is not None:
            await app.state.read_pool.open()
        if settings.should_migrate_on_start:
            from todo_api.migrate import upgrade

            await run_in_threadpool(upgrade, settings.database_url)
        log.info(
            "started",
            extra={
                "version": __version__,
                "app_env": str(settings.app_env),
                "database": engine.url.get_backend_name(),
                "ai_provider": settings.ai_provider,
                "password_hash_concurrency": app.state.passwords.concurrency,
            },
        )
        # Objects that live as long as the process (modules, app, pools) leave the GC's generations:
        # fewer and shorter collections while serving.
        if gc.get_freeze_count() == 0:  # once per process (tests build many apps)
            gc.collect()
            gc.freeze()
        pruning = asyncio.create_task(_prune_limits(app))
        try:
            yield
        finally:
            pruning.cancel()
            await app.state.assistant.aclose()
            app.state.passwords.close()
            app.state.db_threads.close()
            app.state.readiness.close()
            if app.state.read_pool is not None:
                await app.state.read_pool.close()
            engine.dispose()
            log.info("stopped")

    app = FastAPI(
        title="Todo API",
        version=__version__,
        lifespan=lifespan,
        docs_url="/docs" if settings.app_env != "production" else None,
        redoc_url=None,
        openapi_url="/openapi.json" if settings.openapi_served else None,
        # Starlette's slash redirect builds its Location from the Host header: `GET /api/tasks/` with
        # `Host: evil.example` pointed the client at evil.example. Without it that path is a 404.
        redirect_slashes=False,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.read_sessionmaker = make_sessionmaker(engine, read_only=True)
    app.state.reading_engine = reading_engine(engine)
    app.state.read_pool = None
    if engine.url.get_backend_name() == "postgresql":
        _use_read_pool(app, settings)
    hasher = make_password_hasher(
        settings.argon2_memory_kib,
        settings.argon2_time_cost,
        settings.argon2_parallelism,
        fast=settings.app_env == "test",
    )
    concurrency = hash_concurrency(
        settings.memory_limit_mb, hasher.memory_cost, settings.password_hash_concurrency
    )
    app.state.passwords = Passwords(hasher, concurrency)
    app.state.tokens = Tokens(settings.effective_jwt_secret, settings.jwt_expire_minutes)
    app.state.assistant = make_provider(settings)
    app.state.readiness = ReadinessProbe(settings.database_url, settings.readiness_timeout_seconds)
    app.state.limits = SharedLimits(settings)
    app.state.quota = Quota(settings.max_tasks_per_user, settings.max_task_text_bytes_per_user)
    app.state.password_checks = 0  # counted by routes/auth.py; each is also logged

    if settings.cors_origin_list:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origin_list,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-Request-ID"],
        )
    # Bodies above the limit get 413 before they are read whole (middleware.BodyLimitMiddleware).
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    # Outermost: every response gets an id, the security headers and a log line.
    app.add_middleware(RequestContextMiddleware)

    app.add_exception_handler(RequestValidationError, _validation_error)
    # Connection-level failures (database down, SQLite locked for too long) are 503, not 500.
    app.add_exception_handler(OperationalError, _database_unavailable)
    app.add_exception_handler(InterfaceError, _database_unavailable)
    app.add_exception_handler(PoolTimeoutError, _database_busy)
    app.add_exception_handler(QuotaExceeded, _over_quota)

    app.include_router(health.router)
    app.include_router(auth.router)
    app.include_router(tasks.router)
    app.include_router(chat.router)

    if settings.is_dev and not settings.jwt_secret:
        log.warning("JWT_SECRET is not set; using the fixed dev-only secret (APP_ENV=dev)")
    elif len(settings.effective_jwt_secret.encode()) < 32:  # production refuses it (config.py)
        log.warning("JWT_SECRET is shorter than 32 bytes; use a longer random value")
    return app
