"""Production server: `python -m todo_api` runs uvicorn on HOST:PORT (default 0.0.0.0:8000).

Equivalent to `uvicorn todo_api.main:app --host 0.0.0.0 --port $PORT`. Uvicorn stops gracefully on
SIGTERM/SIGINT: it stops accepting, lets in-flight requests finish (up to 25 s here, inside
Kubernetes' default 30 s grace period), then runs the app's shutdown.
WEB_CONCURRENCY (uvicorn's own variable) sets the number of worker processes (default 1).

One process (the default) listens before it imports the app. `uvicorn.run` imports FastAPI,
SQLAlchemy and the routes first (0.6-0.9 s in the image) and only then listens, so the kubelet's
first startup probe, about 0.7 s after the container starts, is refused and the next one comes a
whole period (1 s) later. Listening first, the probe's connection waits in the backlog and is answered
as soon as the app is up: a new pod is ready about a second sooner in every rollout, and nothing is
answered before the app could answer it. With more workers uvicorn already binds before they import.
"""

from __future__ import annotations

import os
import socket
import sys
from typing import Any

import uvicorn

from todo_api.config import ConfigError, load_settings


def main() -> None:
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"todo_api: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    options: dict[str, Any] = {
        # X-Forwarded-For is read by the app, from TRUSTED_PROXIES only (todo_api.client_address).
        "proxy_headers": False,
        "timeout_graceful_shutdown": 25,
        "log_config": None,
        "server_header": False,
    }
    workers = int(os.environ.get("WEB_CONCURRENCY", "1") or 1)
    if workers > 1:
        uvicorn.run("todo_api.main:app", host=settings.host, port=settings.port, workers=workers, **options)
        return
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    # SO_REUSEADDR as uvicorn sets it; the backlog is uvicorn's default (its own listen() keeps it).
    try:
        listener = socket.create_server((settings.host, settings.port), family=family, backlog=2048)
    except OSError as exc:
        where = f"{settings.host}:{settings.port}"
        print(f"todo_api: cannot listen on {where}: {exc.strerror} (set HOST/PORT)", file=sys.stderr)
        raise SystemExit(1) from None
    config = uvicorn.Config("todo_api.main:app", host=settings.host, port=settings.port, **options)
    uvicorn.Server(config).run(sockets=[listener])


if __name__ == "__main__":
    main()
