from datetime import datetime


def test_create_and_get(alice):
    created = alice.add("Buy milk", description="2 litres", due_date="2030-01-31")
    assert created["title"] == "Buy milk"
    assert created["description"] == "2 litres"
    assert created["due_date"] == "2030-01-31"
    assert created["done"] is False
    assert created["status"] == "open"
    assert created["completed_at"] is None
    assert datetime.fromisoformat(created["created_at"]).tzinfo is not None
    got = alice.get(f"/api/tasks/{created['id']}")
    assert got.status_code == 200
    assert got.json() == created


def test_create_trims_title_and_allows_no_description(alice):
    created = alice.add("  Walk the dog  ")
    assert created["title"] == "Walk the dog"
    assert created["description"] is None


def test_list_shape_and_newest_first(alice):
    first = alice.add("first")
    second = alice.add("second")
    body = alice.get("/api/tasks").json()
    assert set(body) == {"items", "total", "limit", "offset"}
    assert body["total"] == 2
    assert body["limit"] == 50
    assert body["offset"] == 0
    assert [t["id"] for t in body["items"]] == [second["id"], first["id"]]


def test_filter_by_status(alice):
    open_task = alice.add("open one")
    done_task = alice.add("done one")
    assert alice.post(f"/api/tasks/{done_task['id']}/complete").status_code == 200
    done = alice.get("/api/tasks", params={"status": "done"}).json()
    assert [t["id"] for t in done["items"]] == [done_task["id"]]
    assert done["total"] == 1
    opened = alice.get("/api/tasks", params={"status": "open"}).json()
    assert [t["id"] for t in opened["items"]] == [open_task["id"]]
    assert alice.get("/api/tasks").json()["total"] == 2


def test_search_title_and_description_case_insensitive(alice):
    a = alice.add("Buy MILK")
    b = alice.add("Call mum", description="ask about the milkman")
    alice.add("Something else")
    found = alice.get("/api/tasks", params={"q": "mIlK"}).json()
    assert {t["id"] for t in found["items"]} == {a["id"], b["id"]}
    assert found["total"] == 2


def test_search_is_unicode_case_insensitive(alice):
    task = alice.add("ÄPFEL kaufen")
    found = alice.get("/api/tasks", params={"q": "äpfel"}).json()
    assert [t["id"] for t in found["items"]] == [task["id"]]


def test_search_treats_wildcards_literally(alice):
    hit = alice.add("100% done_right")
    alice.add("1000 things")
    assert [t["id"] for t in alice.get("/api/tasks", params={"q": "100%"}).json()["items"]] == [hit["id"]]
    assert [t["id"] for t in alice.get("/api/tasks", params={"q": "_right"}).json()["items"]] == [hit["id"]]
    assert alice.get("/api/tasks", params={"q": "%"}).json()["total"] == 1


def test_search_combined_with_status(alice):
    a = alice.add("report A")
    alice.add("report B")
    alice.post(f"/api/tasks/{a['id']}/complete")
    found = alice.get("/api/tasks", params={"q": "report", "status": "done"}).json()
    assert [t["id"] for t in found["items"]] == [a["id"]]


def test_pagination(alice):
    ids = [alice.add(f"task {i:02d}")["id"] for i in range(25)]
    newest_first = list(reversed(ids))
    page = alice.get("/api/tasks", params={"limit": 10, "offset": 0}).json()
    assert page["total"] == 25
    assert page["limit"] == 10
    assert [t["id"] for t in page["items"]] == newest_first[:10]
    page = alice.get("/api/tasks", params={"limit": 10, "offset": 20}).json()
    assert [t["id"] for t in page["items"]] == newest_first[20:]
    assert page["offset"] == 20
    beyond = alice.get("/api/tasks", params={"limit": 10, "offset": 100}).json()
    assert beyond == {"items": [], "total": 25, "limit": 10, "offset": 100}


def test_patch_changes_only_given_fields(alice):
    task = alice.add("old title", description="keep me")
    response = alice.patch(f"/api/tasks/{task['id']}", json={"title": "new title"})
    assert response.status_code == 200
    body = response.json()
    assert body["title"] == "new title"
    assert body["description"] == "keep me"
    assert body["updated_at"] >= task["updated_at"]


def test_patch_can_clear_description_and_set_due_date(alice):
    task = alice.add("t", description="d")
    body = alice.patch(
        f"/api/tasks/{task['id']}", json={"description": None, "due_date": "2031-02-03"}
    ).json()
    assert body["description"] is None
    assert body["due_date"] == "2031-02-03"
    body = alice.patch(f"/api/tasks/{task['id']}", json={"due_date": None}).json()
    assert body["due_date"] is None


