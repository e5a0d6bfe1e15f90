import json
import logging
import re

from todo_api.logs import JsonFormatter


def test_request_id_is_generated_and_echoed(client):
    response = client.get("/healthz")
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])


def test_incoming_request_id_is_honoured(client):
    response = client.get("/healthz", headers={"X-Request-ID": "abc-123.def:4"})
    assert response.headers["x-request-id"] == "abc-123.def:4"


def test_unsafe_request_id_is_replaced(client):
    response = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])


def test_error_responses_carry_the_request_id(client):
    response = client.get("/api/tasks", headers={"X-Request-ID": "rid-401"})
    assert response.status_code == 401
    assert response.headers["x-request-id"] == "rid-401"


def test_access_log_is_one_json_object_with_the_request_fields(client, caplog):
    caplog.set_level(logging.INFO, logger="todo_api.access")
    client.get("/healthz?x=1", headers={"X-Request-ID": "log-me"})
    [record] = [r for r in caplog.records if r.name == "todo_api.access"]
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["msg"] == "request"
    assert entry["level"] == "info"
    assert entry["request_id"] == "log-me"
    assert entry["method"] == "GET"
    assert entry["path"] == "/healthz"
    assert entry["status"] == 200
    assert isinstance(entry["duration_ms"], float)
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$", entry["ts"])


def test_formatter_includes_exceptions():
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.getLogger("t").makeRecord(
            "t", logging.ERROR, __file__, 1, "failed %s", ("x",), exc_info=__import__("sys").exc_info()
        )
    entry = json.loads(JsonFormatter().format(record))
    assert entry["msg"] == "failed x"
    assert "ValueError: boom" in entry["exc_info"]
