"""Request id + access log + security headers, and the body size limit, as plain ASGI middleware
(cheaper than BaseHTTPMiddleware)."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from todo_api.logs import request_id_var

access_log = logging.getLogger("todo_api.access")

REQUEST_ID_HEADER = b"x-request-id"
# On every response: a browser must not guess that a JSON error is HTML. (The `server` header uvicorn
# adds is removed in todo_api.main.)
SECURITY_HEADERS = ((b"x-content-type-options", b"nosniff"),)
_SET_HERE = frozenset({REQUEST_ID_HEADER, *(name for name, _ in SECURITY_HEADERS)})
_VALID_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._:\-]{1,128}$")


class RequestContextMiddleware:
    """Honours a sane incoming X-Request-ID (else generates one), echoes it, logs one line per request,
    and adds SECURITY_HEADERS. One middleware for both: each layer wraps `send` once more for every
    message of every request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        incoming = None
        for name, value in scope["headers"]:
            if name == REQUEST_ID_HEADER:
                incoming = value
                break
        request_id = (
            incoming.decode("ascii") if incoming and _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        )
        token = request_id_var.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        start = time.perf_counter()
        status = 500
        started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in _SET_HERE]
                headers += SECURITY_HEADERS
                headers.append((REQUEST_ID_HEADER, request_id.encode("ascii")))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception:
            # Last resort: a bug must still answer JSON with the request id (and be logged), never a
            # bare text 500 from the server.
            access_log.exception("unhandled error", extra={"request_id": request_id})
            if started:
                raise
            body = json.dumps({"detail": "Internal server error", "request_id": request_id}).encode()
            await send_wrapper(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send_wrapper({"type": "http.response.body", "body": body})
        finally:
            duration_ms = round((time.perf_counter() - start) * 1000, 2)
            level = logging.ERROR if status >= 500 else logging.INFO
            if access_log.isEnabledFor(level):
                access_log.log(
                    level,
                    "request",
                    extra={
                        "request_id": request_id,
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status,
                        "duration_ms": duration_ms,
                    },
                )
            request_id_var.reset(token)


class BodyLimitMiddleware:
    """Refuses request bodies over `max_bytes` with 413 `{"detail": ...}` without reading them whole:
    a Content-Length over the limit is answered before the app runs; a body without one (chunked) is
    counted as it arrives and the read fails at the limit. (Starlette's own limit answers plain text
    and surfaces as an unhandled error in the access log.)"""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _too_large(self) -> HTTPException:
        return HTTPException(413, f"Request body larger than {self.max_bytes} bytes")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                body = json.dumps({"detail": self._too_large().detail}).encode()
                headers = [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ]
                await send({"type": "http.response.start", "status": 413, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise self._too_large()  # FastAPI passes HTTPExceptions from the body read on
            return message

        await self.app(scope, limited_receive, send)
