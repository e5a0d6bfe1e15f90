"""Structured logs: one JSON object per line on stdout.

Every record carries ts, level, logger and msg; records written while a request is being handled also
carry its request_id (a context variable set by the request-id middleware). Extra fields passed as
`logger.info("...", extra={"status": 200})` become top-level keys.
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD_ATTRS = frozenset(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",  # uvicorn's ANSI-coloured copy of msg
}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


_configured_handler: logging.Handler | None = None


def configure_logging(level: str = "info") -> None:
    """Routes the root logger and uvicorn's loggers through one JSON handler. Idempotent."""
    global _configured_handler
    root = logging.getLogger()
    if _configured_handler is None:
        _configured_handler = logging.StreamHandler(sys.stdout)
        _configured_handler.setFormatter(JsonFormatter())
    if _configured_handler not in root.handlers:
        for handler in list(root.handlers):
            if isinstance(getattr(handler, "formatter", None), JsonFormatter):
                root.removeHandler(handler)
        root.addHandler(_configured_handler)
    root.setLevel(level.upper())
    # The JSON lines never show the caller's file/line, thread or process, so do not collect them for
    # every record (the logging docs' "Optimization" switches): finding the caller walks the stack on
    # each access-log line, which showed in the profile of GET /api/tasks.
    logging._srcfile = None  # type: ignore[attr-defined]
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    for name in ("uvicorn", "uvicorn.error"):
        lg = logging.getLogger(name)
        lg.handlers.clear()
        lg.propagate = True
        lg.setLevel(level.upper())
    # psycopg's pool (todo_api.read_pool) logs three INFO lines for every connection a request takes
    # and gives back; its warnings (a connection lost, a transaction rolled back) still show.
    logging.getLogger("psycopg.pool").setLevel(logging.WARNING)
    # Our middleware writes the access log (with request_id and duration); uvicorn's would duplicate it.
    access = logging.getLogger("uvicorn.access")
    access.handlers.clear()
    access.propagate = False
    access.disabled = True