def test_patch_done_completes_and_reopens(alice):
    task = alice.add("t")
    body = alice.patch(f"/api/tasks/{task['id']}", json={"done": True}).json()
    assert body["done"] is True
    assert body["status"] == "done"
    assert body["completed_at"] is not None
    body = alice.patch(f"/api/tasks/{task['id']}", json={"done": False}).json()
    assert body["done"] is False
    assert body["completed_at"] is None


def test_complete_and_reopen(alice):
    task = alice.add("t")
    done = alice.post(f"/api/tasks/{task['id']}/complete")
    assert done.status_code == 200
    assert done.json()["done"] is True
    assert done.json()["completed_at"] is not None
    again = alice.post(f"/api/tasks/{task['id']}/complete").json()
    assert again["completed_at"] == done.json()["completed_at"]  # idempotent
    reopened = alice.post(f"/api/tasks/{task['id']}/reopen")
    assert reopened.status_code == 200
    assert reopened.json()["done"] is False
    assert reopened.json()["status"] == "open"
    assert reopened.json()["completed_at"] is None
    assert alice.get(f"/api/tasks/{task['id']}").json()["done"] is False


def test_delete(alice):
    task = alice.add("t")
    response = alice.delete(f"/api/tasks/{task['id']}")
    assert response.status_code == 204
    assert response.content == b""
    assert alice.get(f"/api/tasks/{task['id']}").status_code == 404
    assert alice.delete(f"/api/tasks/{task['id']}").status_code == 404
    assert alice.get("/api/tasks").json()["total"] == 0


def test_missing_task_is_404_for_every_operation(alice):
    for method, url in [
        ("GET", "/api/tasks/999"),
        ("PATCH", "/api/tasks/999"),
        ("DELETE", "/api/tasks/999"),
        ("POST", "/api/tasks/999/complete"),
        ("POST", "/api/tasks/999/reopen"),
        ("GET", "/api/tasks/0"),
        ("GET", "/api/tasks/-5"),
        ("GET", "/api/tasks/99999999999999999999999"),
    ]:
        kwargs = {"json": {"title": "x"}} if method == "PATCH" else {}
        response = alice.client.request(method, url, headers=alice.headers, **kwargs)
        assert response.status_code == 404, (method, url, response.text)
        assert "not found" in response.json()["detail"]


def test_tasks_require_auth(client):
    for method, url in [
        ("GET", "/api/tasks"),
        ("POST", "/api/tasks"),
        ("GET", "/api/tasks/1"),
        ("PATCH", "/api/tasks/1"),
        ("DELETE", "/api/tasks/1"),
        ("POST", "/api/tasks/1/complete"),
        ("POST", "/api/tasks/1/reopen"),
        ("POST", "/api/chat"),
    ]:
        json_body = {"title": "x", "message": "list"} if method in ("POST", "PATCH") else None
        response = client.request(method, url, json=json_body)
        assert response.status_code == 401, (method, url)


def test_deleting_a_user_cascades_to_tasks(client, alice):
    alice.add("t")
    with client.app.state.engine.begin() as conn:
        conn.exec_driver_sql(f"DELETE FROM users WHERE id = {alice.id}")
        assert conn.exec_driver_sql("SELECT count(*) FROM tasks").scalar_one() == 0


def test_list_items_are_exactly_what_get_returns(alice):
    """The list is serialised by a fast path (schemas.task_page_json); it must equal TaskOut's JSON."""
    a = alice.add("with everything", description="d", due_date="2030-01-02")
    b = alice.add("plain")
    alice.post(f"/api/tasks/{a['id']}/complete")
    listed = alice.get("/api/tasks").json()["items"]
    assert listed == [alice.get(f"/api/tasks/{b['id']}").json(), alice.get(f"/api/tasks/{a['id']}").json()]


def test_task_page_json_matches_the_pydantic_model():
    from datetime import UTC, date, datetime

    from todo_api.schemas import TASK_FIELDS, TaskPage, task_page_json

    rows = [
        (
            1,
            "a",
            None,
            False,
            None,
            datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
            datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
            None,
            2,
        ),
        (
            2,
            'b"é',
            "x\ny",
            True,
            date(2030, 1, 2),
            datetime(2026, 1, 2, tzinfo=UTC),
            datetime(2026, 1, 3, tzinfo=UTC),
            datetime(2026, 1, 3, 1, tzinfo=UTC),
            2,
        ),
    ]
    expected = TaskPage(
        items=[dict(zip(TASK_FIELDS, r, strict=False)) for r in rows], total=2, limit=10, offset=0
    ).model_dump_json()
    assert task_page_json(rows, 2, 10, 0).decode() == expected
