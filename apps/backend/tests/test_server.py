"""The production server command, as a real process: `python -m uvicorn todo_api.main:app`."""

from __future__ import annotations

import os
import signal
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


def test_sigterm_lets_in_flight_requests_finish(tmp_path):
    url = f"sqlite:///{tmp_path / 'server.db'}"
    upgrade(url)
    fake = FakeGroq()
    fake.reply_tool("add_task", {"title": "finish me"})
    fake.delay = 1.5  # the request is in flight when SIGTERM arrives
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    env.update(
        APP_ENV="production",
        JWT_SECRET="x" * 40,
        DATABASE_URL=url,
        AI_PROVIDER="groq",
        GROQ_API_KEY="k",
        GROQ_BASE_URL=fake.base_url,
        LOG_LEVEL="info",
    )
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
