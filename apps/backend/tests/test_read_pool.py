"""The task list on PostgreSQL: on the event loop with its own asynchronous pool (todo_api.read_pool),
not on a database thread; the same answers as everywhere else."""

from __future__ import annotations

from tests.conftest import ApiUser


class NoThreads:
    """Stands in for app.state.db_threads: a call to a database thread fails the request."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    async def run(self, *call):  # type: ignore[no-untyped-def]
        self.calls.append(call)
        raise AssertionError("the task list used a database thread")

    def close(self) -> None:
        pass


def test_the_task_list_on_postgresql_needs_no_database_thread(postgres_url, make_client):
    client = make_client(postgres_url)
    with client.app.state.engine.begin() as conn:
        conn.exec_driver_sql("TRUNCATE tasks, users RESTART IDENTITY CASCADE")
    user = ApiUser(client, "loop@example.test")
    first = user.add("first", description="d", due_date="2030-01-02")
    second = user.add("second")
    threads = NoThreads()
    real_threads = client.app.state.db_threads
    client.app.state.db_threads = threads
    try:
        listed = user.get("/api/tasks")
        done = user.get("/api/tasks", params={"status": "done"})  # empty: the user is checked too
        beyond = user.get("/api/tasks", params={"offset": 5})  # past the end: counted separately
        searched = user.get("/api/tasks", params={"q": "SEC"})
    finally:
        client.app.state.db_threads = real_threads
    assert threads.calls == []
    assert listed.status_code == 200, listed.text
    assert [t["id"] for t in listed.json()["items"]] == [second["id"], first["id"]]
    assert listed.json()["items"][1] == user.get(f"/api/tasks/{first['id']}").json()
    assert done.json() == {"items": [], "total": 0, "limit": 50, "offset": 0}
    assert beyond.json() == {"items": [], "total": 2, "limit": 50, "offset": 5}
    assert [t["title"] for t in searched.json()["items"]] == ["second"]


def test_a_token_of_a_deleted_user_lists_nothing_but_gets_401(client):
    user = ApiUser(client, "gone@example.test")
    with client.app.state.engine.begin() as conn:
        conn.exec_driver_sql(f"DELETE FROM users WHERE id = {user.id}")
    response = user.get("/api/tasks")
    assert response.status_code == 401, response.text
    assert response.json() == {"detail": "Invalid token (user no longer exists)"}
    assert response.headers["www-authenticate"] == "Bearer"
