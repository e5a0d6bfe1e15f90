"""The ASGI application: `uvicorn todo_api.main:app`.

Importing this module builds the app from the environment. A configuration problem (for example a
missing JWT_SECRET outside dev mode) prints one message naming the variable and exits with status 2,
instead of a traceback.
"""

from __future__ import annotations

import sys

from fastapi import FastAPI
from uvicorn.config import Config

from todo_api.app import create_app
from todo_api.config import ConfigError


def _app_from_environment() -> FastAPI:
    try:
        return create_app()
    except ConfigError as exc:
        print(f"todo_api: configuration error: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(2) from None


def _drop_uvicorn_server_header() -> None:
    """Uvicorn adds `server: uvicorn` to every response unless started with --no-server-header
    (`python -m todo_api` does that). So that `uvicorn todo_api.main:app`, uvicorn.run() and worker
    managers behave the same, remove it from the Config that is importing this module: uvicorn
    computes `encoded_headers` before it imports the app and reads them on every response."""
    frame = sys._getframe(1)
    while frame is not None:
        config = frame.f_locals.get("self")
        if isinstance(config, Config):
            config.server_header = False
            config.encoded_headers = [(k, v) for k, v in config.encoded_headers if k != b"server"]
            return
        frame = frame.f_back


app = _app_from_environment()
_drop_uvicorn_server_header()
