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
