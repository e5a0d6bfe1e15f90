"""Throttles shared by every replica (todo_api.throttle): two app instances on one database, on real
SQLite and PostgreSQL, see the same counts; sign-ins are reserved before the password is hashed."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import PASSWORD, ApiUser
from todo_api.models import Limit
from todo_api.throttle import KEEP_SECONDS, prune

WRONG = "not the password at all"


@pytest.fixture
def instances(db_url: str, make_client: Callable[..., TestClient]) -> Callable[..., TestClient]:
    """Starts app instances ("replicas") on the test's one database; each may have its own client
    address (the TCP peer TestClient reports)."""

    def start(address: str = "203.0.113.1", **overrides: object) -> TestClient:
        return make_client(db_url, address=address, **overrides)

    return start


def _login(client: TestClient, email: str, password: str, **kw: object):  # type: ignore[no-untyped-def]
    return client.post("/api/auth/login", json={"email": email, "password": password}, **kw)


def _slow_counted_checks(client: TestClient, checked: list[str]) -> None:
    """Each password check on this instance takes 50 ms more and is recorded: parallel requests then
    overlap, as they do with real argon2 under load."""
    passwords = client.app.state.passwords
    verify = passwords.verify_now

    def slow_verify(password_hash, password):  # type: ignore[no-untyped-def]
        time.sleep(0.05)
        checked.append(password)
        return verify(password_hash, password)

    passwords.verify_now = slow_verify


def test_parallel_wrong_passwords_on_two_instances_check_at_most_free_plus_one(instances, caplog):
    settings = {"login_free_failures": 3, "login_failures_per_address": 100_000}
    first, second = instances(**settings), instances(**settings)
    ApiUser(first, "victim@example.test")
    checked: list[str] = []
    for client in (first, second):
        _slow_counted_checks(client, checked)
    caplog.set_level(logging.INFO, logger="todo_api.auth")

    def attempt(i: int) -> int:
        return _login((first, second)[i % 2], "victim@example.test", f"{WRONG} {i}").status_code

    with ThreadPoolExecutor(32) as pool:
        codes = list(pool.map(attempt, range(64)))

    assert len(checked) <= 3 + 1, f"{len(checked)} password checks for 64 parallel attempts"
    assert codes.count(401) == len(checked)
    assert codes.count(429) == 64 - len(checked)
    # Each check is logged and counted, so a cluster test can count them from the logs.
    logged = [r for r in caplog.records if r.getMessage() == "password checked"]
    assert len(logged) == len(checked)
    assert first.app.state.password_checks + second.app.state.password_checks == len(checked)


def test_consecutive_failures_survive_a_restart(instances):
    settings = {"login_free_failures": 2, "login_backoff_max_seconds": 600}
    before = instances(**settings)
    ApiUser(before, "victim@example.test")
    for _ in range(5):
        assert _login(before, "victim@example.test", WRONG).status_code in (401, 429)
    before.__exit__(None, None, None)  # the process stops; a new one starts
    after = instances(**settings)
    locked = _login(after, "victim@example.test", PASSWORD)
    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) >= 1


def test_after_100_failures_in_a_row_only_the_own_password_after_a_cool_down_resets(instances):
    client = instances(login_failures_per_address=100_000, login_lockout_seconds=3600)
    ApiUser(client, "victim@example.test")
    now = [1_000_000.0]
    client.app.state.limits.clock = lambda: now[0]
    for _ in range(100):
        now[0] += 120  # past any back-off (at most 60 s), so every attempt is checked
        assert _login(client, "victim@example.test", WRONG).status_code == 401
    now[0] += 120
    locked = _login(client, "victim@example.test", PASSWORD)
    assert locked.status_code == 429  # even the right password waits out the cool-down
    assert 3000 < int(locked.headers["retry-after"]) <= 3600
    now[0] += 3601
    assert _login(client, "victim@example.test", WRONG).status_code == 401  # one guess per cool-down
    assert _login(client, "victim@example.test", PASSWORD).status_code == 429
    now[0] += 3601
    assert _login(client, "victim@example.test", PASSWORD).status_code == 200  # the reset path
    assert _login(client, "victim@example.test", WRONG).status_code == 401
    assert _login(client, "victim@example.test", PASSWORD).status_code == 200  # the count was cleared


def test_failures_per_address_are_counted_across_instances(instances):
    settings = {"login_failures_per_address": 4, "login_free_failures": 100}
    first, second = instances(**settings), instances(**settings)
    for i in range(4):
        assert _login((first, second)[i % 2], f"guess{i}@example.test", WRONG).status_code == 401
    for client in (first, second):
        refused = _login(client, "guess9@example.test", WRONG)
        assert refused.status_code == 429
    # Another client address is not affected by this one's failures.
    other = instances("198.51.100.7", **settings)
    assert _login(other, "guess9@example.test", WRONG).status_code == 401


def test_signups_are_limited_per_address_and_in_total_across_instances(instances):
    settings = {"signups_per_address": 3, "signups_total": 5}
    a1, a2 = instances("203.0.113.1", **settings), instances("203.0.113.1", **settings)
    b = instances("198.51.100.2", **settings)
    for i in range(3):
        ApiUser((a1, a2)[i % 2], f"a{i}@example.test")
    refused = a2.post("/api/auth/signup", json={"email": "a9@example.test", "password": PASSWORD})
    assert refused.status_code == 429
    assert "from this address" in refused.json()["detail"]
    ApiUser(b, "b0@example.test")
    ApiUser(b, "b1@example.test")
    total = b.post("/api/auth/signup", json={"email": "b2@example.test", "password": PASSWORD})
    assert total.status_code == 429
    assert "right now" in total.json()["detail"]
    assert int(total.headers["retry-after"]) >= 1


def test_the_chat_budget_is_shared_across_instances(instances):
    first, second = instances(chat_requests_per_minute=3), instances(chat_requests_per_minute=3)
    alice = ApiUser(first, "alice@example.test")
    on_second = {"Authorization": f"Bearer {alice.token}"}
    assert alice.chat("list").status_code == 200
    assert second.post("/api/chat", json={"message": "list"}, headers=on_second).status_code == 200
    assert alice.chat("list").status_code == 200
    refused = second.post("/api/chat", json={"message": "list"}, headers=on_second)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60


def test_an_all_trusted_chain_is_not_one_key_for_every_client(instances):
    """Behind proxies that X-Forwarded-For does not get past (all hops trusted), the address is
    unknown: the failures are keyed by the account, not by the proxy every client shares."""
    client = instances("10.0.0.5", trusted_proxies="10.0.0.0/8", login_failures_per_address=2)
    chain = {"X-Forwarded-For": "10.1.1.1"}
    for _ in range(2):
        assert _login(client, "abuser@example.test", WRONG, headers=chain).status_code == 401
    assert _login(client, "abuser@example.test", WRONG, headers=chain).status_code == 429
    assert _login(client, "someone@example.test", WRONG, headers=chain).status_code == 401
    assert _login(client, "someone@example.test", WRONG).status_code == 401  # no header at all


def test_prune_keeps_what_still_limits(instances):
    client = instances()
    now = 10_000_000.0
    rows = [
        {"key": "addr-old", "hits": 3, "window_start": now - 2 * KEEP_SECONDS, "blocked_until": 0.0},
        {"key": "addr-new", "hits": 3, "window_start": now - 10, "blocked_until": 0.0},
        {"key": "acct:locked", "hits": 100, "window_start": now - 2 * KEEP_SECONDS, "blocked_until": 0.0},
        {"key": "acct:few", "hits": 3, "window_start": now - 2 * KEEP_SECONDS, "blocked_until": 0.0},
    ]
    with client.app.state.engine.begin() as conn:
        conn.execute(Limit.__table__.insert(), rows)
        assert prune(conn, now, 3600, 100) == 2
        left = set(conn.execute(select(Limit.key)).scalars())
    assert left == {"addr-new", "acct:locked"}


def _address_failures(client: TestClient) -> int:
    """The failed sign-ins counted against the client's address (the `login-addr:` rows)."""
    with client.app.state.engine.connect() as conn:
        rows = conn.execute(select(Limit.hits).where(Limit.key.startswith("login-addr:"))).scalars()
        return sum(rows)


