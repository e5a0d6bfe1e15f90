"""Sessions that end: every token carries its user's session key (users.session_key), checked on
every request past the token cache; logout and a password change replace it; a token from before a
backup restore never acts as the user who got its id afterwards."""

from __future__ import annotations

from sqlalchemy import text

from tests.conftest import PASSWORD, ApiUser

NEW_PASSWORD = "violet harbour lantern 93"
# Every authenticated endpoint: each must refuse a token whose session has ended.
ENDPOINTS = [
    ("GET", "/api/auth/me", None),
    ("GET", "/api/tasks", None),
    ("GET", "/api/tasks?status=open&q=milk", None),
    ("POST", "/api/tasks", {"title": "after the end"}),
    ("GET", "/api/tasks/1", None),
    ("PATCH", "/api/tasks/1", {"title": "renamed"}),
    ("POST", "/api/tasks/1/complete", None),
    ("POST", "/api/tasks/1/reopen", None),
    ("POST", "/api/chat", {"message": "list"}),
    ("POST", "/api/auth/logout", None),
    ("DELETE", "/api/tasks/1", None),
]


def _all_refused(client, token: str) -> None:  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {token}"}
    for method, path, body in ENDPOINTS:
        response = client.request(method, path, json=body, headers=headers)
        assert response.status_code == 401, (method, path, response.text)


def _login(client, email: str, password: str) -> str:  # type: ignore[no-untyped-def]
    response = client.post("/api/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def test_logout_ends_the_session_at_the_server(client, alice):
    alice.add("Buy milk")  # id 1: the list has a row, so its own statement checks the session
    other_device = _login(client, alice.email, PASSWORD)
    assert alice.get("/api/tasks").json()["total"] == 1  # the token is verified and cached
    assert alice.post("/api/auth/logout").status_code == 204
    _all_refused(client, alice.token)
    _all_refused(client, other_device)  # logout signs the user out everywhere
    assert "Session ended" in alice.get("/api/tasks").json()["detail"]
    fresh = _login(client, alice.email, PASSWORD)
    assert client.get("/api/tasks", headers={"Authorization": f"Bearer {fresh}"}).json()["total"] == 1


def test_the_session_is_checked_on_every_instance(db_url, make_client):
    first, second = make_client(db_url), make_client(db_url)
    alice = ApiUser(first, "alice@example.test")
    alice.add("Buy milk")
    headers = {"Authorization": f"Bearer {alice.token}"}
    assert second.get("/api/tasks", headers=headers).status_code == 200  # cached on the second
    assert alice.post("/api/auth/logout").status_code == 204  # on the first
    assert second.get("/api/tasks", headers=headers).status_code == 401


def test_password_change_ends_every_other_session(client, alice):
    alice.add("Buy milk")
    other_device = _login(client, alice.email, PASSWORD)
    change = alice.post(
        "/api/auth/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert change.status_code == 200, change.text
    assert change.headers["cache-control"] == "no-store"
    this_device = {"Authorization": f"Bearer {change.json()['access_token']}"}
    assert client.get("/api/tasks", headers=this_device).json()["total"] == 1
    _all_refused(client, other_device)
    _all_refused(client, alice.token)
    old_password = {"email": alice.email, "password": PASSWORD}
    assert client.post("/api/auth/login", json=old_password).status_code == 401
    _login(client, alice.email, NEW_PASSWORD)


def test_password_change_needs_the_current_password_and_a_good_new_one(client, alice):
    wrong = alice.post(
        "/api/auth/password", json={"current_password": "not it at all", "new_password": NEW_PASSWORD}
    )
    assert wrong.status_code == 403
    assert wrong.json() == {"detail": "The current password is wrong"}
    weak = alice.post("/api/auth/password", json={"current_password": PASSWORD, "new_password": "short"})
    assert weak.status_code == 422
    (error,) = weak.json()["detail"]
    assert error["loc"] == ["body", "new_password"]
    assert "at least 15 characters" in error["msg"]
    own_email = alice.post(
        "/api/auth/password", json={"current_password": PASSWORD, "new_password": alice.email + "!!"}
    )
    assert own_email.status_code == 422
    assert alice.get("/api/auth/me").status_code == 200  # nothing changed


def test_wrong_current_passwords_are_throttled_like_logins(db_url, make_client):
    client = make_client(db_url, login_free_failures=2)
    alice = ApiUser(client, "alice@example.test")
    body = {"current_password": "not it at all", "new_password": NEW_PASSWORD}
    codes = [alice.post("/api/auth/password", json=body).status_code for _ in range(4)]
    assert codes[:3] == [403, 403, 403]
    assert codes[3] == 429


def test_a_token_from_before_a_restore_never_acts_as_another_user(db_url, make_client):
    """A backup holds users up to id 1; after it, user 2 signs up (token T). Restoring the backup
    removes user 2 and resets the id sequence, so the next signup gets id 2 again. T must not act
    as that new user."""
    client = make_client(db_url)
    ApiUser(client, "kept@example.test")
    lost = ApiUser(client, "lost@example.test")
    lost.add("written after the backup")
    engine = client.app.state.engine
    with engine.begin() as conn:  # what restoring the older dump does
        conn.execute(text("DELETE FROM tasks WHERE owner_id = :id"), {"id": lost.id})
        conn.execute(text("DELETE FROM users WHERE id = :id"), {"id": lost.id})
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT setval(pg_get_serial_sequence('users', 'id'), 1)"))
    newcomer = ApiUser(client, "newcomer@example.test")
    newcomer.add("the newcomer's own task")
    assert newcomer.id == lost.id  # the id is handed out again
    _all_refused(client, lost.token)
    assert newcomer.get("/api/tasks").json()["total"] == 1  # untouched


def test_tokens_without_a_session_key_are_refused(client, alice):
    """Tokens issued before sessions could end (before revision 0005) carry no `sid`."""
    import jwt

    from tests.conftest import JWT_SECRET

    claims = jwt.decode(alice.token, JWT_SECRET, algorithms=["HS256"])
    del claims["sid"]
    old = jwt.encode(claims, JWT_SECRET, algorithm="HS256")
    response = client.get("/api/auth/me", headers={"Authorization": f"Bearer {old}"})
    assert response.status_code == 401
    assert "sign in again" in response.json()["detail"]
