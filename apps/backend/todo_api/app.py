"""The application factory. `todo_api.main` builds the app from the environment; tests call
create_app() with explicit settings."""

from __future__ import annotations

import gc
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from sqlalchemy.exc import InterfaceError, OperationalError

from todo_api import __version__
from todo_api.assistant.intents import AssistantProvider
from todo_api.config import Settings, load_settings, require_serving_config
from todo_api.db import create_db_engine, db_concurrency, make_sessionmaker
from todo_api.logs import configure_logging
from todo_api.middleware import RequestContextMiddleware
from todo_api.routes import auth, chat, health, tasks
from todo_api.security import Passwords, Tokens, make_password_hasher

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


async def _validation_error(_request: Request, exc: RequestValidationError) -> Response:
    """FastAPI's 422 body, rendered ASCII-safe: the echoed `input` may hold text that UTF-8 cannot
    encode (a lone surrogate sent as "\\ud800"), which makes the stock handler fail with a 500."""
    body = json.dumps({"detail": jsonable_encoder(exc.errors())}, ensure_ascii=True, default=str)
    return Response(body, status_code=422, media_type="application/json")


async def _database_unavailable(_request: Request, exc: Exception) -> JSONResponse:
    log.error("database unavailable", extra={"error": f"{type(exc).__name__}: {exc}"[:500]})
    return JSONResponse({"detail": "The database is unavailable; try again shortly."}, status_code=503)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    require_serving_config(settings)
    configure_logging(settings.log_level)
    engine = create_db_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.db_limiter = anyio.CapacityLimiter(db_concurrency(engine))
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
            },
        )
        # Objects that live as long as the process (modules, app, pools) leave the GC's generations:
        # fewer and shorter collections while serving.
        if gc.get_freeze_count() == 0:  # once per process (tests build many apps)
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            await app.state.assistant.aclose()
            engine.dispose()
            log.info("stopped")

    app = FastAPI(
        title="Todo API",
        version=__version__,
        lifespan=lifespan,
        docs_url="/docs" if settings.app_env != "production" else None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.db_inline = engine.url.get_backend_name() == "sqlite"
    app.state.passwords = Passwords(make_password_hasher(fast=settings.app_env == "test"))
    app.state.tokens = Tokens(settings.effective_jwt_secret, settings.jwt_expire_minutes)
    app.state.assistant = make_provider(settings)

    if settings.cors_origin_list:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origin_list,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-Request-ID"],
        )
    app.add_middleware(RequestContextMiddleware)  # outermost: every response gets an id and a log line

    app.add_exception_handler(RequestValidationError, _validation_error)
    # Connection-level failures (database down, SQLite locked for too long) are 503, not 500.
    app.add_exception_handler(OperationalError, _database_unavailable)
    app.add_exception_handler(InterfaceError, _database_unavailable)

    app.include_router(health.router)
    app.include_router(auth.router)
    app.include_router(tasks.router)
    app.include_router(chat.router)

    if settings.is_dev and not settings.jwt_secret:
        log.warning("JWT_SECRET is not set; using the fixed dev-only secret (APP_ENV=dev)")
    elif len(settings.effective_jwt_secret.encode()) < 32:
        log.warning("JWT_SECRET is shorter than 32 bytes; use a longer random value")
    return app
