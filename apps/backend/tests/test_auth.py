from datetime import UTC, datetime, timedelta

import jwt

from tests.conftest import JWT_SECRET, PASSWORD, ApiUser
from todo_api.security import Tokens


def test_signup_returns_token_and_user(client):
    response = client.post("/api/auth/signup", json={"email": " Alice@Example.TEST ", "password": PASSWORD})
    assert response.status_code == 201
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 24 * 60 * 60
    assert body["user"]["email"] == "alice@example.test"
    assert set(body["user"]) == {"id", "email", "created_at"}
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json() == body["user"]


def test_login_returns_a_working_token(client, alice):
    response = client.post("/api/auth/login", json={"email": "ALICE@example.test", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["user"]["id"] == alice.id
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json()["email"] == "alice@example.test"


def test_duplicate_email_is_409(client, alice):
    response = client.post(
        "/api/auth/signup", json={"email": "Alice@example.test", "password": "another passphrase 1"}
    )
    assert response.status_code == 409
    assert "already exists" in response.json()["detail"]


def test_wrong_password_is_401(client, alice):
    response = client.post("/api/auth/login", json={"email": alice.email, "password": "wrong password"})
    assert response.status_code == 401
    assert response.json() == {"detail": "Wrong email or password"}


def test_unknown_email_is_401_with_the_same_message(client):
    response = client.post("/api/auth/login", json={"email": "nobody@example.test", "password": PASSWORD})
    assert response.status_code == 401
    assert response.json() == {"detail": "Wrong email or password"}


def test_me_without_token_is_401(client):
    response = client.get("/api/auth/me")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_garbage_token_is_401(client):
    response = client.get("/api/auth/me", headers={"Authorization": "Bearer not.a.jwt"})
    assert response.status_code == 401


def test_non_bearer_scheme_is_401(client, alice):
    response = client.get("/api/auth/me", headers={"Authorization": f"Basic {alice.token}"})
    assert response.status_code == 401


def test_expired_token_is_401(client, alice):
    past = datetime.now(UTC) - timedelta(hours=2)
    token = Tokens(JWT_SECRET, expire_minutes=60).issue(alice.id, now=past)
    response = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_token_signed_with_another_secret_is_401(client, alice):
    token = Tokens("some-other-secret-that-is-long-enough-1234", 60).issue(alice.id)
    response = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_unsigned_token_is_401(client, alice):
    token = jwt.encode(
        {"sub": str(alice.id), "exp": datetime.now(UTC) + timedelta(hours=1), "typ": "access"},
        key=None,
        algorithm="none",
    )
    response = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_token_of_a_user_that_does_not_exist_is_401(client):
    for user_id in (424242, 2**40):
        token = Tokens(JWT_SECRET, 60).issue(user_id)
        response = client.get("/api/tasks", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401


def test_expiry_is_configurable(db_url, make_client):
    client = make_client(db_url, jwt_expire_minutes=5)
    user = ApiUser(client, "short@example.test")
    claims = jwt.decode(user.token, JWT_SECRET, algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == 300


def test_password_is_stored_as_argon2_hash(client, alice):
    engine = client.app.state.engine
    with engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT password_hash FROM users").scalar_one()
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_verified_tokens_are_cached_but_expiry_still_applies(monkeypatch):
    import pytest

    from todo_api import security
    from todo_api.security import InvalidToken

    tokens = Tokens(JWT_SECRET, expire_minutes=1)
    token = tokens.issue(7)
    assert tokens.user_id(token) == 7
    assert tokens.user_id(token) == 7  # from the cache
    real_time = security.time.time
    monkeypatch.setattr(security.time, "time", lambda: real_time() + 120)
    with pytest.raises(InvalidToken, match="expired"):
        tokens.user_id(token)
    assert token not in tokens._verified
