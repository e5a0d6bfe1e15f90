"""Production server: `python -m todo_api` runs uvicorn on HOST:PORT (default 0.0.0.0:8000).

Equivalent to `uvicorn todo_api.main:app --host 0.0.0.0 --port $PORT`. Uvicorn stops gracefully on
SIGTERM/SIGINT: it stops accepting, lets in-flight requests finish (up to 25 s here, inside
Kubernetes' default 30 s grace period), then runs the app's shutdown.
WEB_CONCURRENCY (uvicorn's own variable) sets the number of worker processes (default 1).
"""

from __future__ import annotations

import os
import sys

import uvicorn

from todo_api.config import ConfigError, load_settings


def main() -> None:
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"todo_api: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    uvicorn.run(
        "todo_api.main:app",
        host=settings.host,
        port=settings.port,
        workers=int(os.environ.get("WEB_CONCURRENCY", "1") or 1),
        # X-Forwarded-For is read by the app, from TRUSTED_PROXIES only (todo_api.client_address).
        proxy_headers=False,
        timeout_graceful_shutdown=25,
        log_config=None,
        server_header=False,
    )


if __name__ == "__main__":
    main()
