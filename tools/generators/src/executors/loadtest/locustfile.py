"""The load of `nx run todo:loadtest-<env>`: users of the todo app, through the ingress.

Each simulated user signs up once (its own account), then, with pauses of 0.5-2 s, lists its tasks
(most often), creates tasks, completes one, searches, and now and then asks the assistant, the mix of a
person using the app. Requests go to LOADTEST_ADDRESS (the ingress's host port) with the environment's
host in the Host header, so no DNS entry for *.localhost is needed.

At the end it prints, per route: requests, requests/s, p50/p95/p99 (ms); then errors by status (0: no
HTTP answer: refused, reset or timed out). LOADTEST_SUMMARY names a JSON file for the same figures.
The assistant's per-user budget and the sign-up budget per client address (429 with Retry-After) are
counted as "throttled", not as errors; a user whose sign-up was throttled shares another user's session.
"""

import json
import os
import random
import time
import uuid
from collections import Counter

from locust import HttpUser, between, events, task

HOST_HEADER = os.environ.get("LOADTEST_HOST_HEADER", "")
SUMMARY = os.environ.get("LOADTEST_SUMMARY", "")
statuses: Counter = Counter()
throttled: Counter = Counter()
# Sessions of the users that signed up: a user whose sign-up the backend throttled (10 an hour per client
# address, when the client's address is known) shares one of them instead of running without a session.
sessions: list[dict] = []
started = time.monotonic()

WORDS = ["milk", "report", "dentist", "garden", "invoice", "train", "birthday", "laundry", "email", "plan"]


class TodoUser(HttpUser):
    wait_time = between(0.5, 2)

    def on_start(self) -> None:
        if HOST_HEADER:
            self.client.headers["Host"] = HOST_HEADER
        email = f"load-{uuid.uuid4().hex[:12]}@example.com"
        r = self._call("POST", "/api/auth/signup", "signup", json={"email": email, "password": f"pw-{uuid.uuid4().hex}"})
        session = None
        if r is not None and r.status_code == 201:
            # Through the frontend (the ingress) the token is not in the answer: its proxy sets the session
            # cookie, which the client's cookie jar now holds. Straight at a backend (--url) it is in the answer.
            token = r.json().get("access_token")
            session = {"token": token} if token else {"cookies": self.client.cookies.get_dict()}
            sessions.append(session)
        elif sessions:
            session = random.choice(sessions)
            if "cookies" in session:
                for name, value in session["cookies"].items():
                    self.client.cookies.set(name, value)
        if session and session.get("token"):
            self.client.headers["Authorization"] = f"Bearer {session['token']}"
        self.task_ids: list[int] = []

    def _call(self, method: str, path: str, name: str, ok=(200, 201, 204), **kw):
        with self.client.request(method, path, name=name, catch_response=True, **kw) as r:
            statuses[r.status_code] += 1
            if r.status_code in ok:
                r.success()
            elif r.status_code == 429 and name in ("chat", "signup"):
                throttled[name] += 1
                r.success()
            else:
                r.failure(f"HTTP {r.status_code}")
            return r

    @task(6)
    def list_tasks(self) -> None:
        r = self._call("GET", "/api/tasks?limit=20", "list")
        if r.status_code == 200:
            self.task_ids = [t["id"] for t in r.json().get("items", []) if not t.get("done")]

    @task(3)
    def create(self) -> None:
        self._call("POST", "/api/tasks", "create", json={"title": f"{random.choice(WORDS)} {uuid.uuid4().hex[:6]}"})

    @task(2)
    def complete(self) -> None:
        if self.task_ids:
            self._call("POST", f"/api/tasks/{self.task_ids.pop()}/complete", "complete")

    @task(2)
    def search(self) -> None:
        self._call("GET", f"/api/tasks?q={random.choice(WORDS)}", "search")

    @task(1)
    def chat(self) -> None:
        self._call("POST", "/api/chat", "chat", json={"message": random.choice(["list my tasks", f"add {random.choice(WORDS)}"])})


@events.quitting.add_listener
def summary(environment, **_kw) -> None:
    stats = environment.stats
    elapsed = max(time.monotonic() - started, 1e-9)
    routes = {}
    for (name, _method), s in sorted(stats.entries.items()):
        routes[name] = {
            "requests": s.num_requests,
            "rps": round(s.num_requests / elapsed, 2),
            "p50": s.get_response_time_percentile(0.50),
            "p95": s.get_response_time_percentile(0.95),
            "p99": s.get_response_time_percentile(0.99),
            "failures": s.num_failures,
        }
    total = stats.total
    errors = {str(k): v for k, v in sorted(statuses.items()) if k == 0 or k >= 400}
    out = {
        "seconds": round(elapsed, 1),
        "requests": total.num_requests,
        "rps": round(total.num_requests / elapsed, 2),
        "p50": total.get_response_time_percentile(0.50),
        "p95": total.get_response_time_percentile(0.95),
        "p99": total.get_response_time_percentile(0.99),
        "routes": routes,
        "errorsByStatus": errors,
        "throttled": dict(throttled),
    }
    lines = [f"{'ROUTE':10} {'REQUESTS':>8} {'REQ/S':>7} {'P50 ms':>7} {'P95 ms':>7} {'P99 ms':>7} {'FAILED':>6}"]
    for name, r in routes.items():
        lines.append(f"{name:10} {r['requests']:>8} {r['rps']:>7} {r['p50']:>7.0f} {r['p95']:>7.0f} {r['p99']:>7.0f} {r['failures']:>6}")
    lines.append(f"{'all':10} {out['requests']:>8} {out['rps']:>7} {out['p50']:>7.0f} {out['p95']:>7.0f} {out['p99']:>7.0f} {total.num_failures:>6}")
    err = ", ".join(f"{k}: {v}" for k, v in errors.items()) or "none"
    lines.append(f"errors by status (0 = no HTTP answer): {err}")
    if throttled:
        lines.append(f"throttled (429: the assistant's per-user budget, sign-ups per address; not errors): {dict(throttled)}")
    print("\n".join(["", "loadtest summary", *lines]), flush=True)
    if SUMMARY:
        with open(SUMMARY, "w", encoding="utf-8") as f:
            json.dump(out, f, indent=2)
