"""The dev stage's server (apps/backend-image/dev_server.py, rendered from libs/k8s-templates) as a real
process over a copy of this app, as the chart's dev mode runs it: a change under --root is served by a
new worker, no request is refused while it reloads, a syntax error is reported and survived, a package
the dev loop installs into the --watch folder is imported by the next worker, SIGTERM stops everything."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.pgserver import free_port

BACKEND = Path(__file__).resolve().parents[1]
DEV_SERVER = BACKEND.parent / "backend-image" / "dev_server.py"
MESSAGE = "Not authenticated: send"


def answer(base: str) -> str:
    return httpx.get(f"{base}/api/tasks", timeout=10).json()["detail"]


def must(condition: bool, why: str) -> bool:
    assert condition, why
    return True


def eventually(check, seconds: float = 30):
    deadline = time.monotonic() + seconds
    while True:
        try:
            return check()
        except (AssertionError, httpx.TransportError, KeyError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@pytest.fixture
def dev_server(tmp_path):
    root = tmp_path / "app"
    shutil.copytree(BACKEND / "todo_api", root / "todo_api", ignore=shutil.ignore_patterns("__pycache__"))
    packages = tmp_path / "packages"  # the dev loop's packages folder (an emptyDir in the chart's dev mode)
    packages.mkdir()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    env.update(
        APP_ENV="dev",
        DATABASE_URL=f"sqlite:///{tmp_path / 'dev.db'}",
        AI_PROVIDER="mock",
        PYTHONPATH=os.pathsep.join([str(root), str(packages)]),
        PYTHONDONTWRITEBYTECODE="1",
    )
    log = open(tmp_path / "server.log", "w+b")  # noqa: SIM115 - read by the test, closed below
    cmd = [sys.executable, str(DEV_SERVER), "todo_api.main:app", "--root", str(root), "--host", "127.0.0.1"]
    cmd += ["--watch", str(packages), "--port", str(port)]
    server = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"

    def output() -> str:
        log.flush()
        return (tmp_path / "server.log").read_text(errors="replace")

    try:
        eventually(lambda: answer(base))
        # The first worker answers at once; reloads are fast once the server has preloaded its modules.
        eventually(lambda: must("modules preloaded" in output(), output()))
        server.packages = packages
        yield server, base, root / "todo_api" / "deps.py", output
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
        server.wait()
        log.close()


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_a_change_is_served_by_a_new_worker_and_no_request_is_refused(dev_server):
    server, base, deps, output = dev_server
    assert MESSAGE in answer(base)

    failures: list[str] = []
    stop = threading.Event()

    def hammer() -> None:  # requests all through the reloads: none may fail to connect
        while not stop.is_set():
            try:
                httpx.get(f"{base}/healthz", timeout=10)
            except httpx.TransportError as exc:
                failures.append(repr(exc))

    worker = threading.Thread(target=hammer)
    worker.start()
    try:
        current = MESSAGE
        for i in range(3):
            new = f"Not authenticated (edit {i}): send"
            edit(deps, current, new)
            current = new
            eventually(lambda i=i: must(f"(edit {i})" in answer(base), answer(base)))
    finally:
        stop.set()
        worker.join()
    assert failures == []
    assert output().count("dev-server: reloaded for todo_api/deps.py") >= 3
    assert server.poll() is None


def test_a_syntax_error_is_reported_and_the_fix_recovers(dev_server):
    server, base, deps, output = dev_server
    edit(deps, MESSAGE, "Not authenticated (broken): send")
    deps.write_text(deps.read_text() + "\ndef broken(:\n")
    eventually(lambda: must("SyntaxError" in output() and "waiting for a change" in output(), output()))
    assert server.poll() is None  # the server survives its worker
    deps.write_text(deps.read_text().replace("\ndef broken(:\n", "\n"))
    eventually(lambda: must("(broken)" in answer(base), answer(base)))


def test_a_package_installed_into_the_watched_folder_is_imported_by_the_next_worker(dev_server):
    server, base, deps, output = dev_server
    # Code that needs a package the pods do not have yet: its worker fails, the server waits.
    edit(deps, '"Not authenticated: send', 'f"Not authenticated ({todo_dev_pkg.WORD}): send')
    deps.write_text(deps.read_text() + "\nimport todo_dev_pkg  # noqa: E402\n")
    failed = "No module named 'todo_dev_pkg'"
    eventually(lambda: must(failed in output() and "waiting for a change" in output(), output()))
    # The dev loop's install: files appear in the packages folder, nothing under --root changes.
    (server.packages / "todo_dev_pkg.py").write_text('WORD = "installed"\n')
    eventually(lambda: must("(installed)" in answer(base), answer(base)))
    assert f"reloaded for {server.packages / 'todo_dev_pkg.py'}" in output()
    assert server.poll() is None


def test_sigterm_stops_the_worker_and_the_server(dev_server):
    server, base, _, output = dev_server
    server.send_signal(signal.SIGTERM)
    assert server.wait(timeout=10) == 0
    assert "dev-server: stopped (SIGTERM)" in output()
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{base}/healthz", timeout=2)
    # No worker outlived the server: nothing is left in its session.
    left = subprocess.run(["ps", "-o", "pid=", "-s", str(server.pid)], capture_output=True, text=True)
    assert left.stdout.split() == []