def _failing_checks(client: TestClient, failures: int) -> None:
    """The next `failures` password checks on this instance raise (a broken hash pool, say)."""
    passwords = client.app.state.passwords
    verify = passwords.verify_now
    left = [failures]

    def broken_verify(password_hash, password):  # type: ignore[no-untyped-def]
        if left[0] > 0:
            left[0] -= 1
            raise RuntimeError("the hash pool broke")
        return verify(password_hash, password)

    passwords.verify_now = broken_verify


def test_a_sign_in_that_errors_before_its_verdict_gives_its_reservation_back(instances):
    # One free failure: from the second reservation on, each holds the account (HOLD_SECONDS)
    # until its outcome is known.
    client = instances(login_free_failures=1, login_failures_per_address=3)
    ApiUser(client, "victim@example.test")
    _failing_checks(client, 5)
    for _ in range(5):
        assert _login(client, "victim@example.test", PASSWORD).status_code == 500
    # Neither the account's hold nor the address's budget (3) kept the errors.
    assert _address_failures(client) == 0
    assert _login(client, "victim@example.test", PASSWORD).status_code == 200


def test_a_password_change_that_errors_before_its_verdict_gives_its_reservation_back(instances):
    client = instances(login_free_failures=1, login_failures_per_address=3)
    user = ApiUser(client, "victim@example.test")
    _failing_checks(client, 4)
    change = {"current_password": PASSWORD, "new_password": "an entirely new passphrase 42"}
    for _ in range(4):
        assert client.post("/api/auth/password", json=change, headers=user.headers).status_code == 500
    assert _address_failures(client) == 0
    assert client.post("/api/auth/password", json=change, headers=user.headers).status_code == 200


