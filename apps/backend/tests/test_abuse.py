"""Sign-in throttling, password policy, email normalisation, chat budget, headers and body limits."""

from __future__ import annotations

import unicodedata

import pytest
from starlette.requests import Request

from tests.conftest import PASSWORD, ApiUser
from todo_api.client_address import client_address
from todo_api.models import Limit
from todo_api.security import hash_concurrency
from todo_api.throttle import LoginLimits, Window


def _signup(client, email: str, password: str):  # type: ignore[no-untyped-def]
    return client.post("/api/auth/signup", json={"email": email, "password": password})


def _login(client, email: str, password: str, **kw):  # type: ignore[no-untyped-def]
    return client.post("/api/auth/login", json={"email": email, "password": password}, **kw)


# --- passwords (NIST SP 800-63B Rev. 4) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("password", "at least 15 characters"),
        ("12345678", "at least 15 characters"),
        (" " * 8, "at least 15 characters"),
        (" " * 20, "repetition"),
        ("fourteen chars", "at least 15 characters"),
        ("passwordpassword", "repetition"),
        ("password1234567!", "too common"),
        ("mailcreated5240", "too common"),
        ("carol@example.test", "email"),
        ("Carol.Example.2026!!", "built from your email"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(sqlite_url, make_client, password, reason):
    client = make_client(sqlite_url)
    response = _signup(client, "carol@example.test", password)
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "password"]
    assert reason in error["msg"]


def test_long_passphrases_with_any_characters_are_accepted(sqlite_url, make_client):
    client = make_client(sqlite_url)
    assert _signup(client, "a@example.test", "fifteen chars!!").status_code == 201
    assert _signup(client, "b@example.test", "ünïcödé 😀 and spaces, all fine").status_code == 201
    assert _signup(client, "c@example.test", "x1y2" * 16 + "z").status_code == 201  # 65 chars


def test_signup_hashes_even_when_the_email_is_taken(sqlite_url, make_client):
    """'Email exists' must cost a hash, like a login: it is no shortcut for finding accounts."""
    client = make_client(sqlite_url)
    ApiUser(client, "taken@example.test")
    passwords = client.app.state.passwords
    calls = []
    original = passwords.hash

    async def counting_hash(password: str) -> str:
        calls.append(password)
        return await original(password)

    passwords.hash = counting_hash
    assert _signup(client, "taken@example.test", "another passphrase 1").status_code == 409
    assert calls == ["another passphrase 1"]


# --- emails ------------------------------------------------------------------------------------------


def test_look_alike_emails_are_one_account(client):
    nfc = unicodedata.normalize("NFC", "josé@example.test")
    nfd = unicodedata.normalize("NFD", "JOSÉ@example.test")
    assert nfc != nfd.lower()
    first = _signup(client, nfc, PASSWORD)
    assert first.status_code == 201
    assert _signup(client, nfd, PASSWORD).status_code == 409
    assert _signup(client, "ｊｏｓé@example.test", PASSWORD).status_code == 409  # full-width letters
    login = _login(client, nfd, PASSWORD)
    assert login.status_code == 200
    assert login.json()["user"]["id"] == first.json()["user"]["id"]


# --- throttling --------------------------------------------------------------------------------------


def test_failed_logins_back_off_per_account(sqlite_url, make_client):
    client = make_client(sqlite_url, login_free_failures=3, login_backoff_max_seconds=30)
    ApiUser(client, "victim@example.test")
    for _ in range(4):
        assert _login(client, "victim@example.test", "not the password").status_code == 401
    locked = _login(client, "victim@example.test", PASSWORD)  # even the right password waits
    assert locked.status_code == 429
    assert 1 <= int(locked.headers["retry-after"]) <= 30
    # Another account from the same client is not affected.
    assert _login(client, "someone-else@example.test", "not the password").status_code == 401


def test_backoff_doubles_and_is_capped(sqlite_url, make_client):
    engine = make_client(sqlite_url).app.state.engine
    backoff = LoginLimits(free=2, max_seconds=60, lockout_failures=100, lockout_seconds=3600)
    waits = []
    with engine.begin() as conn:
        for _ in range(12):
            wait, failures = backoff.reserve(conn, "acct:a", 0.0)
            assert wait is None
            backoff.failed(conn, "acct:a", failures, 0.0)
            waits.append(backoff.wait(conn, "acct:a", 0.0) or 0)
            conn.execute(Limit.__table__.update().values(blocked_until=0.0))  # as if the lock ran out
        assert waits[:2] == [0, 0]
        assert waits[2:8] == [1, 2, 4, 8, 16, 32]
        assert max(waits) == 60  # a real user locked out by an attacker waits a minute at most
        backoff.succeeded(conn, "acct:a")
        assert backoff.wait(conn, "acct:a", 0.0) is None


def test_failed_logins_are_limited_per_client_address(sqlite_url, make_client):
    client = make_client(sqlite_url, login_failures_per_address=5, login_free_failures=100)
    for i in range(5):
        assert _login(client, f"guess{i}@example.test", "not the password").status_code == 401
    refused = _login(client, "guess9@example.test", "not the password")
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert _signup(client, "new@example.test", PASSWORD).status_code == 429


def test_window_frees_up_after_the_window(sqlite_url, make_client):
    engine = make_client(sqlite_url).app.state.engine
    window = Window(limit=2, window=60)
    with engine.begin() as conn:
        assert window.take(conn, "k", 0.0) is None
        assert window.take(conn, "k", 1.0) is None
        assert window.take(conn, "k", 2.0) == 58
        assert window.take(conn, "k", 61.0) is None


