def test_other_users_tasks_are_404_and_invisible(alice, bob):
    task = alice.add("alice's secret", description="private")
    tid = task["id"]
    assert bob.get(f"/api/tasks/{tid}").status_code == 404
    assert bob.patch(f"/api/tasks/{tid}", json={"title": "hacked"}).status_code == 404
    assert bob.post(f"/api/tasks/{tid}/complete").status_code == 404
    assert bob.post(f"/api/tasks/{tid}/reopen").status_code == 404
    assert bob.delete(f"/api/tasks/{tid}").status_code == 404

    listing = bob.get("/api/tasks").json()
    assert listing["total"] == 0
    assert listing["items"] == []
    assert bob.get("/api/tasks", params={"q": "secret"}).json()["total"] == 0

    # Nothing Bob did changed Alice's task.
    assert alice.get(f"/api/tasks/{tid}").json() == task


def test_assistant_is_scoped_to_the_caller(alice, bob):
    task = alice.add("Alice only")
    for message in ("complete Alice only", f"delete {task['id']}", "reopen alice only"):
        response = bob.chat(message)
        assert response.status_code == 200
        assert response.json()["actions"] == []
        assert "couldn't find" in response.json()["reply"]
    listing = bob.chat("list").json()
    assert listing["reply"] == "You have no tasks."
    assert listing["actions"][0]["tasks"] == []
    assert alice.get(f"/api/tasks/{task['id']}").json() == task


def test_each_user_sees_only_their_own_list(alice, bob):
    alice.add("a1")
    alice.add("a2")
    bob.add("b1")
    assert [t["title"] for t in alice.get("/api/tasks").json()["items"]] == ["a2", "a1"]
    assert [t["title"] for t in bob.get("/api/tasks").json()["items"]] == ["b1"]
