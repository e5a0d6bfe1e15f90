"""The Groq provider against a real local HTTP server that plays the OpenAI-compatible API."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.conftest import ApiUser
from todo_api.assistant.groq import intent_from_completion
from todo_api.assistant.intents import Intent

API_KEY = "gsk_test_key_123"


class FakeGroq:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.status = 200
        self.body: bytes = b"{}"
        self.delay = 0.0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                payload = json.loads(self.rfile.read(length) or b"null")
                fake.requests.append({"path": self.path, "headers": dict(self.headers), "json": payload})
                if fake.delay:
                    time.sleep(fake.delay)
                try:
                    self.send_response(fake.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(fake.body)))
                    self.end_headers()
                    self.wfile.write(fake.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/openai/v1"

    def reply_json(self, data: object, status: int = 200) -> None:
        self.status = status
        self.body = json.dumps(data).encode()

    def reply_tool(self, name: str, arguments: dict | str) -> None:
        args = arguments if isinstance(arguments, str) else json.dumps(arguments)
        self.reply_json(
            {
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "tool_calls",
                        "message": {
                            "role": "assistant",
                            "content": None,
                            "tool_calls": [
                                {
                                    "id": "call_1",
                                    "type": "function",
                                    "function": {"name": name, "arguments": args},
                                }
                            ],
                        },
                    }
                ],
            }
        )

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_groq():
    server = FakeGroq()
    yield server
    server.close()


@pytest.fixture
def groq_user(sqlite_url, make_client, fake_groq) -> ApiUser:
    client = make_client(
        sqlite_url,
        ai_provider="groq",
        groq_api_key=API_KEY,
        groq_base_url=fake_groq.base_url,
        groq_model="test-model",
        groq_timeout_seconds=0.5,
    )
    return ApiUser(client, "groq@example.test")


def test_tool_call_becomes_an_action_and_the_key_is_sent(groq_user, fake_groq):
    fake_groq.reply_tool("add_task", {"title": "Water the plants"})
    response = groq_user.chat("please put watering the plants on my list")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["actions"][0]["type"] == "add"
    assert body["actions"][0]["task"]["title"] == "Water the plants"
    assert groq_user.get("/api/tasks").json()["total"] == 1

    [request] = fake_groq.requests
    assert request["path"] == "/openai/v1/chat/completions"
    assert request["headers"]["Authorization"] == f"Bearer {API_KEY}"
    sent = request["json"]
    assert sent["model"] == "test-model"
    assert sent["messages"][-1] == {"role": "user", "content": "please put watering the plants on my list"}
    assert {t["function"]["name"] for t in sent["tools"]} == {
        "add_task",
        "list_tasks",
        "complete_task",
        "reopen_task",
        "delete_task",
    }


def test_complete_by_title_through_groq(groq_user, fake_groq):
    task = groq_user.add("Call the bank")
    fake_groq.reply_tool("complete_task", {"title": "call the bank"})
    body = groq_user.chat("I called the bank").json()
    assert body["actions"][0]["task"]["id"] == task["id"]
    assert groq_user.get(f"/api/tasks/{task['id']}").json()["done"] is True


def test_list_done_through_groq(groq_user, fake_groq):
    fake_groq.reply_tool("list_tasks", {"status": "done"})
    body = groq_user.chat("what have I finished?").json()
    assert body["reply"] == "You have no done tasks."


def test_plain_text_answer_is_passed_on(groq_user, fake_groq):
    fake_groq.reply_json({"choices": [{"message": {"role": "assistant", "content": "I only do tasks."}}]})
    body = groq_user.chat("tell me a joke").json()
    assert body == {"reply": "I only do tasks.", "actions": []}


def test_timeout_is_502(groq_user, fake_groq):
    fake_groq.reply_tool("list_tasks", {})
    fake_groq.delay = 2.0
    started = time.monotonic()
    response = groq_user.chat("list")
    assert time.monotonic() - started < 1.9
    assert response.status_code == 502
    assert "did not answer within 0.5 s" in response.json()["detail"]


@pytest.mark.parametrize("status", [500, 503])
def test_upstream_5xx_is_502(groq_user, fake_groq, status):
    fake_groq.reply_json({"error": {"message": "overloaded"}}, status=status)
    response = groq_user.chat("list")
    assert response.status_code == 502
    assert response.json() == {"detail": f"AI provider returned HTTP {status}"}


def test_rejected_key_is_502_naming_the_variable(groq_user, fake_groq):
    fake_groq.reply_json({"error": {"message": "Invalid API Key"}}, status=401)
    response = groq_user.chat("list")
    assert response.status_code == 502
    assert "GROQ_API_KEY" in response.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [
        b"this is not json",
        b"{}",
        b'{"choices": []}',
        b'{"choices": [{"message": {"role": "assistant", "content": null}}]}',
        json.dumps(
            {"choices": [{"message": {"tool_calls": [{"function": {"name": "rm_rf", "arguments": "{}"}}]}}]}
        ).encode(),
        json.dumps(
            {
                "choices": [
                    {"message": {"tool_calls": [{"function": {"name": "add_task", "arguments": "{oops"}}]}}
                ]
            }
        ).encode(),
    ],
)
def test_malformed_answer_is_502(groq_user, fake_groq, body):
    fake_groq.status = 200
    fake_groq.body = body
    response = groq_user.chat("list")
    assert response.status_code == 502
    assert "unusable response" in response.json()["detail"]


def test_unreachable_provider_is_502(sqlite_url, make_client):
    from tests.pgserver import free_port

    client = make_client(
        sqlite_url,
        ai_provider="groq",
        groq_api_key=API_KEY,
        groq_base_url=f"http://127.0.0.1:{free_port()}/v1",
        groq_timeout_seconds=2,
    )
    user = ApiUser(client, "offline@example.test")
    response = user.chat("list")
    assert response.status_code == 502
    assert "unreachable" in response.json()["detail"]


@pytest.mark.parametrize(
    ("name", "args", "intent"),
    [
        ("delete_task", {"task_id": 7}, Intent(kind="delete", task_id=7)),
        ("delete_task", {"task_id": "#7"}, Intent(kind="delete", task_id=7)),
        ("reopen_task", {"title": " Milk "}, Intent(kind="reopen", title="Milk")),
        ("list_tasks", {"status": "all"}, Intent(kind="list")),
        ("list_tasks", {}, Intent(kind="list")),
    ],
)
def test_intent_from_tool_call(name, args, intent):
    completion = {
        "choices": [
            {"message": {"tool_calls": [{"function": {"name": name, "arguments": json.dumps(args)}}]}}
        ]
    }
    assert intent_from_completion(completion) == intent


@pytest.mark.parametrize(
    ("name", "args", "error"),
    [
        ("complete_task", {}, "without title or task_id"),
        ("add_task", {"title": ""}, "without a title"),
        ("add_task", [], "not an object"),
    ],
)
def test_tool_call_without_required_arguments_is_rejected(name, args, error):
    completion = {
        "choices": [
            {"message": {"tool_calls": [{"function": {"name": name, "arguments": json.dumps(args)}}]}}
        ]
    }
    with pytest.raises(ValueError, match=error):
        intent_from_completion(completion)