def _request(peer: str, forwarded: str | None, trusted: str, make_client, sqlite_url) -> Request:
    client = make_client(sqlite_url, trusted_proxies=trusted)
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    scope = {"type": "http", "headers": headers, "client": (peer, 1234), "app": client.app}
    return Request(scope)


def test_forwarded_for_is_believed_only_from_trusted_proxies(make_client, sqlite_url):
    def address(peer: str, forwarded: str | None, trusted: str) -> str:
        return client_address(_request(peer, forwarded, trusted, make_client, sqlite_url))

    assert address("203.0.113.9", "1.2.3.4", "") == "203.0.113.9"
    assert address("203.0.113.9", "1.2.3.4", "10.0.0.0/8") == "203.0.113.9"  # not from the ingress
    assert address("10.1.2.3", "1.2.3.4", "10.0.0.0/8") == "1.2.3.4"
    # A client's own X-Forwarded-For entries are left of what the ingress appended.
    assert address("10.1.2.3", "6.6.6.6, 1.2.3.4", "10.0.0.0/8") == "1.2.3.4"
    assert address("10.1.2.3", "1.2.3.4, 10.9.9.9", "10.0.0.0/8") == "1.2.3.4"


# --- chat -----------------------------------------------------------------------------------------


def test_chat_has_a_per_user_budget(sqlite_url, make_client):
    client = make_client(sqlite_url, chat_requests_per_minute=3)
    alice = ApiUser(client, "alice@example.test")
    bob = ApiUser(client, "bob@example.test")
    for _ in range(3):
        assert alice.chat("list").status_code == 200
    refused = alice.chat("list")
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert bob.chat("list").status_code == 200


def test_whitespace_only_chat_message_is_422(alice):
    assert alice.chat("   \t  ").status_code == 422


def test_mock_assistant_keeps_a_leading_a(alice):
    response = alice.chat("add A team meeting")
    assert response.json()["actions"][0]["task"]["title"] == "A team meeting"
    assert alice.chat("add a task: buy milk").json()["actions"][0]["task"]["title"] == "buy milk"


# --- headers and surface --------------------------------------------------------------------------


def test_openapi_is_hidden_in_production_unless_enabled(sqlite_url, make_client):
    assert make_client(sqlite_url, app_env="production").get("/openapi.json").status_code == 404
    enabled = make_client(sqlite_url, app_env="production", openapi_enabled=True)
    assert enabled.get("/openapi.json").status_code == 200
    assert make_client(sqlite_url).get("/openapi.json").status_code == 200


def test_token_responses_are_not_cached_and_nosniff_everywhere(client):
    signup = _signup(client, "h@example.test", PASSWORD)
    login = _login(client, "h@example.test", PASSWORD)
    for response in (signup, login):
        assert response.headers["cache-control"] == "no-store"
    for response in (signup, login, client.get("/healthz"), client.get("/nope"), _login(client, "x", "")):
        assert response.headers["x-content-type-options"] == "nosniff"


def test_no_redirect_is_built_from_the_host_header(alice):
    headers = {**alice.headers, "Host": "evil.example"}
    response = alice.client.get("/api/tasks/", headers=headers, follow_redirects=False)
    assert response.status_code == 404
    assert "location" not in response.headers


def test_large_bodies_are_refused_with_413(alice):
    big = b'{"title": "' + b"x" * (1024 * 1024) + b'"}'
    headers = {**alice.headers, "Content-Type": "application/json"}
    response = alice.client.post("/api/tasks", content=big, headers=headers)
    assert response.status_code == 413
    assert response.json() == {"detail": "Request body larger than 1048576 bytes"}

    def chunks():  # no Content-Length: counted as it arrives
        yield b'{"title": "'
        for _ in range(40):
            yield b"x" * 65536
        yield b'"}'

    chunked = alice.client.post("/api/tasks", content=chunks(), headers=headers)
    assert chunked.status_code == 413
    assert chunked.json()["detail"].startswith("Request body larger than")


def test_validation_errors_do_not_echo_large_input(alice):
    response = alice.post("/api/tasks", json={"title": "y" * 500_000})
    assert response.status_code == 422
    assert len(response.content) < 2000
    assert response.json()["detail"][0]["loc"] == ["body", "title"]


def test_hash_concurrency_is_derived_from_the_memory_limit():
    mib19 = 19 * 1024
    assert hash_concurrency(512, mib19, cpus=64) == 8  # (512 - 192) // (2 * 19)
    assert hash_concurrency(256, mib19, cpus=64) == 1
    assert hash_concurrency(1024, 64 * 1024, cpus=64) == 6  # bigger hashes, fewer at once
    assert hash_concurrency(512, mib19, cpus=2) == 2  # never more than the CPUs
    assert hash_concurrency(512, mib19, override=3, cpus=2) == 3  # PASSWORD_HASH_CONCURRENCY


def test_accounts_with_passwords_under_the_new_minimum_still_log_in(client):
    from sqlalchemy import text

    old_hash = client.app.state.passwords.hash_now("short-pw")  # 8 characters: the old minimum
    with client.app.state.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO users (email, password_hash, created_at) VALUES (:e, :h, CURRENT_TIMESTAMP)"),
            {"e": "veteran@example.test", "h": old_hash},
        )
    assert _login(client, "veteran@example.test", "short-pw").status_code == 200
