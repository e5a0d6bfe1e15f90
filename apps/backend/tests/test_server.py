"""The production server command, as a real process: `python -m uvicorn todo_api.main:app`."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from tests.pgserver import free_port
from tests.test_chat_groq import FakeGroq
from todo_api.migrate import upgrade

BACKEND = Path(__file__).resolve().parents[1]


def production_env(database_url: str, **extra: str) -> dict[str, str]:
    """A server's environment: production mode on `database_url`, info logs, only PATH/HOME/LANG inherited."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    env.update(APP_ENV="production", JWT_SECRET="x" * 40, DATABASE_URL=database_url, LOG_LEVEL="info")
    env.update(extra)
    return env


def test_sigterm_lets_in_flight_requests_finish(tmp_path):
    url = f"sqlite:///{tmp_path / 'server.db'}"
    upgrade(url)
    fake = FakeGroq()
    fake.reply_tool("add_task", {"title": "finish me"})
    fake.delay = 1.5  # the request is in flight when SIGTERM arrives
    port = free_port()
    env = production_env(url, AI_PROVIDER="groq", GROQ_API_KEY="k", GROQ_BASE_URL=fake.base_url)
    cmd = [sys.executable, "-m", "uvicorn", "todo_api.main:app", "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(cmd, cwd=BACKEND, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        token = httpx.post(
            f"{base}/api/auth/signup", json={"email": "s@example.test", "password": "plum kite orbit 42"}
        ).json()["access_token"]

        result: dict[str, httpx.Response] = {}

        def chat() -> None:
            result["response"] = httpx.post(
                f"{base}/api/chat",
                json={"message": "add finish me"},
                headers={"Authorization": f"Bearer {token}"},
                timeout=10,
            )

        caller = threading.Thread(target=chat)
        caller.start()
        while not fake.requests:  # wait until the request is inside the app
            time.sleep(0.02)
        server.send_signal(signal.SIGTERM)
        caller.join(timeout=10)
        status = server.wait(timeout=10)
    finally:
        if server.poll() is None:
            server.kill()
        output = server.stdout.read().decode() if server.stdout else ""
        fake.close()

    assert result["response"].status_code == 200, output
    assert result["response"].json()["actions"][0]["task"]["title"] == "finish me"
    assert status in (0, -signal.SIGTERM), output  # uvicorn re-raises the signal after a clean stop
    assert '"msg": "stopped"' in output
    assert "Traceback" not in output


def test_listens_while_the_app_imports_and_answers_once_it_is_up(tmp_path):
    """`python -m todo_api` (the image's command) listens before it imports the app: the kubelet's first
    startup probe comes about 0.7 s after the container starts, before FastAPI and SQLAlchemy are imported.
    Its connection must wait in the backlog and get the real answer, not be refused until the next period.
    """
    url = f"sqlite:///{tmp_path / 'server.db'}"
    upgrade(url)
    port = free_port()
    env = production_env(url, HOST="127.0.0.1", PORT=str(port))
    server = subprocess.Popen(
        [sys.executable, "-m", "todo_api"],
        cwd=BACKEND,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    lines: list[str] = []
    reader = threading.Thread(
        target=lambda: lines.extend(line.decode() for line in server.stdout or []), daemon=True
    )
    reader.start()
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                conn = socket.create_connection(("127.0.0.1", port), timeout=1)
                break
            except OSError:
                assert server.poll() is None, "".join(lines)
                assert time.monotonic() < deadline, "".join(lines)
                time.sleep(0.005)
        with conn:
            time.sleep(0.05)  # a line the server printed before it listened has reached `lines` by now
            before = "".join(lines)
            conn.settimeout(60)
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: backend\r\nConnection: close\r\n\r\n")
            response = b""
            while chunk := conn.recv(65536):
                response += chunk
    finally:
        server.send_signal(signal.SIGTERM)
        status = server.wait(timeout=30)
        reader.join(timeout=5)
    output = "".join(lines)
    # Connected while the app was still importing: uvicorn logs its startup once the app is imported.
    assert "Application startup complete" not in before, before
    assert "Application startup complete" in output, output
    assert response.startswith(b"HTTP/1.1 200"), (response, output)
    assert status in (0, -signal.SIGTERM), output
    assert "Traceback" not in output
