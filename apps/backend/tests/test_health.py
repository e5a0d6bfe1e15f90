from tests.pgserver import free_port


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_readyz_503_when_postgres_is_unreachable(make_client):
    client = make_client(f"postgresql://nobody@127.0.0.1:{free_port()}/nothing")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["database"] == "down"
    # Liveness does not depend on the database.
    assert client.get("/healthz").status_code == 200


def test_readyz_503_when_sqlite_file_cannot_be_opened(make_client, tmp_path):
    client = make_client(f"sqlite:///{tmp_path / 'no-such-dir' / 'todo.db'}")
    assert client.get("/readyz").status_code == 503
    assert client.get("/healthz").status_code == 200


def test_requests_get_503_not_500_when_the_database_is_down(make_client, tmp_path):
    from tests.conftest import JWT_SECRET
    from todo_api.security import Tokens

    client = make_client(f"postgresql://nobody@127.0.0.1:{free_port()}/nothing")
    signup = client.post(
        "/api/auth/signup", json={"email": "x@example.test", "password": "plum kite orbit 42"}
    )
    assert signup.status_code == 503
    assert "database" in signup.json()["detail"]
    token = Tokens(JWT_SECRET, 60).issue(1)
    listing = client.get("/api/tasks", headers={"Authorization": f"Bearer {token}"})
    assert listing.status_code == 503


def test_readyz_does_not_wait_behind_user_requests(db_url, make_client):
    """Every database thread busy (a burst of requests): user requests wait and then get 503, but the
    readiness probe has its own connection and thread and still answers 200, so a burst cannot take
    every replica out of the Service at once."""
    import threading

    from tests.conftest import ApiUser

    client = make_client(db_url, db_pool_timeout_seconds=0.5)
    user = ApiUser(client, "busy@example.test")
    threads = client.app.state.db_threads
    release = threading.Event()
    busy = [client.portal.start_task_soon(threads.run, release.wait, 30) for _ in range(threads.size)]
    try:
        assert user.get("/api/auth/me").status_code == 503  # waited its 0.5 s for a database thread
        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.text
    finally:
        release.set()
        for future in busy:
            future.result(timeout=30)
    assert user.get("/api/auth/me").status_code == 200
