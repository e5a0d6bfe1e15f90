"""The ASGI application: `uvicorn todo_api.main:app`.

Importing this module builds the app from the environment. A configuration problem (for example a
missing JWT_SECRET outside dev mode) prints one message naming the variable and exits with status 2,
instead of a traceback.
"""

from __future__ import annotations

import sys

from fastapi import FastAPI

from todo_api.app import create_app
from todo_api.config import ConfigError


def _app_from_environment() -> FastAPI:
    try:
        return create_app()
    except ConfigError as exc:
        print(f"todo_api: configuration error: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(2) from None


app = _app_from_environment()
