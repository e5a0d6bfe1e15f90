"""What the benchmarks share: a production server process on loopback, a throwaway PostgreSQL,
memory figures from /proc, percentiles."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

# The backend whose server is benchmarked: this checkout's, or another one's (bench/compare_tasks.py
# runs this bench against an older checkout, with that checkout's .venv as the interpreter).
BACKEND = Path(os.environ.get("BENCH_BACKEND_DIR") or Path(__file__).resolve().parents[1])
if str(BACKEND) not in sys.path:
    sys.path.insert(0, str(BACKEND))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _status_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def process_tree(pid: int) -> list[int]:
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    return pids


def rss_mb(pid: int) -> float:
    """VmRSS of the server process plus its worker processes (when --workers > 1)."""
    return sum(_status_mb(p, "VmRSS") for p in process_tree(pid))


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of the server process and its worker processes, all threads."""
    ticks = 0
    for p in process_tree(pid):
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))
    return ticks / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    """VmHWM (the kernel's peak RSS) of the largest process of the server."""
    return max(_status_mb(p, "VmHWM") for p in process_tree(pid))


def percentile(sorted_values: list[float], pct: float) -> float:
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, round(pct / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[k]


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """A PostgreSQL server for this run only (Debian's binaries, as the tests use): its URL."""
    from tests.pgserver import ThrowawayPostgres

    server = ThrowawayPostgres()
    server.start()
    try:
        yield server.create_database("todo_bench")
    finally:
        server.stop()


@contextmanager
def production_server(
    database_url: str, log_path: Path, workers: int = 1, **env_extra: str
) -> Iterator[tuple[subprocess.Popen, str]]:
    """`uvicorn todo_api.main:app` (APP_ENV=production) on a free loopback port, migrated, ready."""
    env = {
        **os.environ,
        "APP_ENV": "production",
        "DATABASE_URL": database_url,
        "JWT_SECRET": secrets.token_urlsafe(48),
        "AI_PROVIDER": "mock",
        "MIGRATE_ON_START": "false",
        **env_extra,
    }
    subprocess.run([sys.executable, "-m", "todo_api.migrate"], cwd=BACKEND, env=env, check=True)
    port = free_port()
    cmd = [sys.executable, "-m", "uvicorn", "todo_api.main:app", "--host", "127.0.0.1", "--port", str(port)]
    if workers > 1:
        cmd += ["--workers", str(workers)]
    log = log_path.open("w")
    server = subprocess.Popen(cmd, cwd=BACKEND, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None:
                raise SystemExit(f"bench: the server exited during startup:\n{log_path.read_text()}")
            time.sleep(0.1)
        else:
            raise SystemExit("bench: the server did not become ready in 30 s")
        yield server, base
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
