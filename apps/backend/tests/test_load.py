"""Memory and availability under a sign-in flood, on real server processes and real databases.

These check outcomes (peak memory, status codes), not speed: the speed figures are in
bench/bench_logins.py and bench/bench_tasks.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from tests.conftest import JWT_SECRET, PASSWORD, ApiUser
from tests.pgserver import free_port
from todo_api.migrate import upgrade

BACKEND = Path(__file__).resolve().parents[1]
CHART_MEMORY_LIMIT_MB = 512


def _vm(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"{field} not in /proc/{pid}/status")


def _start_server(url: str, port: int, **extra: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    env.update(APP_ENV="production", JWT_SECRET=JWT_SECRET, DATABASE_URL=url, LOG_LEVEL="warning", **extra)
    # The plain uvicorn CLI (not python -m todo_api), so the server-header test covers that way too.
    cmd = [sys.executable, "-m", "uvicorn", "todo_api.main:app", "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(cmd, cwd=BACKEND, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(200):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.1)
    server.kill()
    raise AssertionError(f"server did not start: {server.stderr.read().decode() if server.stderr else ''}")


def test_concurrent_logins_stay_within_the_memory_limit(tmp_path):
    """32 concurrent logins with real argon2 parameters: the peak RSS of the server process stays
    far below the chart's 512 MiB limit (argon2's 64 MiB default with 40 threads reached ~900 MiB
    with 16)."""
    url = f"sqlite:///{tmp_path / 'mem.db'}"
    upgrade(url)
    port = free_port()
    # 32 failures from one address: lift the per-address budget (now reserved before each hash).
    server = _start_server(
        url, port, MEMORY_LIMIT_MB=str(CHART_MEMORY_LIMIT_MB), LOGIN_FAILURES_PER_ADDRESS="1000"
    )
    base = f"http://127.0.0.1:{port}"
    try:
        signup = httpx.post(f"{base}/api/auth/signup", json={"email": "m@example.test", "password": PASSWORD})
        assert signup.status_code == 201, signup.text
        assert "server" not in signup.headers  # dropped although started by the uvicorn CLI
        assert signup.headers["x-content-type-options"] == "nosniff"
        idle = _vm(server.pid, "VmRSS")

        def login(i: int) -> int:
            body = {"email": f"nobody{i}@example.test", "password": "wrong password guess"}
            return httpx.post(f"{base}/api/auth/login", json=body, timeout=60).status_code

        with ThreadPoolExecutor(32) as pool:
            codes = list(pool.map(login, range(32)))
        peak = _vm(server.pid, "VmHWM")
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert codes == [401] * 32
    # At most eight hashes at once (512 MiB limit, 19 MiB each; fewer with fewer CPUs): ~160 MiB.
    assert peak < idle + 220, f"peak RSS {peak:.0f} MiB, idle {idle:.0f} MiB"
    assert peak < CHART_MEMORY_LIMIT_MB * 0.6


def test_task_reads_keep_answering_during_a_login_flood(postgres_url, make_client):
    """PostgreSQL with a 1-connection pool that gives up after 0.5 s: 48 logins, 24 at a time, with real
    argon2 (hashing never holds a connection) must not starve task reads. With the hash inside the
    database session the connection was busy for the whole flood, and the reads timed out."""
    client = make_client(
        postgres_url,
        app_env="production",
        argon2_time_cost=3,
        db_pool_size=1,
        db_max_overflow=0,
        db_pool_timeout_seconds=0.5,
        login_failures_per_address=1000,
        login_free_failures=1000,  # every login costs a hash (no back-off short-cut)
    )
    from sqlalchemy import text

    with client.app.state.engine.begin() as conn:
        conn.execute(text("TRUNCATE tasks, users RESTART IDENTITY CASCADE"))
    reader = ApiUser(client, "reader@example.test")
    reader.add("still here")
    stop = threading.Event()
    read_codes: list[int] = []

    def read_until_stopped() -> None:
        while not stop.is_set():
            read_codes.append(reader.get("/api/tasks").status_code)

    def login(i: int) -> int:
        body = {"email": f"flood{i}@example.test", "password": "wrong password guess"}
        return client.post("/api/auth/login", json=body).status_code

    readers = [threading.Thread(target=read_until_stopped) for _ in range(2)]
    for t in readers:
        t.start()
    try:
        with ThreadPoolExecutor(24) as pool:
            login_codes = list(pool.map(login, range(48)))
    finally:
        stop.set()
        for t in readers:
            t.join()
    assert set(login_codes) <= {401, 503}, login_codes  # a login may wait too long for its lookup
    assert read_codes
    assert set(read_codes) == {200}, sorted(set(read_codes))


def test_pool_exhaustion_is_503_with_retry_after(postgres_url, make_client):
    client = make_client(postgres_url, db_pool_size=1, db_max_overflow=0, db_pool_timeout_seconds=0.3)
    user = ApiUser(client, "pool@example.test")
    held = client.app.state.engine.connect()  # the pool's only connection
    # ... and the only connection of the task list's own pool (todo_api.read_pool)
    held_read = client.portal.wrap_async_context_manager(client.app.state.read_pool.connection())
    held_read.__enter__()
    try:
        response = user.get("/api/tasks")
        write = user.post("/api/tasks", json={"title": "no connection for me"})
    finally:
        held_read.__exit__(None, None, None)
        held.close()
    assert write.status_code == 503, write.text
    assert write.headers["retry-after"].isdigit()
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"].isdigit()
    assert user.get("/api/tasks").status_code == 200


def test_a_connection_closed_while_idle_is_replaced(postgres_url, make_client, monkeypatch):
    """Serverless PostgreSQL closes idle connections; the pool checks one that sat idle (here: any)
    before reuse instead of failing the request with 503."""
    from sqlalchemy import text

    import todo_api.db

    monkeypatch.setattr(todo_api.db, "PING_AFTER_IDLE_SECONDS", 0.0)
    client = make_client(postgres_url)
    with client.app.state.engine.begin() as conn:
        conn.execute(text("TRUNCATE tasks, users RESTART IDENTITY CASCADE"))
    user = ApiUser(client, "idle@example.test")
    assert user.get("/api/tasks").status_code == 200
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from todo_api.db import normalize_database_url

    killer = create_engine(normalize_database_url(postgres_url), poolclass=NullPool)
    with killer.connect() as conn:
        killed = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE pid <> pg_backend_pid() AND datname = current_database() "
                "AND backend_type = 'client backend'"
            )
        ).scalar_one()
    killer.dispose()
    assert killed >= 1
    assert user.get("/api/tasks").status_code == 200
