"""Liveness and readiness probes."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter(tags=["health"])
log = logging.getLogger(__name__)


@router.get("/healthz", summary="Liveness: the process answers (no database access)")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness: the database answers SELECT 1 (on the probe's own connection and thread, so it "
    "never waits behind user requests)",
    responses={503: {"description": "database unreachable"}},
)
async def readyz(request: Request) -> JSONResponse:
    try:
        await request.app.state.readiness.check()
    except Exception as exc:
        log.warning("readiness check failed", extra={"error": f"{type(exc).__name__}: {exc}"[:500]})
        return JSONResponse(
            status_code=503,
            content={"status": "unavailable", "database": "down", "detail": "database is not reachable"},
        )
    return JSONResponse({"status": "ok", "database": "ok"})
