"""Quotas per user (tasks, bytes of text) through the REST API and the assistant, the PostgreSQL
statement timeout, the assistant's bounded title search, and the list's capped total."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError

from tests.conftest import ApiUser
from todo_api import tasks_repo
from todo_api.db import create_db_engine


def _fill(client, user: ApiUser, count: int, description: str = "", title: str = "task") -> None:  # type: ignore[no-untyped-def]
    """`count` tasks straight into the database (the API would take a while)."""
    with client.app.state.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO tasks (owner_id, title, description, done, created_at, updated_at) "
                "VALUES (:o, :t, :d, false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            [{"o": user.id, "t": f"{title} {i}", "d": description or None} for i in range(count)],
        )


def test_the_task_quota_holds_through_the_api_and_the_assistant(db_url, make_client):
    client = make_client(db_url, max_tasks_per_user=5)
    alice = ApiUser(client, "alice@example.test")
    bob = ApiUser(client, "bob@example.test")
    for i in range(4):
        alice.add(f"task {i}")
    assert alice.chat("add the fifth").status_code == 200
    refused = alice.post("/api/tasks", json={"title": "one too many"})
    assert refused.status_code == 409
    detail = refused.json()["detail"]
    assert "Task limit reached" in detail
    assert "5 tasks" in detail
    assert "MAX_TASKS_PER_USER" in detail  # how to raise it
    by_chat = alice.chat("add one too many")
    assert by_chat.status_code == 409
    assert "MAX_TASKS_PER_USER" in by_chat.json()["detail"]
    assert alice.get("/api/tasks").json()["total"] == 5
    bob.add("bob is not affected")
    alice.delete(f"/api/tasks/{alice.get('/api/tasks').json()['items'][0]['id']}")
    alice.add("room again")


def test_parallel_creates_on_two_instances_stop_at_the_quota(db_url, make_client):
    first, second = make_client(db_url, max_tasks_per_user=10), make_client(db_url, max_tasks_per_user=10)
    alice = ApiUser(first, "alice@example.test")
    headers = alice.headers

    def create(i: int) -> int:
        client = (first, second)[i % 2]
        return client.post("/api/tasks", json={"title": f"t{i}"}, headers=headers).status_code

    with ThreadPoolExecutor(16) as pool:
        codes = list(pool.map(create, range(30)))
    assert codes.count(201) == 10, codes
    assert set(codes) <= {201, 409, 503}
    assert alice.get("/api/tasks").json()["total"] == 10


def test_the_text_quota_counts_utf8_bytes_on_create_and_update(db_url, make_client):
    client = make_client(db_url, max_task_text_bytes_per_user=2048)
    alice = ApiUser(client, "alice@example.test")
    task = alice.add("ü" * 100, description="x" * 1000)  # 200 + 1000 bytes
    grow = alice.patch(f"/api/tasks/{task['id']}", json={"description": "é" * 500})  # 200 + 1000: same
    assert grow.status_code == 200
    too_big = alice.post("/api/tasks", json={"title": "big", "description": "y" * 900})
    assert too_big.status_code == 409
    detail = too_big.json()["detail"]
    assert "Storage limit reached" in detail
    assert "MAX_TASK_TEXT_BYTES_PER_USER" in detail
    assert "848 are left" in detail
    assert alice.patch(f"/api/tasks/{task['id']}", json={"description": "z" * 1900}).status_code == 409
    assert alice.patch(f"/api/tasks/{task['id']}", json={"description": "short"}).status_code == 200
    assert alice.post("/api/tasks", json={"title": "big", "description": "y" * 900}).status_code == 201


def test_the_assistant_title_search_reads_few_rows_and_no_descriptions(db_url, make_client):
    client = make_client(db_url)
    alice = ApiUser(client, "alice@example.test")
    _fill(client, alice, 300, description="a long description " * 20, title="errand")
    statements: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, _context, _many):  # type: ignore[no-untyped-def]
        statements.append((statement, parameters))

    event.listen(client.app.state.engine, "before_cursor_execute", record)
    try:
        reply = alice.chat("complete errand")
    finally:
        event.remove(client.app.state.engine, "before_cursor_execute", record)
    assert reply.status_code == 200
    assert "Several tasks match" in reply.json()["reply"]
    assert "(and more)" in reply.json()["reply"]
    searches = [(s, p) for s, p in statements if "lower(tasks.title)" in s]
    assert searches
    for statement, parameters in searches:
        assert "description" not in statement.split("FROM")[0]
        assert "LIMIT" in statement
        assert tasks_repo.TITLE_MATCHES_MAX in (
            parameters.values() if isinstance(parameters, dict) else parameters
        )


def test_the_list_total_is_capped_past_the_page(db_url, make_client):
    client = make_client(db_url)
    alice = ApiUser(client, "alice@example.test")
    _fill(client, alice, 1200)
    page = alice.get("/api/tasks?limit=10").json()
    assert page["total"] == 10 + tasks_repo.TOTAL_AHEAD  # not every row: a bound
    assert len(page["items"]) == 10
    later = alice.get("/api/tasks?limit=100&offset=1000").json()
    assert later["total"] == 1200  # exact when fewer remain
    past_end = alice.get("/api/tasks?limit=10&offset=5000").json()
    assert past_end["total"] == 1200
    assert past_end["items"] == []


def test_a_runaway_statement_is_cancelled_on_postgresql(postgres_url, make_client):
    engine = create_db_engine(postgres_url, pool_size=1, max_overflow=0, statement_timeout_ms=200)
    try:
        with engine.connect() as conn, pytest.raises(OperationalError, match="statement timeout"):
            conn.execute(text("SELECT pg_sleep(2)"))
    finally:
        engine.dispose()
    client = make_client(postgres_url, db_statement_timeout_ms=1234)
    with client.app.state.engine.connect() as conn:
        assert conn.execute(text("SHOW statement_timeout")).scalar() == "1234ms"
    read_pool = client.app.state.read_pool

    async def read_pool_setting() -> str:
        async with read_pool.connection() as conn:
            return (await (await conn.execute("SHOW statement_timeout")).fetchone())[0]

    assert client.portal.call(read_pool_setting) == "1234ms"