def _run_check_and_record(monkeypatch, cancel_while: str) -> list[str]:
    """auth._check_and_record in a task cancelled while the password is checked, or while the verdict
    is written; returns the statements it ran (the database stubbed: only the order matters here)."""
    import anyio

    from todo_api.routes import auth

    calls: list[str] = []
    checking, writing = anyio.Event(), anyio.Event()

    async def statements(request, fn, *args):  # type: ignore[no-untyped-def]
        calls.append(fn.__name__)

    async def check(request, password_hash, password):  # type: ignore[no-untyped-def]
        checking.set()
        await anyio.sleep(0.05)
        return True

    async def record() -> bool:
        writing.set()
        await anyio.sleep(0.05)  # the verdict's statement, still running when the cancel comes
        calls.append("verdict recorded")
        return True

    monkeypatch.setattr(auth, "run_statements", statements)
    monkeypatch.setattr(auth, "_check_password", check)
    limits = SimpleNamespace(clock=lambda: 0.0)

    async def main() -> None:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(
                auth._check_and_record, None, limits, ("a@example.test", "addr:x", 1), "h", "pw", record
            )
            await (checking if cancel_while == "check" else writing).wait()
            tasks.cancel_scope.cancel()

    anyio.run(main)
    return calls


def test_a_request_cancelled_during_its_password_check_gives_the_reservation_back(monkeypatch):
    assert _run_check_and_record(monkeypatch, "check") == ["_login_abandoned"]


def test_a_request_cancelled_while_its_verdict_is_written_keeps_the_verdict(monkeypatch):
    # The verdict completes, and the reservation is not given back on top of it.
    assert _run_check_and_record(monkeypatch, "verdict") == ["verdict recorded"]
